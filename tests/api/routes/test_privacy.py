"""GDPR export and erasure: what an export holds, who may ask, that an erasure leaves no trace anywhere (database,
memory cache, the serving model and models loaded later) while other users keep everything, and its audit row."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, inspect, select, table, text

from memfeed.catalog.embedding import Embedder
from memfeed.demo.data import DemoDataset
from memfeed.feed.records import FeedQuery
from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.schema import Erasure, MemoryRevision
from memfeed.runtime import Runtime, build_runtime
from tests.conftest import Api, TrainedDemo, topic_items

U = "u-erin"
B = "u-bob"
COLD_REASONS = {"popular now", "new this week"}


def remember(api: Api, user: str, text_: str, **fields: Any) -> dict[str, Any]:
    r = api.client.post(f"/v1/users/{user}/memories", json={"text": text_, **fields}, headers=api.admin)
    assert r.status_code == 201, r.text
    return r.json()["memory"]


def export(api: Api, user: str, expect: int = 200, headers: dict[str, str] | None = None) -> dict[str, Any]:
    r = api.client.get(f"/v1/users/{user}/export", headers=api.admin if headers is None else headers)
    assert r.status_code == expect, r.text
    return r.json()


def erase(api: Api, user: str, expect: int = 204, headers: dict[str, str] | None = None) -> None:
    r = api.client.delete(f"/v1/users/{user}", headers=api.admin if headers is None else headers)
    assert r.status_code == expect, r.text


def search(api: Api, user: str, q: str) -> list[dict[str, Any]]:
    r = api.client.get(f"/v1/users/{user}/memories/search", params={"q": q}, headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def rows_per_user_table(api: Api, user_id: str) -> dict[str, int]:
    """Rows naming `user_id` in every table of the live database that has a user_id column (reflected, so a
    table added by a later migration is checked without this test changing)."""
    with open_database(api.settings) as database, database.engine.connect() as conn:
        inspector = inspect(conn)
        counts = {}
        for name in inspector.get_table_names():
            if any(c["name"] == "user_id" for c in inspector.get_columns(name)):
                query = select(func.count()).select_from(table(name)).where(text("user_id = :u"))
                counts[name] = conn.execute(query, {"u": user_id}).scalar_one()
        return counts


def erasure_rows(api: Api) -> list[Erasure]:
    with open_database(api.settings) as database, database.session() as session:
        return list(session.scalars(select(Erasure).order_by(Erasure.id)))


def revision_count(api: Api, memory_ids: list[str]) -> int:
    with open_database(api.settings) as database, database.session() as session:
        query = select(func.count()).select_from(MemoryRevision)
        return session.scalar(query.where(MemoryRevision.memory_id.in_(memory_ids))) or 0


def old_events(user: str, n: int, prefix: str) -> list[dict[str, Any]]:
    """Events older than the popularity window (ten years): erasing them leaves popularity, and so other
    users' feeds, exactly as they were."""
    items = [i["item_id"] for i in topic_items()]
    return [
        {
            "event_id": f"{prefix}-{k}",
            "user_id": user,
            "item_id": items[k % len(items)],
            "type": ("like", "view", "rating", "dwell")[k % 4],
            "value": (None, None, 4.0, 30.0)[k % 4],
            "timestamp": 1_262_304_000 + k,  # 2010-01-01 onwards
            "context": {"screen": "home", "n": k},
        }
        for k in range(n)
    ]


def seed_two_users(api: Api) -> dict[str, Any]:
    api.put_items(topic_items())
    for user in (U, B):
        r = api.client.put(
            f"/v1/users/{user}", json={"traits": {"plan": "pro", "name": user}}, headers=api.admin
        )
        assert r.status_code == 201, r.text
    api.send(old_events(U, 40, "erin"))
    api.send(
        [
            {"event_id": f"bob-{k}", "user_id": B, "item_id": f"space-{k:02d}", "type": "like"}
            for k in range(4)
        ]
    )
    mine = remember(api, U, "I keep bees on my roof in Lisbon", kind="fact")
    r = api.client.patch(
        f"/v1/users/{U}/memories/{mine['memory_id']}",
        json={"text": "I keep two hives of bees on my roof in Lisbon"},
        headers=api.admin,
    )
    assert r.status_code == 200, r.text
    pref = remember(api, U, "I love stories about space exploration", kind="preference")
    theirs = remember(api, B, "I play the cello in an amateur orchestra")
    return {"erin_memories": [mine["memory_id"], pref["memory_id"]], "bob_memory": theirs}


# --- export -----------------------------------------------------------------------------------------


def test_export_holds_traits_every_event_and_memories_with_history(api: Api) -> None:
    api.put_items(topic_items())
    r = api.client.put(f"/v1/users/{U}", json={"traits": {"plan": "pro", "age": 41}}, headers=api.admin)
    assert r.status_code == 201
    sent = old_events(U, 1105, "exp")  # more than one page of events
    for start in range(0, len(sent), 500):
        assert api.send(sent[start : start + 500])["accepted"] == len(sent[start : start + 500])
    memory = remember(api, U, "I am allergic to peanuts", session_id="chat-1", metadata={"source": "chat"})
    r = api.client.patch(
        f"/v1/users/{U}/memories/{memory['memory_id']}",
        json={"text": "I am allergic to peanuts and cashews"},
        headers=api.admin,
    )
    assert r.status_code == 200
    remember(api, U, "Planning a trip to Kyoto in April", kind="episode")
    remember(api, B, "someone else's memory")

    body = export(api, U)

    assert body["user_id"] == U
    assert body["profile"]["traits"] == {"plan": "pro", "age": 41}
    assert body["profile"]["created_at"] and body["profile"]["updated_at"]
    events = body["events"]
    assert [e["event_id"] for e in events] == [e["event_id"] for e in sent]  # all of them, oldest first
    by_id = {e["event_id"]: e for e in events}
    rating = by_id["exp-2"]
    assert rating["item_id"] == sent[2]["item_id"] and rating["type"] == "rating" and rating["value"] == 4.0
    assert rating["timestamp"].startswith("2010-01-01T00:00:02") and rating["context"] == {
        "screen": "home",
        "n": 2,
    }
    assert rating["received_at"]
    texts = {m["text"]: m for m in body["memories"]}
    assert set(texts) == {"I am allergic to peanuts and cashews", "Planning a trip to Kyoto in April"}
    allergy = texts["I am allergic to peanuts and cashews"]
    assert allergy["session_id"] == "chat-1" and allergy["metadata"] == {"source": "chat"}
    assert [(h["text"], h["reason"]) for h in allergy["history"]] == [("I am allergic to peanuts", "update")]
    assert texts["Planning a trip to Kyoto in April"]["history"] == []
    assert body["other"] == {}
    assert "someone else's memory" not in str(body)


def test_export_of_a_user_with_memories_only_has_no_profile(api: Api) -> None:
    remember(api, U, "I prefer window seats")
    body = export(api, U)
    assert body["profile"] is None and body["events"] == []
    assert [m["text"] for m in body["memories"]] == ["I prefer window seats"]


def test_export_of_an_unknown_user_is_404(api: Api) -> None:
    r = api.client.get("/v1/users/nobody-here/export", headers=api.admin)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_only_the_user_or_an_admin_may_export_or_erase(api: Api) -> None:
    remember(api, U, "I prefer aisle seats")
    for method in ("get", "delete"):
        path = f"/v1/users/{U}/export" if method == "get" else f"/v1/users/{U}"
        other = api.client.request(method.upper(), path, headers=api.as_user(B))
        assert other.status_code == 403 and other.json()["error"]["code"] == "forbidden"
        tokenless = api.client.request(method.upper(), path, headers={"X-API-Key": api.app_key})
        assert tokenless.status_code == 401 and tokenless.json()["error"]["code"] == "unauthorized"
        keyless = api.client.request(method.upper(), path)
        assert keyless.status_code == 401
    assert export(api, U, headers=api.as_user(U))["memories"][0]["text"] == "I prefer aisle seats"
    erase(api, U, headers=api.as_user(U))
    export(api, U, expect=404)
    (audit,) = erasure_rows(api)
    assert audit.scope == "app" and audit.key_id in api.app_key


# --- erasure ----------------------------------------------------------------------------------------


def test_erasure_leaves_no_trace_and_other_users_keep_everything(api: Api) -> None:
    seeded = seed_two_users(api)
    assert search(api, U, "I keep two hives of bees on my roof in Lisbon")  # cached in this process
    assert any(n for n in rows_per_user_table(api, U).values())
    bob_feed = api.feed(B, limit=10)
    bob_export = export(api, B)
    bob_search = search(api, B, "cello orchestra")
    stranger_feed = api.feed("u-never-seen", limit=10)
    assert api.feed(U, limit=10)["items"] != stranger_feed["items"]  # their events exclude what they saw

    erase(api, U)

    assert rows_per_user_table(api, U) == dict.fromkeys(rows_per_user_table(api, U), 0)
    assert set(rows_per_user_table(api, U)) >= {"users", "events", "memories", "memory_versions"}
    assert revision_count(api, seeded["erin_memories"]) == 0
    feed = api.feed(U, limit=10)
    assert {i["reason"] for i in feed["items"]} <= COLD_REASONS
    assert [i["item_id"] for i in feed["items"]] == [i["item_id"] for i in stranger_feed["items"]]
    assert search(api, U, "I keep two hives of bees on my roof in Lisbon") == []
    assert search(api, U, "I love stories about space exploration") == []
    export(api, U, expect=404)

    assert api.feed(B, limit=10) == bob_feed
    after = export(api, B)
    assert {k: v for k, v in after.items() if k != "exported_at"} == {
        k: v for k, v in bob_export.items() if k != "exported_at"
    }
    assert search(api, B, "cello orchestra") == bob_search

    (audit,) = erasure_rows(api)
    assert audit.key_id in api.admin_key and audit.scope == "admin"
    assert audit.removed == {
        "users": 1,
        "events": 40,
        "memories": 2,
        "memory_revisions": 1,
        "model_users": 0,
    }
    columns = {c.key: getattr(audit, c.key) for c in Erasure.__mapper__.column_attrs}
    assert U not in repr(columns) and U.encode().hex() not in repr(columns)
    assert hashlib.sha256(U.encode()).hexdigest() not in repr(columns)
    assert audit.subject_digest == api.client.app.state.runtime.privacy.subject_digest(U)  # type: ignore[attr-defined]


def test_erasing_twice_or_an_unknown_user_answers_204(api: Api) -> None:
    seed_two_users(api)
    erase(api, U)
    erase(api, U)
    erase(api, "u-never-existed")
    audits = erasure_rows(api)
    assert len(audits) == 3
    assert audits[0].removed["events"] == 40
    assert all(sum(a.removed.values()) == 0 for a in audits[1:])
    assert rows_per_user_table(api, U) == dict.fromkeys(rows_per_user_table(api, U), 0)
    assert rows_per_user_table(api, "u-never-existed") == dict.fromkeys(rows_per_user_table(api, U), 0)


# --- the champion model -----------------------------------------------------------------------------


def test_erasure_drops_the_users_factors_from_every_serving_and_later_loaded_model(
    api_factory,  # type: ignore[no-untyped-def]
    trained_demo: TrainedDemo,
    demo_data: DemoDataset,
    embedder: Embedder,
) -> None:
    api: Api = api_factory("sqlite", trained=trained_demo)
    runtime: Runtime = api.client.app.state.runtime  # type: ignore[attr-defined]
    user, neighbour = demo_data.users[0].user_id, demo_data.users[1].user_id
    model = runtime.feeds.model
    assert model is not None and model.version == trained_demo.champion
    assert model.factors.stored_user(user) is not None
    running_worker = build_runtime(api.settings, embedder=embedder)  # another worker, already serving
    workers = [running_worker]
    try:
        assert running_worker.feeds.model is not None
        assert running_worker.feeds.model.factors.stored_user(user) is not None
        stranger = [i["item_id"] for i in api.feed("u-never-seen", limit=10)["items"]]

        erase(api, user)

        assert model.factors.stored_user(user) is None  # the model this process serves
        assert model.factors.stored_user(neighbour) is not None
        feed = api.feed(user, limit=10)
        assert feed["model_version"] == trained_demo.champion
        assert {i["reason"] for i in feed["items"]} <= COLD_REASONS
        assert [i["item_id"] for i in feed["items"]] == stranger
        (audit,) = erasure_rows(api)
        assert audit.removed["model_users"] == 1 and audit.removed["events"] > 0

        # a worker that has not polled yet still serves no personal feed (the user has no events) ...
        page = running_worker.feeds.feed(FeedQuery(user, 10))
        assert {i.reason for i in page.items} <= COLD_REASONS
        # ... and drops the row at its next check
        running_worker.watcher.check()
        assert running_worker.feeds.model.factors.stored_user(user) is None
        assert running_worker.feeds.model.factors.stored_user(neighbour) is not None

        # a promote loads the challenger, which was trained with the user: they are dropped before it serves
        r = api.client.post(f"/v1/admin/models/{trained_demo.challenger}/promote", headers=api.admin)
        assert r.status_code == 200, r.text
        promoted = runtime.feeds.model
        assert promoted is not None and promoted.version == trained_demo.challenger
        assert promoted.factors.stored_user(user) is None
        assert promoted.factors.stored_user(neighbour) is not None

        # and so does a worker starting later
        starting_worker = build_runtime(api.settings, embedder=embedder)
        workers.append(starting_worker)
        assert starting_worker.feeds.model is not None
        assert starting_worker.feeds.model.version == trained_demo.challenger
        assert starting_worker.feeds.model.factors.stored_user(user) is None
        assert starting_worker.feeds.model.factors.stored_user(neighbour) is not None
        assert rows_per_user_table(api, user) == dict.fromkeys(rows_per_user_table(api, user), 0)
    finally:
        for worker in workers:
            worker.close()
