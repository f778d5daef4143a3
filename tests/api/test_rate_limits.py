"""Rate limits over HTTP: 429 in the error shape with Retry-After, refill, per-user and per-key budgets, route
classes, limits off, and limits shared by two app instances through Redis (skipped without Redis)."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.ratelimit import route_class
from memfeed.platform.ratelimit import RouteClass, build_rate_limiter
from tests.conftest import Api
from tests.platform.test_ratelimit import FakeClock

REDIS_URL = os.environ.get("MEMFEED_TEST_REDIS_URL")

# memory: 3 requests per user then one every 10 s; the key's budget is far away unless a test lowers it
LOW = {"rate_limit_memory_user_per_minute": 6, "rate_limit_memory_user_burst": 3}


def memories(user: str) -> str:
    return f"/v1/users/{user}/memories"


def with_clock(api: Api, clock: FakeClock) -> Api:
    """Swap the app's limiter for one on the same settings whose in-process clock the test moves."""
    app: Any = api.client.app
    app.state.rate_limiter.close()
    app.state.rate_limiter = build_rate_limiter(api.settings, clock=clock)
    return api


@pytest.fixture
def limited(api_factory: Callable[..., Api]) -> tuple[Api, FakeClock]:
    clock = FakeClock()
    return with_clock(api_factory(**LOW), clock), clock


def test_over_the_burst_answers_429_with_retry_after_in_the_error_shape(
    limited: tuple[Api, FakeClock],
) -> None:
    api, _ = limited
    alice = api.as_user("alice")
    answers = [api.client.get(memories("alice"), headers=alice) for _ in range(3)]
    assert [r.status_code for r in answers] == [200, 200, 200]
    assert [r.headers["X-RateLimit-Remaining"] for r in answers] == ["2", "1", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in answers} == {"3"}

    refused = api.client.get(memories("alice"), headers=alice)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "10"
    assert refused.headers["X-RateLimit-Remaining"] == "0" and refused.headers["X-Request-ID"]
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "retry in 10 s" in error["message"]
    assert error["details"] == {
        "retry_after": 10,
        "limit": {"route_class": "memory", "scope": "user", "per_minute": 6.0, "burst": 3},
    }


def test_tokens_refill_as_time_passes(limited: tuple[Api, FakeClock]) -> None:
    api, clock = limited
    alice = api.as_user("alice")
    for _ in range(3):
        api.client.get(memories("alice"), headers=alice)
    clock.advance(9.5)
    almost = api.client.get(memories("alice"), headers=alice)
    assert almost.status_code == 429 and almost.headers["Retry-After"] == "1"  # rounded up, never 0
    clock.advance(0.5)
    assert api.client.get(memories("alice"), headers=alice).status_code == 200
    assert api.client.get(memories("alice"), headers=alice).status_code == 429
    clock.advance(3600)  # a long pause refills up to the burst, not beyond
    codes = [api.client.get(memories("alice"), headers=alice).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_user_over_the_limit_does_not_limit_another_user_on_the_same_app_key(
    limited: tuple[Api, FakeClock],
) -> None:
    api, _ = limited
    for _ in range(3):
        api.client.get(memories("alice"), headers=api.as_user("alice"))
    assert api.client.get(memories("alice"), headers=api.as_user("alice")).status_code == 429
    assert [api.client.get(memories("bob"), headers=api.as_user("bob")).status_code for _ in range(3)] == [
        200
    ] * 3


def test_one_user_cannot_spend_another_users_budget(limited: tuple[Api, FakeClock]) -> None:
    """An app key with alice's token asking for bob's data is charged to alice (the token), not to bob."""
    api, _ = limited
    codes = [api.client.get(memories("bob"), headers=api.as_user("alice")).status_code for _ in range(5)]
    assert codes == [403, 403, 403, 429, 429]
    assert [api.client.get(memories("bob"), headers=api.as_user("bob")).status_code for _ in range(3)] == [
        200
    ] * 3


def test_admin_calls_on_behalf_of_a_user_count_against_that_user(limited: tuple[Api, FakeClock]) -> None:
    api, _ = limited
    for _ in range(3):
        assert api.client.get(memories("alice"), headers=api.admin).status_code == 200
    refused = api.client.get(memories("alice"), headers=api.as_user("alice"))
    assert refused.status_code == 429 and refused.json()["error"]["details"]["limit"]["scope"] == "user"
    assert api.client.get(memories("bob"), headers=api.admin).status_code == 200


def test_the_key_budget_caps_all_its_users_together(api_factory: Callable[..., Api]) -> None:
    api = with_clock(api_factory(rate_limit_memory_per_minute=6, rate_limit_memory_burst=4), FakeClock())
    codes = [
        api.client.get(memories(u), headers=api.as_user(u)).status_code for u in ("a", "a", "b", "b", "c")
    ]
    assert codes == [200, 200, 200, 200, 429]
    refused = api.client.get(memories("d"), headers=api.as_user("d"))
    assert refused.json()["error"]["details"]["limit"] == {
        "route_class": "memory",
        "scope": "key",
        "per_minute": 6.0,
        "burst": 4,
    }
    # another key has its own budget
    assert api.client.get(memories("d"), headers=api.admin).status_code == 200


def test_route_classes_have_separate_budgets(api_factory: Callable[..., Api]) -> None:
    api = with_clock(
        api_factory(**LOW, rate_limit_events_user_per_minute=6, rate_limit_events_user_burst=1), FakeClock()
    )
    alice = api.as_user("alice")
    for _ in range(3):
        api.client.get(memories("alice"), headers=alice)
    assert api.client.get(memories("alice"), headers=alice).status_code == 429
    assert api.client.get("/v1/users/alice/feed", headers=alice).status_code == 200
    event = {"event_id": "e1", "user_id": "alice", "item_id": "nothing", "type": "view"}
    assert api.client.post("/v1/events", json={"events": [event]}, headers=alice).status_code == 200
    again = api.client.post("/v1/events", json={"events": [event]}, headers=alice)
    assert again.status_code == 429 and again.json()["error"]["details"]["limit"]["route_class"] == "events"


def test_health_metrics_and_docs_are_never_limited(api_factory: Callable[..., Api]) -> None:
    tiny = {
        f"rate_limit_{c}_{k}": 1 for c in ("events", "feed", "memory", "admin", "default") for k in ("burst",)
    }
    api = with_clock(api_factory(**tiny), FakeClock())
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs", "/metrics"):
        for _ in range(3):
            r = api.client.get(path)
            assert r.status_code != 429, path
            assert "X-RateLimit-Limit" not in r.headers, path
    codes = [api.client.get(memories("alice"), headers=api.admin).status_code for _ in range(2)]
    assert codes == [200, 429]  # while a /v1 route is limited at these settings


def test_requests_without_a_valid_key_are_refused_by_auth_and_spend_nothing(
    limited: tuple[Api, FakeClock],
) -> None:
    api, _ = limited
    for headers in (
        {},
        {"X-API-Key": "mf_nothing_here"},
        {"X-API-Key": api.app_key, "Authorization": "Bearer x"},
    ):
        codes = {api.client.get(memories("alice"), headers=headers).status_code for _ in range(5)}
        assert codes == {401}
    app: Any = api.client.app
    assert app.state.rate_limiter.refused == {}
    assert [
        api.client.get(memories("alice"), headers=api.as_user("alice")).status_code for _ in range(3)
    ] == [200] * 3


def test_limits_are_off_with_rate_limit_enabled_false(
    api_factory: Callable[..., Api], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEMFEED_RATE_LIMIT_ENABLED", "false")
    api = api_factory(rate_limit_memory_user_per_minute=6, rate_limit_memory_user_burst=1)
    assert not api.settings.rate_limit_enabled
    answers = [api.client.get(memories("alice"), headers=api.as_user("alice")) for _ in range(5)]
    assert {r.status_code for r in answers} == {200}
    assert all("X-RateLimit-Limit" not in r.headers for r in answers)


def test_every_route_is_in_the_expected_class_and_documents_429(api: Api) -> None:
    expected = {
        ("POST", "/v1/events"): RouteClass.events,
        ("GET", "/v1/users/{user_id}/feed"): RouteClass.feed,
        ("GET", "/v1/items/{item_id}/similar"): RouteClass.feed,
        ("POST", "/v1/users/{user_id}/memories"): RouteClass.memory,
        ("GET", "/v1/users/{user_id}/memories/search"): RouteClass.memory,
        ("DELETE", "/v1/users/{user_id}/memories/{memory_id}"): RouteClass.memory,
        ("POST", "/v1/admin/retrain"): RouteClass.admin,
        ("PUT", "/v1/items/{item_id}"): RouteClass.admin,
        ("POST", "/v1/items"): RouteClass.admin,
        ("DELETE", "/v1/items/{item_id}"): RouteClass.admin,
        ("GET", "/v1/items/{item_id}"): RouteClass.default,
        ("PUT", "/v1/users/{user_id}"): RouteClass.default,
    }
    for (method, path), klass in expected.items():
        assert route_class(method, path) == klass, (method, path)
    openapi = api.client.get("/openapi.json").json()["paths"]
    for route in api.client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            for method in route.methods:
                documented = openapi[route.path][method.lower()]["responses"]
                assert ("429" in documented) == route.path.startswith("/v1/"), (method, route.path)


# --- shared limits over Redis --------------------------------------------------------------------------


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    if not REDIS_URL:
        pytest.skip("MEMFEED_TEST_REDIS_URL is not set")
    import redis

    prefix = f"memfeed-test:{uuid.uuid4().hex}"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def two_instances(api_factory: Callable[..., Api], prefix: str, **overrides: Any) -> tuple[Api, Api]:
    """Two apps over one database (so one key works on both) and one Redis, like two hosts behind a balancer."""
    shared = {"redis_url": REDIS_URL, "rate_limit_redis_prefix": prefix, **overrides}
    first = api_factory(**shared)
    second = api_factory(database_url=first.settings.database_url, **shared)
    return first, second


def test_user_budget_is_shared_by_two_instances_over_redis(
    api_factory: Callable[..., Api], redis_prefix: str
) -> None:
    one, two = two_instances(
        api_factory, redis_prefix, rate_limit_memory_user_per_minute=0.6, rate_limit_memory_user_burst=4
    )
    codes = [
        (one if n % 2 == 0 else two).client.get(memories("alice"), headers=one.as_user("alice")).status_code
        for n in range(6)
    ]
    assert codes == [200, 200, 200, 200, 429, 429]
    assert two.client.get(memories("bob"), headers=two.as_user("bob")).status_code == 200


def test_key_budget_is_shared_by_two_instances_over_redis(
    api_factory: Callable[..., Api], redis_prefix: str
) -> None:
    one, two = two_instances(
        api_factory, redis_prefix, rate_limit_memory_per_minute=0.6, rate_limit_memory_burst=3
    )
    codes = [
        (one if n % 2 == 0 else two).client.get(memories(f"u{n}"), headers=one.admin).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
    refused = two.client.get(memories("u9"), headers=one.admin)
    assert refused.json()["error"]["details"]["limit"]["scope"] == "key"
    assert int(refused.headers["Retry-After"]) >= 1


def test_redis_buckets_refill_with_the_servers_clock(
    api_factory: Callable[..., Api], redis_prefix: str
) -> None:
    one, two = two_instances(
        api_factory, redis_prefix, rate_limit_memory_user_per_minute=30, rate_limit_memory_user_burst=2
    )  # a token every 2 s: slow enough that a loaded machine still sees the refusal, fast enough to wait for
    alice = one.as_user("alice")
    assert [one.client.get(memories("alice"), headers=alice).status_code for _ in range(2)] == [200, 200]
    refused = two.client.get(memories("alice"), headers=alice)
    assert refused.status_code == 429 and refused.headers["Retry-After"] in {"1", "2"}
    deadline = time.monotonic() + 10
    while two.client.get(memories("alice"), headers=alice).status_code == 429:
        assert time.monotonic() < deadline, "the bucket never refilled"
        time.sleep(0.05)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_requests_are_served_when_redis_is_down(
    api_factory: Callable[..., Api], caplog: pytest.LogCaptureFixture
) -> None:
    api = api_factory(
        redis_url=f"redis://127.0.0.1:{closed_port()}/0",
        rate_limit_memory_user_per_minute=6,
        rate_limit_memory_user_burst=1,
    )
    logger = logging.getLogger(
        "memfeed.platform.ratelimit"
    )  # the app's logging config does not propagate to caplog
    logger.addHandler(caplog.handler)
    try:
        answers = [api.client.get(memories("alice"), headers=api.as_user("alice")) for _ in range(5)]
    finally:
        logger.removeHandler(caplog.handler)
    assert {r.status_code for r in answers} == {200}
    app: Any = api.client.app
    assert app.state.rate_limiter.unchecked == 5 and app.state.rate_limiter.backend_errors >= 1
    assert any("fail open" in r.getMessage() for r in caplog.records)
