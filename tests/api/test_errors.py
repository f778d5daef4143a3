"""Bad input of every class gets its 4xx in the contract's error shape, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import Api, topic_items


def assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_body_over_the_cap_is_413(api_factory) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", max_body_bytes=10_000)
    big = {"title": "x" * 20_000}
    assert_error(api.client.put("/v1/items/big", json=big, headers=api.admin), 413, "payload_too_large")
    chunked = api.client.put(
        "/v1/items/big",
        content=iter([b'{"title": "', b"y" * 20_000, b'"}']),
        headers={**api.admin, "Content-Type": "application/json"},
    )
    assert_error(chunked, 413, "payload_too_large")
    assert_error(api.client.get("/v1/items/big", headers=api.admin), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("put", "/v1/items/ok", {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
        ("put", "/v1/items/ok", {"json": {"title": ""}}),
        ("put", "/v1/items/ok", {"json": {"title": "t", "unknown_field": 1}}),
        ("put", "/v1/items/ok", {"json": {"title": "t", "tags": ["x" * 65]}}),
        ("put", "/v1/items/ok", {"json": {"title": "t", "published_at": "yesterday"}}),
        ("put", "/v1/items/" + "a" * 129, {"json": {"title": "t"}}),
        ("put", "/v1/items/bad%20id", {"json": {"title": "t"}}),
        ("post", "/v1/items", {"json": {"items": "nope"}}),
        ("post", "/v1/events", {"json": {}}),
        ("post", "/v1/events", {"json": [1, 2]}),
        ("get", "/v1/users/u/feed?limit=0", {}),
        ("get", "/v1/users/u/feed?limit=101", {}),
        ("get", "/v1/users/u/feed?limit=abc", {}),
        ("get", "/v1/users/u/feed?category=bad%20cat", {}),
        ("get", "/v1/items/space-01/similar?limit=0", {}),
        ("put", "/v1/users/u", {"json": {"traits": "not an object"}}),
    ],
)
def test_invalid_input_is_422_validation_error(api: Api, method: str, path: str, kwargs: dict) -> None:
    api.put_items(topic_items())
    headers = {**api.admin, **kwargs.pop("headers", {})}
    r = getattr(api.client, method)(path, headers=headers, **kwargs)
    assert_error(r, 422, "validation_error")


def test_unknown_route_and_method_use_the_error_shape(api: Api) -> None:
    assert_error(api.client.get("/v1/nothing-here", headers=api.admin), 404, "not_found")
    assert_error(api.client.patch("/v1/items/x", json={}, headers=api.admin), 405, "method_not_allowed")


def test_request_id_is_echoed_or_generated(api: Api) -> None:
    echoed = api.client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert echoed.headers["X-Request-ID"] == "req-123"
    generated = api.client.get("/healthz")
    assert len(generated.headers["X-Request-ID"]) >= 16
    unsafe = api.client.get("/healthz", headers={"X-Request-ID": "a b\tc"})
    assert unsafe.headers["X-Request-ID"] != "a b\tc"


def test_user_data_is_not_cacheable(api: Api) -> None:
    r = api.client.get("/v1/users/u/feed", headers=api.admin)
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz_reports_database_and_model(api: Api) -> None:
    r = api.client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": True, "model": True}
