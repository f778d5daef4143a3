"""Catalog routes: upserts, batch errors by index, unavailability, similar items, new items found at once."""

from __future__ import annotations

from tests.conftest import Api, topic_items


def test_put_item_creates_then_updates(api: Api) -> None:
    body = {"title": "Rocket launch tonight", "tags": ["rockets"], "category": "space", "metadata": {"a": 1}}
    first = api.client.put("/v1/items/r1", json=body, headers=api.admin)
    second = api.client.put(
        "/v1/items/r1", json={**body, "title": "Rocket launch delayed"}, headers=api.admin
    )
    assert (first.status_code, second.status_code) == (201, 200)
    got = api.client.get("/v1/items/r1", headers=api.admin).json()
    assert got["title"] == "Rocket launch delayed"
    assert got["metadata"] == {"a": 1} and got["available"] is True


def test_batch_upsert_reports_bad_items_by_index_and_keeps_good_ones(api: Api) -> None:
    items = [
        {"item_id": "ok-1", "title": "Sourdough basics"},
        {"item_id": "no-title"},
        {"item_id": "bad id", "title": "x"},
        {"item_id": "ok-2", "title": "Braised short ribs", "tags": ["beef"]},
        {"item_id": "long", "title": "t" * 501},
    ]
    r = api.client.post("/v1/items", json={"items": items}, headers=api.admin)
    assert r.status_code == 200
    body = r.json()
    assert body["upserted"] == 2
    assert [e["index"] for e in body["errors"]] == [1, 2, 4]
    assert all(e["code"] == "validation_error" for e in body["errors"])
    assert api.client.get("/v1/items/ok-2", headers=api.admin).status_code == 200
    assert api.client.get("/v1/items/no-title", headers=api.admin).status_code == 404


def test_batch_over_1000_items_is_refused(api: Api) -> None:
    items = [{"item_id": f"i{n}", "title": "t"} for n in range(1001)]
    r = api.client.post("/v1/items", json={"items": items}, headers=api.admin)
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_new_item_is_found_at_once_through_similar(api: Api) -> None:
    api.put_items(topic_items())
    new = {"title": "Astronomers photograph a rocket leaving Mars orbit", "category": "space"}
    assert api.client.put("/v1/items/space-new", json=new, headers=api.admin).status_code == 201
    similar = api.client.get("/v1/items/space-03/similar", params={"limit": 5}, headers=api.admin).json()[
        "items"
    ]
    assert "space-new" in [s["item_id"] for s in similar]
    own = api.client.get("/v1/items/space-new/similar", params={"limit": 5}, headers=api.admin).json()[
        "items"
    ]
    assert all(s["item_id"].startswith("space-") for s in own)
    assert "space-new" not in [s["item_id"] for s in own]
    assert own == sorted(own, key=lambda s: -s["score"])


def test_changed_text_moves_the_item(api: Api) -> None:
    api.put_items(topic_items())
    api.client.put(
        "/v1/items/space-00", json={"title": "Slow-cooked beef stew with red wine"}, headers=api.admin
    )
    similar = api.client.get("/v1/items/space-00/similar", params={"limit": 5}, headers=api.admin).json()[
        "items"
    ]
    assert sum(s["item_id"].startswith("cooking-") for s in similar) >= 4


def test_deleted_item_is_never_recommended_again(api: Api) -> None:
    api.put_items(topic_items())
    assert api.client.delete("/v1/items/space-01", headers=api.admin).status_code == 204
    assert api.client.get("/v1/items/space-01", headers=api.admin).json()["available"] is False
    similar = api.client.get("/v1/items/space-02/similar", params={"limit": 50}, headers=api.admin).json()[
        "items"
    ]
    assert "space-01" not in [s["item_id"] for s in similar]
    feed = api.feed("cold-user", limit=100)
    assert "space-01" not in [i["item_id"] for i in feed["items"]]
    assert (
        api.client.delete("/v1/items/space-01", params={"hard": "true"}, headers=api.admin).status_code == 204
    )
    assert api.client.get("/v1/items/space-01", headers=api.admin).status_code == 404


def test_unknown_item_is_404_in_error_shape(api: Api) -> None:
    for r in (
        api.client.get("/v1/items/nope", headers=api.admin),
        api.client.get("/v1/items/nope/similar", headers=api.admin),
        api.client.delete("/v1/items/nope", headers=api.admin),
    ):
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
