"""Token-bucket maths and the bucket stores, with an injected clock (and real Redis when configured)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from memfeed.platform.ratelimit import (
    BackendUnavailable,
    Bucket,
    Decision,
    LocalBuckets,
    Policy,
    Rate,
    RateLimiter,
    RedisBuckets,
    RouteClass,
    refill,
    settle,
)

REDIS_URL = os.environ.get("MEMFEED_TEST_REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="MEMFEED_TEST_REDIS_URL is not set")


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


SIX_A_MINUTE = Rate(per_minute=6, burst=3)  # one token every 10 s


def test_refill_is_linear_capped_at_burst_and_ignores_clock_steps_back() -> None:
    assert refill(0.0, 10.0, SIX_A_MINUTE) == pytest.approx(1.0)
    assert refill(0.5, 5.0, SIX_A_MINUTE) == pytest.approx(1.0)
    assert refill(0.0, 3600.0, SIX_A_MINUTE) == 3.0
    assert refill(1.0, -50.0, SIX_A_MINUTE) == 1.0


def test_settle_takes_from_every_bucket_or_from_none() -> None:
    roomy, tight = Rate(60, 10), Rate(6, 3)
    allowed, after, binding, retry = settle([5.0, 2.0], [roomy, tight])
    assert (allowed, after, binding, retry) == (True, [4.0, 1.0], 1, 0.0)

    allowed, after, binding, retry = settle([5.0, 0.25], [roomy, tight])
    assert not allowed
    assert after == [5.0, 0.25]  # the roomy bucket pays nothing for a refused request
    assert binding == 1
    assert retry == pytest.approx(7.5)  # 0.75 token at 0.1 token/s


def test_settle_names_the_longest_wait_when_several_buckets_refuse() -> None:
    fast, slow = Rate(600, 5), Rate(6, 5)
    allowed, _, binding, retry = settle([0.0, 0.5], [fast, slow])
    assert not allowed and binding == 1 and retry == pytest.approx(5.0)


def test_local_buckets_allow_the_burst_then_refuse_until_a_token_refills() -> None:
    clock = FakeClock()
    store = LocalBuckets(clock)
    bucket = [Bucket("feed:user:alice", SIX_A_MINUTE, "user")]
    remaining = [store.take(bucket).remaining for _ in range(3)]
    assert remaining == [2, 1, 0]
    refused = store.take(bucket)
    assert not refused.allowed and refused.retry_after == pytest.approx(10.0)
    clock.advance(9.0)
    assert store.take(bucket).retry_after == pytest.approx(1.0)
    clock.advance(1.0)
    assert store.take(bucket).allowed
    assert not store.take(bucket).allowed
    clock.advance(3600)
    assert [store.take(bucket).allowed for _ in range(4)] == [True, True, True, False]


def test_local_buckets_forget_full_buckets_so_memory_follows_active_users() -> None:
    clock = FakeClock()
    store = LocalBuckets(clock, sweep_at=10)
    for n in range(10):
        store.take([Bucket(f"feed:user:u{n}", SIX_A_MINUTE, "user")])
    clock.advance(60)  # every one of them is full again
    store.take([Bucket("feed:user:late", SIX_A_MINUTE, "user")])
    store.take([Bucket("feed:user:later", SIX_A_MINUTE, "user")])
    assert len(store) <= 2


def test_local_buckets_never_hand_out_more_than_the_burst_under_threads() -> None:
    store = LocalBuckets(FakeClock())  # the clock never moves: no refill
    bucket = [Bucket("events:key:k", Rate(60, 100), "key")]
    allowed: list[bool] = []
    lock = threading.Lock()

    def hammer() -> None:
        mine = [store.take(bucket).allowed for _ in range(50)]
        with lock:
            allowed.extend(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(allowed) == 100 and len(allowed) == 400


def test_limiter_charges_key_and_user_buckets_of_the_route_class() -> None:
    policies = {klass: Policy(Rate(60, 100), Rate(6, 2)) for klass in RouteClass}
    policies[RouteClass.admin] = Policy(Rate(60, 1), None)
    limiter = RateLimiter(policies, LocalBuckets(FakeClock()))
    assert [b.key for b in limiter.buckets(RouteClass.feed, "k1", "alice")] == [
        "feed:key:k1",
        "feed:user:alice",
    ]
    assert [b.key for b in limiter.buckets(RouteClass.admin, "k1", "alice")] == ["admin:key:k1"]
    assert [limiter.check(RouteClass.feed, "k1", "alice").allowed for _ in range(3)] == [True, True, False]  # type: ignore[union-attr]
    assert limiter.check(RouteClass.memory, "k1", "alice").allowed  # type: ignore[union-attr]
    assert limiter.refused == {("feed", "user"): 1}


class UnreachableStore:
    def __init__(self) -> None:
        self.calls = 0

    def take(self, buckets: Sequence[Bucket], cost: float = 1.0) -> Decision:
        self.calls += 1
        raise BackendUnavailable("ConnectionError: refused")

    def close(self) -> None:
        pass


def test_limiter_fails_open_counts_and_backs_off_when_the_store_is_down(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    store = UnreachableStore()
    limiter = RateLimiter(
        {k: Policy(Rate(60, 1), None) for k in RouteClass}, store, backoff_seconds=2, clock=clock
    )
    with caplog.at_level("WARNING", logger="memfeed.platform.ratelimit"):
        assert [limiter.check(RouteClass.events, "k") for _ in range(5)] == [None] * 5
    assert store.calls == 1  # the backoff spares a dead store (and the request) a timeout each time
    clock.advance(2.5)
    assert limiter.check(RouteClass.events, "k") is None
    assert store.calls == 2
    assert limiter.unchecked == 6 and limiter.backend_errors == 2
    assert [r.levelname for r in caplog.records] == ["WARNING"]  # logged, not once per request


@pytest.fixture
def redis_store() -> Iterator[tuple[RedisBuckets, Any, str]]:
    if not REDIS_URL:
        pytest.skip("MEMFEED_TEST_REDIS_URL is not set")
    prefix = f"memfeed-test:{uuid.uuid4().hex}"
    store = RedisBuckets.from_url(REDIS_URL, prefix, 1.0)
    client = store._client
    try:
        yield store, client, prefix
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        store.close()


def test_redis_buckets_follow_the_same_maths(redis_store: tuple[RedisBuckets, Any, str]) -> None:
    store, _, _ = redis_store
    slow = Rate(per_minute=0.6, burst=2)  # a token every 100 s: nothing refills during the test
    user = Bucket("memory:user:alice", slow, "user")
    key = Bucket("memory:key:k", Rate(per_minute=60, burst=3), "key")
    first = store.take([key, user])
    assert first.allowed and first.bucket == user and first.remaining == 1
    assert store.take([key, user]).allowed
    refused = store.take([key, user])
    assert not refused.allowed and refused.bucket == user and refused.remaining == 0
    assert 99.0 < refused.retry_after <= 100.0
    after = store.take([key])  # the refused request took nothing from the key's bucket
    assert after.allowed and after.remaining == 0


def test_redis_bucket_state_is_one_hash_per_bucket_with_a_ttl(
    redis_store: tuple[RedisBuckets, Any, str],
) -> None:
    store, client, prefix = redis_store
    bucket = Bucket("feed:user:bob", Rate(per_minute=60, burst=5), "user")  # full again in 5 s
    store.take([bucket])
    state = client.hgetall(f"{prefix}:feed:user:bob")
    assert set(state) == {b"tokens", b"ts"} and float(state[b"tokens"]) == pytest.approx(4.0, abs=0.01)
    assert 0 < client.pttl(f"{prefix}:feed:user:bob") <= 6000


def test_redis_store_errors_become_backend_unavailable() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = RedisBuckets.from_url(f"redis://127.0.0.1:{port}/0", "x", 0.25)
    with pytest.raises(BackendUnavailable):
        store.take([Bucket("feed:key:k", Rate(60, 1), "key")])
    store.close()
