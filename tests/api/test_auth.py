"""The auth matrix: keys, scopes, end-user tokens and BOLA (a user's routes answer only that user)."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from memfeed.platform.auth import create_api_key, revoke_api_key
from memfeed.platform.storage.db import open_database
from tests.conftest import Api, topic_items


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_auth_matrix(api: Api) -> None:
    api.put_items(topic_items())
    c = api.client
    feed = "/v1/users/alice/feed"
    assert c.get(feed).status_code == 401
    assert c.get(feed, headers={"X-API-Key": "mf_nothing_here"}).status_code == 401
    assert c.get(feed, headers={"X-API-Key": "garbage"}).status_code == 401
    assert c.get(feed, headers={"X-API-Key": api.app_key}).status_code == 401
    assert c.get(feed, headers=api.as_user("bob")).status_code == 403
    assert c.get(feed, headers=api.as_user("alice")).status_code == 200
    assert c.get(feed, headers=api.admin).status_code == 200
    r = c.put("/v1/items/x", json={"title": "t"}, headers=api.as_user("alice"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert c.get("/v1/items/space-01", headers={"X-API-Key": api.app_key}).status_code == 200
    assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize("case", ["alg-none", "wrong-secret", "expired", "no-exp", "no-sub", "malformed"])
def test_bad_tokens_are_401(api: Api, case: str) -> None:
    api.put_items(topic_items())
    now = int(time.time())
    secret = api.settings.jwt_secret
    assert secret
    tokens = {
        "alg-none": b64({"alg": "none", "typ": "JWT"}) + "." + b64({"sub": "alice", "exp": now + 600}) + ".",
        "wrong-secret": jwt.encode({"sub": "alice", "exp": now + 600}, "another-secret-" + "y" * 32),
        "expired": jwt.encode({"sub": "alice", "exp": now - 10}, secret),
        "no-exp": jwt.encode({"sub": "alice"}, secret),
        "no-sub": jwt.encode({"exp": now + 600}, secret),
        "malformed": "not.a.jwt",
    }
    headers = {"X-API-Key": api.app_key, "Authorization": f"Bearer {tokens[case]}"}
    r = api.client.get("/v1/users/alice/feed", headers=headers)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthorized"


def test_app_key_writes_events_only_for_its_user(api: Api) -> None:
    api.put_items(topic_items())
    events = [
        {"event_id": "mine", "user_id": "alice", "item_id": "space-01", "type": "like"},
        {"event_id": "theirs", "user_id": "bob", "item_id": "space-01", "type": "like"},
    ]
    r = api.client.post("/v1/events", json={"events": events}, headers=api.as_user("alice"))
    assert r.status_code == 200
    body = r.json()
    assert body["accepted"] == 1
    assert [(x["event_id"], x["code"]) for x in body["rejected"]] == [("theirs", "forbidden")]
    no_token = api.client.post("/v1/events", json={"events": events[:1]}, headers={"X-API-Key": api.app_key})
    assert no_token.status_code == 401


def test_rs256_tokens_verified_with_public_key(api_factory) -> None:  # type: ignore[no-untyped-def]
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    api = api_factory("sqlite", jwt_public_key=public_pem)
    good = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, private, algorithm="RS256")
    # An HS256 token signed with the public key text must not pass (algorithm confusion).
    confused = jwt.encode({"sub": "alice", "exp": int(time.time()) + 600}, "k" * 64, algorithm="HS256")
    ok = api.client.get(
        "/v1/users/alice/feed", headers={"X-API-Key": api.app_key, "Authorization": f"Bearer {good}"}
    )
    bad = api.client.get(
        "/v1/users/alice/feed", headers={"X-API-Key": api.app_key, "Authorization": f"Bearer {confused}"}
    )
    assert (ok.status_code, bad.status_code) == (200, 401)


def test_revoked_key_stops_working(api_factory) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", api_key_cache_seconds=0)
    with open_database(api.settings) as database:
        key_id, key = create_api_key(database, "admin", "short-lived")
        assert api.client.get("/v1/items/x", headers={"X-API-Key": key}).status_code == 404
        assert revoke_api_key(database, key_id)
    assert api.client.get("/v1/items/x", headers={"X-API-Key": key}).status_code == 401


def test_auth_disabled_only_when_set_explicitly(api_factory, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    api = api_factory("sqlite", auth="disabled")
    assert api.client.get("/v1/users/anyone/feed").status_code == 200
    assert "AUTH IS DISABLED" in capsys.readouterr().err
    default = api_factory("sqlite")
    assert default.settings.auth == "enabled"
    assert default.client.get("/v1/users/anyone/feed").status_code == 401
