"""LLM memory over HTTP: store, dedup, contradictions, isolation, TTL, search relevance and filters,
activity recall, erasure, and bad input, on every configured database backend."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from memfeed.memory.repository import bump_version
from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.schema import Memory, MemoryRevision
from tests.conftest import Api, make_settings, memfeed_env, topic_items

U = "u-alice"
B = "u-bob"


def remember(api: Api, text: str, user: str = U, expect: int = 201, **fields: Any) -> dict[str, Any]:
    r = api.client.post(f"/v1/users/{user}/memories", json={"text": text, **fields}, headers=api.admin)
    assert r.status_code == expect, r.text
    return r.json()


def search(api: Api, q: str, user: str = U, **params: Any) -> list[dict[str, Any]]:
    r = api.client.get(f"/v1/users/{user}/memories/search", params={"q": q, **params}, headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()["results"]


def listing(api: Api, user: str = U, **params: Any) -> dict[str, Any]:
    r = api.client.get(f"/v1/users/{user}/memories", params=params, headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()


def all_listed(api: Api, user: str = U, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = listing(api, user, cursor=cursor, **params) if cursor else listing(api, user, **params)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def stored_count(api: Api, user: str | None = None) -> int:
    with open_database(api.settings) as database, database.session() as session:
        stmt = select(func.count()).select_from(Memory)
        if user is not None:
            stmt = stmt.where(Memory.user_id == user)
        count = session.scalar(stmt) or 0
    return count


MEMORY_FIELDS = {
    "memory_id",
    "text",
    "kind",
    "session_id",
    "metadata",
    "created_at",
    "updated_at",
    "occurred_at",
    "expires_at",
    "mentions",
}


def test_store_get_list_update_delete(api: Api) -> None:
    created = remember(api, "My sister lives in Toronto", kind="fact", metadata={"source": "chat"})
    assert created["merged"] is False
    memory = created["memory"]
    assert set(memory) == MEMORY_FIELDS
    assert memory["memory_id"].startswith("mem_") and memory["mentions"] == 1
    assert memory["metadata"] == {"source": "chat"} and memory["expires_at"] is None

    path = f"/v1/users/{U}/memories/{memory['memory_id']}"
    got = api.client.get(path, headers=api.admin).json()
    assert {k: got[k] for k in MEMORY_FIELDS} == memory and got["history"] == []

    patched = api.client.patch(path, json={"text": "My sister lives in Vancouver now"}, headers=api.admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["text"] == "My sister lives in Vancouver now"
    history = api.client.get(path, headers=api.admin).json()["history"]
    assert [(h["text"], h["reason"]) for h in history] == [("My sister lives in Toronto", "update")]
    assert search(api, "Where does my sister live?")[0]["text"] == "My sister lives in Vancouver now"

    assert api.client.delete(path, headers=api.admin).status_code == 204
    assert api.client.get(path, headers=api.admin).status_code == 404
    assert listing(api)["items"] == []


def test_list_is_newest_first_and_pages_without_repeats(api: Api) -> None:
    texts = [f"Fact number {n}: I visited city {n} on holiday" for n in range(23)]
    for text in texts:
        remember(api, text)
    items = all_listed(api, limit=5)
    assert [i["text"] for i in items] == list(reversed(texts))
    assert len({i["memory_id"] for i in items}) == 23
    first = listing(api, limit=5)
    remember(api, "A memory added between pages about tennis")
    second = listing(api, limit=5, cursor=first["next_cursor"])
    assert [i["text"] for i in second["items"]] == list(reversed(texts))[5:10]


def test_restatement_merges(api: Api) -> None:
    first = remember(api, "I am allergic to peanuts")
    again = remember(api, "I'm allergic to peanuts.", expect=200, metadata={"confirmed": True})
    assert again["merged"] is True
    memory = again["memory"]
    assert memory["memory_id"] == first["memory"]["memory_id"]
    assert memory["mentions"] == 2 and memory["text"] == "I'm allergic to peanuts."
    assert memory["metadata"] == {"confirmed": True}
    detail = api.client.get(f"/v1/users/{U}/memories/{memory['memory_id']}", headers=api.admin).json()
    assert [(h["text"], h["reason"]) for h in detail["history"]] == [("I am allergic to peanuts", "merge")]
    assert [i["memory_id"] for i in listing(api)["items"]] == [memory["memory_id"]]


def test_paraphrase_merges_but_contradiction_and_different_fact_do_not(api: Api) -> None:
    remember(api, "I love horror films")
    assert remember(api, "I really love horror movies", expect=200)["merged"] is True
    assert remember(api, "I don't like horror films")["merged"] is False
    assert remember(api, "I have two kids")["merged"] is False
    assert remember(api, "I have three kids")["merged"] is False
    assert remember(api, "I am allergic to shellfish")["merged"] is False
    assert len(listing(api)["items"]) == 5


def test_dedup_scope_is_session_and_kind(api: Api) -> None:
    remember(api, "I prefer window seats", session_id="s1")
    assert remember(api, "I prefer window seats", session_id="s2")["merged"] is False
    assert remember(api, "I prefer window seats", kind="preference", session_id="s1")["merged"] is False
    assert remember(api, "I prefer window seats.", session_id="s1", expect=200)["merged"] is True


def test_users_are_isolated(api: Api) -> None:
    mine = remember(api, "My bank PIN hint is the name of my first cat", session_id="s1", metadata={"t": 1})
    memory_id = mine["memory"]["memory_id"]
    remember(api, "I like jazz", user=B)
    for params in ({}, {"session_id": "s1"}, {"kind": "fact"}, {"metadata": '{"t": 1}'}, {"k": 50}):
        for result in search(api, "bank PIN hint name of my first cat", user=B, **params):
            assert result["memory_id"] != memory_id
    assert [i["text"] for i in all_listed(api, B)] == ["I like jazz"]
    assert all_listed(api, B, session_id="s1") == []
    path = f"/v1/users/{B}/memories/{memory_id}"
    for method in ("get", "delete"):
        r = getattr(api.client, method)(path, headers=api.admin)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert api.client.patch(path, json={"text": "x"}, headers=api.admin).status_code == 404
    assert remember(api, "My bank PIN hint is the name of my first cat", user=B)["merged"] is False
    assert api.client.get(f"/v1/users/{U}/memories/{memory_id}", headers=api.admin).status_code == 200


def test_app_key_reaches_only_its_own_users_memories(api: Api) -> None:
    r = api.client.post(f"/v1/users/{U}/memories", json={"text": "hello"}, headers=api.as_user(U))
    assert r.status_code == 201
    r = api.client.get(f"/v1/users/{U}/memories", headers=api.as_user(B))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    r = api.client.get(f"/v1/users/{U}/memories/search", params={"q": "hello"}, headers=api.as_user(B))
    assert r.status_code == 403
    assert api.client.get(f"/v1/users/{U}/memories").status_code == 401


def expire_now(api: Api, memory_id: str) -> None:
    """Move the memory's expiry into the past, as any writer must: with a bump of the user's version."""
    with open_database(api.settings) as database, database.session() as session:
        bump_version(session, U)
        past = datetime.now(UTC) - timedelta(seconds=1)
        session.execute(update(Memory).where(Memory.memory_id == memory_id).values(expires_at=past))


def test_expired_memories_are_never_served_and_purged(api: Api, prefect_harness: None) -> None:
    from pipelines.flows import purge_flow

    keep = remember(api, "My passport number ends in 4471")["memory"]
    short = remember(api, "The door code for the party is 8812", ttl_seconds=3600)["memory"]
    assert short["expires_at"] is not None
    assert search(api, "door code party 8812")[0]["memory_id"] == short["memory_id"]  # cached now
    expire_now(api, short["memory_id"])
    assert all(r["memory_id"] != short["memory_id"] for r in search(api, "door code party 8812", k=50))
    assert [i["memory_id"] for i in listing(api)["items"]] == [keep["memory_id"]]
    r = api.client.get(f"/v1/users/{U}/memories/{short['memory_id']}", headers=api.admin)
    assert r.status_code == 404
    assert remember(api, "The door code for the party is 8812")["merged"] is False  # no merge into expired

    directory = api.settings.var_dir
    with memfeed_env(make_settings(directory, api.settings.resolved_database_url)):
        purge_flow()
    with open_database(api.settings) as database, database.session() as session:
        ids = set(session.scalars(select(Memory.memory_id)))
    assert short["memory_id"] not in ids and keep["memory_id"] in ids


def test_small_ttl_expires_by_itself(api: Api) -> None:
    memory = remember(api, "Remind me that the oven is on", ttl_seconds=1)["memory"]
    search(api, "oven is on")  # caches the user while the memory is live (usually)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not any(i["memory_id"] == memory["memory_id"] for i in listing(api)["items"]):
            break
        time.sleep(0.1)
    assert search(api, "oven is on") == []


def test_search_finds_the_memory_about_the_question(api: Api) -> None:
    remember(api, "My daughter plays the violin in the school orchestra")
    remember(api, "I am training for the Berlin marathon in September")
    remember(api, "Our kitchen sink has been leaking since Tuesday")
    assert search(api, "What instrument does my child play?")[0]["text"].startswith("My daughter")
    assert search(api, "What race am I preparing for?")[0]["text"].startswith("I am training")
    assert search(api, "plumbing problem at home")[0]["text"].startswith("Our kitchen sink")
    results = search(api, "violin", k=3)
    assert len(results) == 3 and results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    assert set(results[0]) >= {"memory_id", "text", "kind", "score", "created_at", "occurred_at"}


def test_rare_name_or_number_ranks_its_memory_first(api: Api) -> None:
    remember(api, "My favourite restaurant serves excellent sushi")
    remember(api, "The dentist appointment is confirmation XK-7731")
    remember(api, "I met Oksana Zhdanovich at the conference")
    remember(api, "Lunch with an old friend from university was fun")
    assert search(api, "XK-7731")[0]["text"].startswith("The dentist")
    assert search(api, "Zhdanovich")[0]["text"].startswith("I met Oksana")
    lexical = search(api, "Zhdanovich", mode="lexical")
    assert [r["text"] for r in lexical] == ["I met Oksana Zhdanovich at the conference"]


def test_search_filters_exclude(api: Api) -> None:
    old = int((datetime.now(UTC) - timedelta(days=30)).timestamp())
    remember(api, "I bought running shoes", kind="episode", session_id="s1", occurred_at=old)
    remember(
        api, "I prefer running in the morning", kind="preference", session_id="s2", metadata={"t": "sport"}
    )
    remember(api, "I run five kilometres every day", metadata={"t": "sport", "n": 5})
    q = "running"

    def texts(**params: Any) -> set[str]:
        return {r["text"] for r in search(api, q, k=10, **params)}

    assert len(texts()) == 3
    assert texts(kind="episode") == {"I bought running shoes"}
    assert texts(kind="preference") == {"I prefer running in the morning"}
    assert texts(session_id="s1") == {"I bought running shoes"}
    week_ago = (datetime.now(UTC) - timedelta(days=7)).isoformat()
    assert "I bought running shoes" not in texts(since=week_ago)
    assert texts(until=week_ago) == {"I bought running shoes"}
    assert texts(metadata='{"t": "sport"}') == {
        "I prefer running in the morning",
        "I run five kilometres every day",
    }
    assert texts(metadata='{"t": "sport", "n": 5}') == {"I run five kilometres every day"}
    assert texts(kind="preference", session_id="s1") == set()
    assert listing(api, kind="episode")["items"][0]["text"] == "I bought running shoes"
    assert [i["text"] for i in listing(api, session_id="s2")["items"]] == ["I prefer running in the morning"]


def test_activity_recall(api: Api) -> None:
    api.put_items(topic_items())
    api.send(
        [
            {
                "event_id": "a1",
                "user_id": U,
                "item_id": "cooking-07",
                "type": "like",
                "timestamp": "2026-05-02T10:00:00Z",
            },
            {"event_id": "a2", "user_id": U, "item_id": "space-03", "type": "view"},
            {"event_id": "b1", "user_id": B, "item_id": "cooking-06", "type": "like"},
        ]
    )
    remember(api, "I want to learn to bake bread")
    results = search(api, "croissants baking", include_activity="true", k=5)
    activity = [r for r in results if r["kind"] == "activity"]
    assert activity[0]["text"] == "liked 'Baking flaky croissants at home' on 2026-05-02"
    assert activity[0]["memory_id"] is None
    assert all("French omelettes" not in r["text"] for r in results)  # bob's like
    assert all(r["kind"] != "activity" for r in search(api, "croissants baking"))
    only = search(api, "croissants", include_activity="true", kind="activity")
    assert only and all(r["kind"] == "activity" for r in only)


def test_erased_memories_never_come_back(api: Api) -> None:
    one = remember(api, "My locker combination is 31-07-12")["memory"]
    remember(api, "I am learning Portuguese")
    assert search(api, one["text"])[0]["memory_id"] == one["memory_id"]  # cached
    assert (
        api.client.delete(f"/v1/users/{U}/memories/{one['memory_id']}", headers=api.admin).status_code == 204
    )
    assert all(r["memory_id"] != one["memory_id"] for r in search(api, one["text"], k=50))
    assert all(r["memory_id"] != one["memory_id"] for r in search(api, one["text"], mode="lexical"))
    assert api.client.delete(f"/v1/users/{U}/memories", headers=api.admin).status_code == 204
    assert search(api, "I am learning Portuguese") == []
    assert listing(api)["items"] == []
    assert stored_count(api, U) == 0
    with open_database(api.settings) as database, database.session() as session:
        assert session.scalar(select(func.count()).select_from(MemoryRevision)) == 0


def test_a_write_by_another_process_is_seen_by_the_cache(api: Api) -> None:
    """A second app over the same database (another worker) deletes; this worker's cache must not serve it."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    memory = remember(api, "My cat is called Biscuit")["memory"]
    assert search(api, "cat Biscuit")[0]["memory_id"] == memory["memory_id"]
    with TestClient(create_app(api.settings)) as other:
        r = other.delete(f"/v1/users/{U}/memories/{memory['memory_id']}", headers=api.admin)
        assert r.status_code == 204
        other.post(f"/v1/users/{U}/memories", json={"text": "I ride a blue bicycle"}, headers=api.admin)
    assert [r["text"] for r in search(api, "cat Biscuit", k=50)] == ["I ride a blue bicycle"]


@pytest.mark.parametrize(
    "body",
    [
        {"text": ""},
        {"text": "   \n\t "},
        {"text": "x" * 4001},
        {"text": "nul \u0000 inside"},
        {"text": "ok", "metadata": ["not", "an", "object"]},
        {"text": "ok", "metadata": "string"},
        {"text": "ok", "metadata": {"k": "v\u0000"}},
        {"text": "ok", "ttl_seconds": -5},
        {"text": "ok", "ttl_seconds": 0},
        {"text": "ok", "kind": "Not A Kind!"},
        {"text": "ok", "kind": "k" * 65},
        {"text": "ok", "kind": "activity"},
        {"text": "ok", "session_id": "bad id!"},
        {"text": "ok", "occurred_at": "yesterday"},
        {"text": "ok", "surprise": 1},
        {"text": 42},
    ],
)
def test_bad_memory_input_is_a_422(api: Api, body: dict[str, Any]) -> None:
    r = api.client.post(f"/v1/users/{U}/memories", json=body, headers=api.admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert stored_count(api) == 0


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x", "k": 0},
        {"q": "x", "k": 51},
        {"q": ""},
        {"q": "   "},
        {"q": "x" * 4001},
        {"q": "a\u0000b"},
        {"q": "x", "kind": "Bad-Kind"},
        {"q": "x", "session_id": "no spaces allowed"},
        {"q": "x", "since": "not a date"},
        {"q": "x", "metadata": "[1, 2]"},
        {"q": "x", "metadata": "{broken"},
        {"q": "x", "mode": "magic"},
        {},
    ],
)
def test_bad_search_input_is_a_4xx(api: Api, params: dict[str, Any]) -> None:
    r = api.client.get(f"/v1/users/{U}/memories/search", params=params, headers=api.admin)
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] in {"validation_error", "bad_request"}


def test_bad_cursor_unknown_id_and_bad_patch_are_4xx(api: Api) -> None:
    memory = remember(api, "I keep bees")["memory"]
    for cursor in ("garbage", "eyJzIjoieCJ9.AAAA", "a" * 100):
        r = api.client.get(f"/v1/users/{U}/memories", params={"cursor": cursor}, headers=api.admin)
        assert r.status_code == 400 and r.json()["error"]["code"] == "bad_request"
    for _ in range(3):
        remember(api, f"I keep {_ + 2} hives of bees in the garden")
    foreign = listing(api, B if False else U, limit=1)["next_cursor"]
    r = api.client.get(f"/v1/users/{B}/memories", params={"cursor": foreign}, headers=api.admin)
    assert r.status_code == 400
    r = api.client.get(
        f"/v1/users/{U}/memories", params={"cursor": foreign, "kind": "episode"}, headers=api.admin
    )
    assert r.status_code == 400
    for method, path, body in [
        ("get", f"/v1/users/{U}/memories/mem_unknown", None),
        ("patch", f"/v1/users/{U}/memories/mem_unknown", {"text": "x"}),
        ("delete", f"/v1/users/{U}/memories/mem_unknown", None),
    ]:
        r = api.client.request(method, path, json=body, headers=api.admin)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    path = f"/v1/users/{U}/memories/{memory['memory_id']}"
    for body in ({"text": ""}, {"metadata": [1]}, {"ttl_seconds": -1}, {"kind": "BAD"}, {"memory_id": "x"}):
        r = api.client.patch(path, json=body, headers=api.admin)
        assert r.status_code == 422, (body, r.text)
    r = api.client.get(f"/v1/users/{U}/memories", params={"limit": 0}, headers=api.admin)
    assert r.status_code == 422


def test_patch_ttl_and_kind(api: Api) -> None:
    memory = remember(api, "Pick up the dry cleaning", kind="episode", ttl_seconds=60)["memory"]
    path = f"/v1/users/{U}/memories/{memory['memory_id']}"
    patched = api.client.patch(path, json={"ttl_seconds": None, "kind": "todo"}, headers=api.admin).json()
    assert patched["expires_at"] is None and patched["kind"] == "todo"
    assert patched["text"] == "Pick up the dry cleaning"
    assert search(api, "dry cleaning", kind="todo")[0]["memory_id"] == memory["memory_id"]
    assert search(api, "dry cleaning", kind="episode") == []
