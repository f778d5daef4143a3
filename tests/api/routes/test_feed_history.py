"""GET /v1/users/{id}/feed on real histories: years-old events, only negative events, more events than the
profile reads. Pages stay full and never show an item the user interacted with."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memfeed.demo.data import DemoDataset
from tests.conftest import Api, TrainedDemo, topic_items
from tests.feed.histories import heavy_catalog, heavy_events, send_in_batches, untouched_items

TEN_YEARS_AGO = datetime.now(UTC) - timedelta(days=3652)


@pytest.fixture(autouse=True)
def ranking_warnings_are_errors() -> Iterator[None]:
    """A RuntimeWarning (0/0, overflow) anywhere in the request fails the test: the app runs in this
    process, so the filter reaches it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


def events(
    user: str, item_ids: list[str], kind: str, start: datetime, step: timedelta
) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"{user}-{kind}-{n}",
            "user_id": user,
            "item_id": item,
            "type": kind,
            "timestamp": (start + n * step).isoformat(),
        }
        for n, item in enumerate(item_ids)
    ]


def send(api: Api, batch: list[dict[str, Any]]) -> None:
    result = api.send(batch)
    assert result["accepted"] == len(batch), result


def chain(api: Api, user: str, limit: int) -> list[list[dict[str, Any]]]:
    """Every page of the user's cursor chain, in order."""
    pages: list[list[dict[str, Any]]] = []
    cursor = None
    for _ in range(200):
        page = api.feed(user, limit=limit, **({"cursor": cursor} if cursor else {}))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
    raise AssertionError("cursor chain did not end")


def test_history_ten_years_old_gets_a_full_personal_page(api: Api) -> None:
    api.put_items(topic_items())
    liked = ["space-00", "space-01", "space-02", "space-03"]
    send(api, events("archivist", liked, "like", TEN_YEARS_AGO, timedelta(days=30)))
    items = api.feed("archivist", limit=8)["items"]
    assert len(items) == 8
    assert not {i["item_id"] for i in items} & set(liked)
    assert sum(i["item_id"].startswith("space-") for i in items) >= 6, items
    assert any(i["reason"].startswith("because you liked ") for i in items), items


def test_history_ten_years_old_gets_a_full_personal_page_from_the_model(
    api_factory: Callable[..., Api], trained_demo: TrainedDemo, demo_data: DemoDataset
) -> None:
    api = api_factory("sqlite", trained=trained_demo)
    topic = demo_data.items[0].category
    liked = [i.item_id for i in demo_data.items if i.category == topic][:6]
    send(api, events("archivist", liked, "like", TEN_YEARS_AGO, timedelta(days=7)))
    page = api.feed("archivist", limit=10)
    items = page["items"]
    assert page["model_version"] == trained_demo.champion
    assert len(items) == 10
    categories = {i.item_id: i.category for i in demo_data.items}
    assert not {i["item_id"] for i in items} & set(liked)
    assert sum(categories[i["item_id"]] == topic for i in items) >= 7, items
    assert any(i["reason"].startswith("because you liked ") for i in items), items


def test_user_whose_every_event_is_negative_gets_full_pages_without_those_items(api: Api) -> None:
    api.put_items(topic_items())
    now = datetime.now(UTC) - timedelta(days=1)
    rejected = {
        "dislike": [f"space-{n:02d}" for n in range(12)],
        "hide": [f"cooking-{n:02d}" for n in range(6)],
        "skip": [f"football-{n:02d}" for n in range(4)],
    }
    for kind, item_ids in rejected.items():
        send(api, events("grump", item_ids, kind, now, timedelta(minutes=1)))
    blocked = {i for ids in rejected.values() for i in ids}
    pages = chain(api, "grump", limit=5)
    served = [i["item_id"] for page in pages for i in page]
    assert all(len(page) == 5 for page in pages[:-1]) and pages[0]
    assert not blocked & set(served)
    assert sorted(served) == sorted(i["item_id"] for i in topic_items() if i["item_id"] not in blocked)
    assert all(i["reason"] for page in pages for i in page)


def test_user_whose_every_event_is_negative_gets_a_full_page_from_the_model(
    api_factory: Callable[..., Api], trained_demo: TrainedDemo, demo_data: DemoDataset
) -> None:
    api = api_factory("sqlite", trained=trained_demo)
    rejected = [i.item_id for i in demo_data.items[:30]]
    now = datetime.now(UTC) - timedelta(days=1)
    send(api, events("grump", rejected[:10], "dislike", now, timedelta(minutes=1)))
    send(api, events("grump", rejected[10:20], "hide", now, timedelta(minutes=1)))
    send(api, events("grump", rejected[20:], "skip", now, timedelta(minutes=1)))
    items = api.feed("grump", limit=20)["items"]
    assert len(items) == 20
    assert not {i["item_id"] for i in items} & set(rejected)


def test_user_with_more_events_than_the_profile_reads_never_gets_an_item_back(api: Api) -> None:
    api.put_items(heavy_catalog())
    history = heavy_events("collector")
    assert len(history) == 2000 > api.settings.feed_history_events
    send_in_batches(api, history)
    pages = chain(api, "collector", limit=20)
    served = [i["item_id"] for page in pages for i in page]
    assert [len(page) for page in pages] == [20, 20, 10]
    assert sorted(served) == sorted(untouched_items())
