"""Keyset cursors for listing memories: the (created_at, memory_id) of the last row served, signed.

Keyset paging (not offsets) means a memory added or deleted between pages never shifts the rest, so a
chain never repeats or skips one; the HMAC and the scope (user and filters) make a cursor opaque and
unusable for another user or filter.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from memfeed.feed.cursor import SignedJson
from memfeed.platform.errors import InvalidCursor


class KeysetCodec:
    def __init__(self, secret: bytes) -> None:
        self._signed = SignedJson(hashlib.sha256(b"memory-cursor\x00" + secret).digest())

    def encode(self, scope: str, created_at: datetime, memory_id: str) -> str:
        return self._signed.dumps({"s": scope, "c": created_at.isoformat(), "i": memory_id})

    def decode(self, cursor: str, scope: str) -> tuple[datetime, str]:
        """The last (created_at, memory_id) served; raises InvalidCursor if forged, edited or foreign."""
        body = self._signed.loads(cursor, scope)
        try:
            created_at = datetime.fromisoformat(body["c"])
            memory_id = str(body["i"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCursor("cursor is not valid") from exc
        if created_at.tzinfo is None:
            raise InvalidCursor("cursor is not valid")
        return created_at, memory_id
