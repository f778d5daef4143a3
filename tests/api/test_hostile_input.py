"""Input that is valid JSON but hostile to a database or parser still gets a 4xx, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Api, topic_items


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("put", "/v1/items/nul", {"title": "bad\u0000title"}),
        ("put", "/v1/items/nul", {"title": "ok", "metadata": {"k": "v\u0000"}}),
        ("put", "/v1/items/nul", {"title": "ok", "metadata": {"k\u0000": 1}}),
        ("put", "/v1/items/nul", {"title": "ok", "tags": ["a\u0000"]}),
        ("put", "/v1/users/u", {"traits": {"name": "\u0000"}}),
    ],
)
def test_nul_characters_are_refused_not_stored(api: Api, method: str, path: str, body: dict) -> None:
    r = getattr(api.client, method)(path, json=body, headers=api.admin)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_nul_in_event_context_rejects_that_event_only(api: Api) -> None:
    api.put_items(topic_items())
    events = [
        {"event_id": "good", "user_id": "u", "item_id": "space-00", "type": "view"},
        {
            "event_id": "nul",
            "user_id": "u",
            "item_id": "space-00",
            "type": "view",
            "context": {"s": "a\u0000"},
        },
    ]
    result = api.send(events)
    assert result["accepted"] == 1
    assert [(r["event_id"], r["code"]) for r in result["rejected"]] == [("nul", "validation_error")]


def test_deeply_nested_json_is_a_4xx(api: Api) -> None:
    body = "[" * 100_000 + "]" * 100_000
    r = api.client.post("/v1/events", content=body, headers={**api.admin, "Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]["code"] in {"validation_error", "bad_request"}


def test_huge_numbers_are_refused(api: Api) -> None:
    api.put_items(topic_items())
    body = '{"events": [{"event_id": "big", "user_id": "u", "item_id": "space-00", "type": "rating", "value": 1e999}]}'
    r = api.client.post("/v1/events", content=body, headers={**api.admin, "Content-Type": "application/json"})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert r.json()["accepted"] == 0
