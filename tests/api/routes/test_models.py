"""Serving trained models: champion factors, fold-in before retrain, hot swap under load, rollback, refusal
of corrupt artifacts, and the admin retrain trigger."""

from __future__ import annotations

import threading
import time
from collections import Counter

from memfeed.demo.data import DemoDataset
from tests.conftest import Api, TrainedDemo


def test_feed_serves_the_champion(api_factory, trained_demo: TrainedDemo, demo_data: DemoDataset) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", trained=trained_demo)
    user = demo_data.users[0].user_id
    feed = api.feed(user, limit=10)
    assert feed["model_version"] == trained_demo.champion
    models = api.client.get("/v1/admin/models", headers=api.admin).json()
    assert models["champion"] == trained_demo.champion and models["serving"] == trained_demo.champion
    assert {m["version"] for m in models["items"]} == {trained_demo.champion, trained_demo.challenger}


def test_new_likes_move_the_feed_before_any_retrain(
    api_factory,
    trained_demo: TrainedDemo,
    demo_data: DemoDataset,  # type: ignore[no-untyped-def]
) -> None:
    api = api_factory("sqlite", trained=trained_demo)
    category = {i.item_id: i.category for i in demo_data.items}
    user = next(u for u in demo_data.users if len(u.tastes) == 1)
    new_topic = next(
        t for t in sorted(set(category.values())) if t not in user.tastes and t not in user.dislikes
    )
    before = Counter(category[i["item_id"]] for i in api.feed(user.user_id, limit=10)["items"])
    liked = [i.item_id for i in demo_data.items if i.category == new_topic][:6]
    api.send(
        [
            {"event_id": f"foldin-{n}", "user_id": user.user_id, "item_id": item, "type": "like"}
            for n, item in enumerate(liked)
        ]
    )
    after = api.feed(user.user_id, limit=10)
    counts = Counter(category[i["item_id"]] for i in after["items"])
    assert after["model_version"] == trained_demo.champion
    assert counts[new_topic] >= before[new_topic] + 3, (before, counts)


def test_swap_under_concurrent_load_has_no_failed_request(
    api_factory,
    trained_demo: TrainedDemo,
    demo_data: DemoDataset,  # type: ignore[no-untyped-def]
) -> None:
    api: Api = api_factory("sqlite", trained=trained_demo)
    users = [u.user_id for u in demo_data.users[:20]]
    failures: list[str] = []
    versions: list[str] = []
    stop = threading.Event()

    def hammer(offset: int) -> None:
        n = offset
        while not stop.is_set():
            r = api.client.get(
                f"/v1/users/{users[n % len(users)]}/feed", params={"limit": 10}, headers=api.admin
            )
            n += 1
            if r.status_code != 200:
                failures.append(f"{r.status_code} {r.text[:200]}")
            else:
                versions.append(r.json()["model_version"])

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for path in (
            f"/v1/admin/models/{trained_demo.challenger}/promote",
            "/v1/admin/models/rollback",
            f"/v1/admin/models/{trained_demo.challenger}/promote",
        ):
            time.sleep(0.7)
            r = api.client.post(path, headers=api.admin)
            assert r.status_code == 200, r.text
        time.sleep(0.7)
        marker = len(versions)
        time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures
    assert len(versions) > 20
    assert {trained_demo.champion, trained_demo.challenger} <= set(versions)
    assert set(versions[marker:]) == {trained_demo.challenger}


def test_corrupt_version_is_refused_and_champion_keeps_serving(
    api_factory,
    trained_demo: TrainedDemo,
    demo_data: DemoDataset,  # type: ignore[no-untyped-def]
) -> None:
    api = api_factory("sqlite", trained=trained_demo)
    artifact = api.settings.models_dir / trained_demo.challenger / "factors" / "item_factors.npy"
    data = bytearray(artifact.read_bytes())
    data[-1] ^= 0xFF
    artifact.write_bytes(bytes(data))
    r = api.client.post(f"/v1/admin/models/{trained_demo.challenger}/promote", headers=api.admin)
    assert r.status_code == 409
    assert "item_factors.npy" in r.json()["error"]["message"]
    assert api.feed(demo_data.users[0].user_id)["model_version"] == trained_demo.champion
    assert api.client.get("/v1/admin/models", headers=api.admin).json()["champion"] == trained_demo.champion


def test_rollback_without_history_is_a_409(api_factory, trained_demo: TrainedDemo) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", trained=trained_demo)
    r = api.client.post("/v1/admin/models/rollback", headers=api.admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    missing = api.client.post("/v1/admin/models/nope/promote", headers=api.admin)
    assert missing.status_code == 404


def test_admin_retrain_answers_at_once_and_the_run_finishes(api_factory, trained_demo: TrainedDemo) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", trained=trained_demo)
    started = time.perf_counter()
    r = api.client.post("/v1/admin/retrain", params={"promote": "never"}, headers=api.admin)
    assert r.status_code == 202, r.text
    assert time.perf_counter() - started < 5
    run_id = r.json()["run_id"]
    again = api.client.post("/v1/admin/retrain", headers=api.admin)
    assert again.status_code == 409
    deadline = time.monotonic() + 240
    state = {}
    while time.monotonic() < deadline:
        state = api.client.get(f"/v1/admin/runs/{run_id}", headers=api.admin).json()
        if state["state"] in ("completed", "failed"):
            break
        time.sleep(1)
    assert state["state"] == "completed", state
    assert state["version"] and state["promoted"] is False
    assert state["metrics"]["memfeed"]["ndcg@10"] > 0
    metrics = api.client.get("/metrics").text
    assert 'memfeed_retrain_runs{state="completed"} 1.0' in metrics
    duration = next(
        line for line in metrics.splitlines() if line.startswith("memfeed_retrain_last_duration_seconds ")
    )
    assert float(duration.split()[1]) > 0
    assert api.client.get("/v1/admin/runs/" + "0" * 32, headers=api.admin).status_code == 404
    assert api.client.post("/v1/admin/retrain", headers={"X-API-Key": api.app_key}).status_code == 403
