"""Who is calling: API keys (hashed at rest, scoped) and end-user JWTs.

Keys look like `mf_<key_id>_<secret>`; only SHA-256 of the secret is stored (the secret has 256 bits of
entropy, so a slow hash adds nothing). Verified keys are cached for `api_key_cache_seconds`, which bounds
how long a revoked key keeps working in a running process.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

import jwt
from sqlalchemy import select

from memfeed.platform.errors import InvalidInput, Unauthorized
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import ApiKey
from memfeed.platform.storage.types import utcnow

KEY_PREFIX = "mf"


class Scope(StrEnum):
    admin = "admin"
    app = "app"


@dataclass(frozen=True)
class Caller:
    """The verified API key behind a request."""

    key_id: str
    scope: Scope


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(database: Database, scope: str, name: str = "") -> tuple[str, str]:
    """Store a new key and return `(key_id, key)`; the key itself is never stored and cannot be shown again."""
    try:
        scope_value = Scope(scope)
    except ValueError as exc:
        raise InvalidInput(f"scope must be one of {[s.value for s in Scope]}") from exc
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with database.session() as session:
        session.add(ApiKey(key_id=key_id, name=name, scope=scope_value.value, secret_hash=_hash(secret)))
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}"


def list_api_keys(database: Database) -> list[ApiKey]:
    with database.session() as session:
        return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at)))


def revoke_api_key(database: Database, key_id: str) -> bool:
    with database.session() as session:
        key = session.get(ApiKey, key_id)
        if key is None or key.revoked_at is not None:
            return False
        key.revoked_at = utcnow()
        return True


def rotate_api_key(database: Database, key_id: str, *, revoke_old: bool = False) -> tuple[str, str] | None:
    """A new key with the old one's scope and name (None when `key_id` is not an active key). The old key
    keeps working until revoked, so clients can switch first; `revoke_old` revokes it in the same step."""
    with database.session() as session:
        old = session.get(ApiKey, key_id)
        if old is None or old.revoked_at is not None:
            return None
        scope, name = old.scope, old.name
    new = create_api_key(database, scope, name)
    if revoke_old:
        revoke_api_key(database, key_id)
    return new


class ApiKeyVerifier:
    """Checks `X-API-Key` values against the database with a short in-process cache."""

    def __init__(self, database: Database, cache_seconds: float) -> None:
        self._database = database
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[float, Caller | None]] = {}
        self._lock = threading.Lock()

    def verify(self, key: str | None) -> Caller:
        if not key:
            raise Unauthorized("missing X-API-Key header")
        parts = key.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX or len(key) > 200:
            raise Unauthorized("invalid API key")
        digest = _hash(key)
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and now - hit[0] < self._ttl:
            caller = hit[1]
        else:
            caller = self._lookup(parts[1], parts[2])
            with self._lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[digest] = (now, caller)
        if caller is None:
            raise Unauthorized("invalid API key")
        return caller

    def _lookup(self, key_id: str, secret: str) -> Caller | None:
        with self._database.session() as session:
            row = session.get(ApiKey, key_id)
            if row is None or row.revoked_at is not None:
                return None
            if not hmac.compare_digest(row.secret_hash, _hash(secret)):
                return None
            return Caller(row.key_id, Scope(row.scope))


class TokenVerifier:
    """Verifies end-user JWTs: one configured algorithm only (never `none`), `exp` and `sub` required."""

    def __init__(
        self,
        *,
        secret: str | None,
        public_key: str | None,
        audience: str | None = None,
        issuer: str | None = None,
    ) -> None:
        if public_key:
            self._key: Any = public_key
            self._algorithms = ["RS256"]
        elif secret:
            self._key = secret
            self._algorithms = ["HS256"]
        else:
            raise ValueError("a JWT secret or public key is required")
        self._audience = audience
        self._issuer = issuer

    def subject(self, token: str | None) -> str:
        if not token:
            raise Unauthorized("missing Authorization: Bearer token")
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=self._algorithms,
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub:
            raise Unauthorized("invalid token: sub must be a non-empty string")
        return sub


def issue_token(
    secret: str, user_id: str, ttl_seconds: int, *, audience: str | None = None, issuer: str | None = None
) -> str:
    """An HS256 end-user token, for development and tests (production tokens come from the app's auth)."""
    now = utcnow()
    claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + timedelta(seconds=ttl_seconds)}
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    return jwt.encode(claims, secret, algorithm="HS256")
