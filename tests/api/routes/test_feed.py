"""GET /v1/users/{id}/feed: personal from the first event, exclusions, cold users, cursor chains."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from memfeed.demo.data import DemoDataset
from tests.conftest import Api, topic_items


def likes(user: str, item_ids: list[str], kind: str = "like", prefix: str = "") -> list[dict]:
    return [
        {"event_id": f"{prefix}{user}-{kind}-{i}", "user_id": user, "item_id": i, "type": kind}
        for i in item_ids
    ]


def category_of(demo: DemoDataset) -> dict[str, str]:
    return {i.item_id: i.category for i in demo.items}


def test_feed_is_personal_from_the_first_events(demo_api: Api, demo_data: DemoDataset) -> None:
    categories = category_of(demo_data)
    for topic in sorted({i.category for i in demo_data.items})[:3]:
        user = f"newcomer-{topic}"
        liked = [i.item_id for i in demo_data.items if i.category == topic][:8]
        demo_api.send(likes(user, liked))
        feed = demo_api.feed(user, limit=10)
        on_topic = sum(categories[i["item_id"]] == topic for i in feed["items"])
        assert on_topic >= 7, (topic, [(i["title"], categories[i["item_id"]]) for i in feed["items"]])
        assert all(i["item_id"] not in liked for i in feed["items"])
        assert any(i["reason"].startswith("because you liked ") for i in feed["items"])


def test_single_like_already_shapes_the_feed(demo_api: Api, demo_data: DemoDataset) -> None:
    categories = category_of(demo_data)
    topic = demo_data.items[0].category
    demo_api.send(likes("one-like", [demo_data.items[0].item_id]))
    feed = demo_api.feed("one-like", limit=10)
    assert sum(categories[i["item_id"]] == topic for i in feed["items"]) >= 5


def test_dislikes_push_the_feed_away(demo_api: Api, demo_data: DemoDataset) -> None:
    categories = category_of(demo_data)
    topics = sorted({i.category for i in demo_data.items})
    liked_topic, mixed_topic = topics[0], topics[1]
    liked = [i.item_id for i in demo_data.items if i.category == liked_topic][:4]
    disliked = [i.item_id for i in demo_data.items if i.category == mixed_topic][:6]
    demo_api.send(likes("picky", liked) + likes("picky", disliked, "dislike"))
    feed = demo_api.feed("picky", limit=20)
    assert not [i for i in feed["items"] if categories[i["item_id"]] == mixed_topic]


def test_engaged_hidden_disliked_and_unavailable_items_never_appear(api: Api) -> None:
    api.put_items(topic_items())
    seen = ["space-00", "space-01"]
    api.send(
        likes("u", seen, "view")
        + likes("u", ["space-02"], "hide")
        + likes("u", ["space-03"], "dislike")
        + likes("u", ["space-04"], "like")
    )
    api.client.delete("/v1/items/space-05", headers=api.admin)
    served = chain(api, "u", limit=7)
    blocked = {"space-00", "space-01", "space-02", "space-03", "space-04", "space-05"}
    assert served and not blocked & set(served)
    assert len(served) == len(topic_items()) - len(blocked)


def chain(api: Api, user: str, limit: int, **params: object) -> list[str]:
    """Follows next_cursor to the end and returns every item id served, in order."""
    served: list[str] = []
    cursor = None
    for _ in range(100):
        page = api.feed(user, limit=limit, **({"cursor": cursor} if cursor else {}), **params)
        served += [i["item_id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return served
    raise AssertionError("cursor chain did not end")


@pytest.mark.parametrize("user_kind", ["cold", "warm"])
def test_cursor_chain_never_repeats_and_covers_the_catalog(api: Api, user_kind: str) -> None:
    api.put_items(topic_items())
    if user_kind == "warm":
        api.send(likes("pager", ["space-00", "cooking-00"]))
    served = chain(api, "pager", limit=5)
    assert len(served) == len(set(served))
    expected = len(topic_items()) - (2 if user_kind == "warm" else 0)
    assert len(served) == expected


def test_new_activity_between_pages_does_not_repeat_items(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("mover", ["space-00"]))
    first = api.feed("mover", limit=5)
    api.send(likes("mover", ["cooking-00", "cooking-01", "cooking-02"], prefix="later-"))
    second = api.feed("mover", limit=5, cursor=first["next_cursor"])
    assert not {i["item_id"] for i in first["items"]} & {i["item_id"] for i in second["items"]}


def test_forged_or_foreign_cursor_is_a_400(api: Api) -> None:
    api.put_items(topic_items())
    page = api.feed("alice", limit=3)
    cursor = page["next_cursor"]
    head, sig = cursor.split(".")
    forged = head[:-2] + ("AA" if head[-2:] != "AA" else "BB") + "." + sig
    for bad, user in ((forged, "alice"), ("garbage", "alice"), (cursor + "x", "alice"), (cursor, "bob")):
        r = api.client.get(f"/v1/users/{user}/feed", params={"cursor": bad}, headers=api.admin)
        assert r.status_code == 400, (bad, r.text)
        assert r.json()["error"]["code"] == "bad_request"


def test_cold_user_gets_popular_and_fresh_items_with_reasons(api: Api) -> None:
    now = datetime.now(UTC)
    items = topic_items(published_at=(now - timedelta(days=60)).isoformat())
    items[0]["published_at"] = now.isoformat()
    api.put_items(items)
    crowd = [
        {"event_id": f"c{u}", "user_id": f"fan{u}", "item_id": "football-03", "type": "like"}
        for u in range(5)
    ]
    api.send(crowd)
    feed = api.feed("brand-new", limit=10)
    ids = [i["item_id"] for i in feed["items"]]
    assert ids[0] == "football-03" and feed["items"][0]["reason"] == "popular now"
    assert items[0]["item_id"] in ids[:3]
    reasons = Counter(i["reason"] for i in feed["items"])
    assert set(reasons) <= {"popular now", "new this week"}


def test_category_filter_and_exclude_param(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("filt", ["space-00"]))
    feed = api.feed("filt", limit=20, category="cooking", exclude="cooking-01,cooking-02")
    ids = [i["item_id"] for i in feed["items"]]
    assert ids and all(i.startswith("cooking-") for i in ids)
    assert not {"cooking-01", "cooking-02"} & set(ids)
    assert len(ids) == 10


def test_every_feed_item_has_a_reason_and_model_version(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("r", ["space-00", "space-01"]))
    feed = api.feed("r", limit=10)
    assert feed["model_version"]
    assert all(i["reason"] and i["title"] for i in feed["items"])
    assert feed["items"] == sorted(feed["items"], key=lambda i: -i["score"])


def test_demo_users_get_feeds_matching_their_tastes(demo_api: Api, demo_data: DemoDataset) -> None:
    categories = category_of(demo_data)
    counts = Counter(e.user_id for e in demo_data.events)
    precisions = []
    for user in demo_data.users:
        if counts[user.user_id] < 20:
            continue
        feed = demo_api.feed(user.user_id, limit=10)
        hits = sum(categories[i["item_id"]] in user.tastes for i in feed["items"])
        precisions.append(hits / max(len(feed["items"]), 1))
    mean = sum(precisions) / len(precisions)
    assert len(precisions) >= 50
    assert mean >= 0.7, mean


def test_popularity_is_refreshed_in_the_background(api_factory) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", popularity_refresh_seconds=0.3)
    api.put_items(topic_items(published_at=(datetime.now(UTC) - timedelta(days=30)).isoformat()))
    api.send(
        [
            {"event_id": f"hit-{u}", "user_id": f"fan{u}", "item_id": "cooking-07", "type": "like"}
            for u in range(4)
        ]
    )
    deadline = time.monotonic() + 15
    first = None
    while time.monotonic() < deadline:
        items = api.feed("newcomer", limit=1)["items"]
        first = items[0]["item_id"] if items else None
        if first == "cooking-07":
            break
        time.sleep(0.2)
    assert first == "cooking-07"
