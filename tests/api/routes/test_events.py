"""POST /v1/events: idempotent, per-event rejection, late events accepted, future ones refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.schema import Event
from tests.conftest import Api, topic_items


def stored_event_ids(api: Api) -> list[str]:
    with open_database(api.settings) as database, database.session() as session:
        ids = list(session.scalars(select(Event.event_id).order_by(Event.event_id)))
    return ids


def batch(n: int, user: str = "u1", prefix: str = "e") -> list[dict]:
    return [
        {"event_id": f"{prefix}{i}", "user_id": user, "item_id": f"space-{i % 12:02d}", "type": "view"}
        for i in range(n)
    ]


def test_resent_batch_counts_duplicates_not_events(api: Api) -> None:
    api.put_items(topic_items())
    first = api.send(batch(20))
    again = api.send(batch(20))
    assert (first["accepted"], first["duplicates"]) == (20, 0)
    assert (again["accepted"], again["duplicates"]) == (0, 20)
    assert len(stored_event_ids(api)) == 20


def test_duplicate_inside_one_batch_is_stored_once(api: Api) -> None:
    api.put_items(topic_items())
    events = batch(3) + batch(1)
    result = api.send(events)
    assert (result["accepted"], result["duplicates"]) == (3, 1)


def test_one_bad_event_does_not_reject_the_batch(api: Api) -> None:
    api.put_items(topic_items())
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    events = [
        {"event_id": "ok-1", "user_id": "u1", "item_id": "space-01", "type": "like"},
        {"event_id": "bad-type", "user_id": "u1", "item_id": "space-01", "type": "teleport"},
        {"event_id": "future", "user_id": "u1", "item_id": "space-01", "type": "like", "timestamp": future},
        {"event_id": "ghost", "user_id": "u1", "item_id": "no-such-item", "type": "like"},
        {"user_id": "u1", "item_id": "space-01", "type": "like"},
        {"event_id": "bad id!", "user_id": "u1", "item_id": "space-01", "type": "like"},
        {"event_id": "rating-no-value", "user_id": "u1", "item_id": "space-01", "type": "rating"},
        "not an object",
        {"event_id": "ok-2", "user_id": "u1", "item_id": "space-02", "type": "dwell", "value": 42},
    ]
    result = api.send(events)
    assert result["accepted"] == 2
    codes = {r["index"]: r["code"] for r in result["rejected"]}
    assert codes == {
        1: "validation_error",
        2: "timestamp_in_future",
        3: "unknown_item",
        4: "validation_error",
        5: "validation_error",
        6: "validation_error",
        7: "validation_error",
    }
    assert {r["event_id"] for r in result["rejected"] if r["index"] in (2, 3)} == {"future", "ghost"}
    assert all(r["message"] for r in result["rejected"])
    assert stored_event_ids(api) == ["ok-1", "ok-2"]


def test_late_events_are_accepted_and_near_future_tolerated(api: Api) -> None:
    api.put_items(topic_items())
    last_year = int((datetime.now(UTC) - timedelta(days=400)).timestamp())
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    result = api.send(
        [
            {
                "event_id": "old",
                "user_id": "u1",
                "item_id": "space-01",
                "type": "click",
                "timestamp": last_year,
            },
            {"event_id": "skew", "user_id": "u1", "item_id": "space-02", "type": "click", "timestamp": soon},
        ]
    )
    assert result == {"accepted": 2, "duplicates": 0, "rejected": []}


def test_rejected_event_can_be_resent_after_fix(api: Api) -> None:
    api.put_items(topic_items())
    bad = {"event_id": "late-item", "user_id": "u1", "item_id": "space-99", "type": "like"}
    assert api.send([bad])["rejected"][0]["code"] == "unknown_item"
    api.put_items(
        [{"item_id": "space-99", "title": "A new telescope sees the first stars", "category": "space"}]
    )
    assert api.send([bad])["accepted"] == 1


def test_batch_over_500_events_is_refused_whole(api: Api) -> None:
    api.put_items(topic_items())
    r = api.client.post("/v1/events", json={"events": batch(501)}, headers=api.admin)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "validation_error"
    assert stored_event_ids(api) == []


def test_accepted_events_are_not_changed_by_a_conflicting_resend(api: Api) -> None:
    api.put_items(topic_items())
    api.send([{"event_id": "x", "user_id": "u1", "item_id": "space-01", "type": "like"}])
    result = api.send([{"event_id": "x", "user_id": "u2", "item_id": "cooking-01", "type": "dislike"}])
    assert result["duplicates"] == 1
    with open_database(api.settings) as database, database.session() as session:
        row = session.scalars(select(Event).where(Event.event_id == "x")).one()
        assert (row.user_id, row.item_id, row.type) == ("u1", "space-01", "like")
        assert session.scalar(select(func.count()).select_from(Event)) == 1
