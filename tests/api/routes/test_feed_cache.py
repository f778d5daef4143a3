"""Feed and similar-items caching: repeated requests are served from the cache, and nothing that changes a
page (a new event, even a late one; a withdrawn item; a catalog change) is ever hidden by it."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.routes.test_feed import likes
from tests.api.test_observability import scrape, value
from tests.conftest import Api, topic_items


def hits(api: Api, cache: str) -> float:
    return value(scrape(api), "memfeed_cache_requests_total", cache=cache, result="hit")


def test_a_repeated_feed_request_is_a_cache_hit_with_the_same_page(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("u1", ["space-00", "space-01"]))
    first = api.feed("u1", limit=5)
    before = hits(api, "feed")
    second = api.feed("u1", limit=5)
    assert second == first
    assert hits(api, "feed") == before + 1
    api.feed("u1", limit=6)  # another query is another entry
    assert hits(api, "feed") == before + 1


def test_a_new_event_even_a_late_one_shows_at_once(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("u2", ["space-00"]))
    page = [i["item_id"] for i in api.feed("u2", limit=10)["items"]]
    api.feed("u2", limit=10)  # now cached
    late = (datetime.now(UTC) - timedelta(days=30)).isoformat()
    api.send([{"event_id": "late-1", "user_id": "u2", "item_id": page[0], "type": "hide", "timestamp": late}])
    assert page[0] not in [i["item_id"] for i in api.feed("u2", limit=10)["items"]]


def test_a_withdrawn_item_never_comes_back_from_the_cache(api: Api) -> None:
    api.put_items(topic_items())
    api.send(likes("u3", ["cooking-00"]))
    page = [i["item_id"] for i in api.feed("u3", limit=10)["items"]]
    assert api.client.delete(f"/v1/items/{page[0]}", headers=api.admin).status_code in (200, 204)
    assert page[0] not in [i["item_id"] for i in api.feed("u3", limit=10)["items"]]


def test_similar_items_are_cached_until_the_catalog_changes(api: Api) -> None:
    api.put_items(topic_items())
    url = "/v1/items/space-00/similar"
    first = api.client.get(url, params={"limit": 5}, headers=api.admin).json()
    before = hits(api, "similar")
    assert api.client.get(url, params={"limit": 5}, headers=api.admin).json() == first
    assert hits(api, "similar") == before + 1
    nearest = first["items"][0]["item_id"]
    assert api.client.delete(f"/v1/items/{nearest}", headers=api.admin).status_code in (200, 204)
    after = api.client.get(url, params={"limit": 5}, headers=api.admin).json()
    assert nearest not in [i["item_id"] for i in after["items"]]


@pytest.mark.skipif(not os.environ.get("MEMFEED_TEST_REDIS_URL"), reason="MEMFEED_TEST_REDIS_URL not set")
def test_two_instances_share_feed_pages_over_redis(api_factory: Callable[..., Api]) -> None:
    shared = {
        "redis_url": os.environ["MEMFEED_TEST_REDIS_URL"],
        "cache_redis_prefix": f"t-{uuid.uuid4().hex}:",
    }
    first = api_factory(**shared)
    first.put_items(topic_items())
    first.send(likes("u4", ["football-00", "football-01"]))
    database = first.settings.resolved_database_url.removeprefix("sqlite:///")
    copy = first.settings.var_dir.parent / "copy.db"
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # includes what is still in the WAL file
    second = api_factory(database_file=copy, **shared)
    page = first.feed("u4", limit=5)
    before = hits(second, "feed")
    assert second.feed("u4", limit=5) == page
    assert hits(second, "feed") == before + 1


def test_caching_can_be_turned_off(api_factory: Callable[..., Api]) -> None:
    api = api_factory(feed_cache_seconds=0, similar_cache_seconds=0)
    api.put_items(topic_items())
    api.feed("nobody", limit=3)
    api.feed("nobody", limit=3)
    assert hits(api, "feed") == 0
