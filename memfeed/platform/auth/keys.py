"""API keys: hashed at rest, scoped, verified with a short cache.

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
from enum import StrEnum

from memfeed.platform.auth.repository import ApiKeyRepository, KeyRecord
from memfeed.platform.errors import InvalidInput, Unauthorized
from memfeed.platform.storage.db import Database

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
    ApiKeyRepository(database).add(key_id, name, scope_value.value, _hash(secret))
    return key_id, f"{KEY_PREFIX}_{key_id}_{secret}"


def list_api_keys(database: Database) -> list[KeyRecord]:
    return ApiKeyRepository(database).all()


def revoke_api_key(database: Database, key_id: str) -> bool:
    return ApiKeyRepository(database).revoke(key_id)


def rotate_api_key(database: Database, key_id: str, *, revoke_old: bool = False) -> tuple[str, str] | None:
    """A new key with the old one's scope and name (None when `key_id` is not an active key). The old key
    keeps working until revoked, so clients can switch first; `revoke_old` revokes it in the same step."""
    old = ApiKeyRepository(database).describe(key_id)
    if old is None or old.revoked_at is not None:
        return None
    new = create_api_key(database, old.scope, old.name)
    if revoke_old:
        revoke_api_key(database, key_id)
    return new


class ApiKeyVerifier:
    """Checks `X-API-Key` values against the database with a short in-process cache."""

    def __init__(self, database: Database, cache_seconds: float) -> None:
        self._keys = ApiKeyRepository(database)
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
        row = self._keys.get(key_id)
        if row is None or row.revoked:
            return None
        if not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        return Caller(row.key_id, Scope(row.scope))
