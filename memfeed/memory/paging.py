"""Keyset cursors for listing memories: the (created_at, memory_id) of the last row served, signed.

Keyset paging (not offsets) means a memory added or deleted between pages never shifts the rest, so a
chain never repeats or skips one; the HMAC and the scope (user and filters) make a cursor opaque and
unusable for another user or filter.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from memfeed.errors import InvalidCursor

SIGNATURE_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class KeysetCodec:
    def __init__(self, secret: bytes) -> None:
        self._secret = hashlib.sha256(b"memory-cursor\x00" + secret).digest()

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]

    def encode(self, scope: str, created_at: datetime, memory_id: str) -> str:
        body = {"s": scope, "c": created_at.isoformat(), "i": memory_id}
        payload = json.dumps(body, separators=(",", ":")).encode()
        return _b64(payload) + "." + _b64(self._sign(payload))

    def decode(self, cursor: str, scope: str) -> tuple[datetime, str]:
        """The last (created_at, memory_id) served; raises InvalidCursor if forged, edited or foreign."""
        try:
            head, _, sig = cursor.partition(".")
            payload = _unb64(head)
            if not hmac.compare_digest(self._sign(payload), _unb64(sig)):
                raise InvalidCursor("cursor signature does not match")
            body = json.loads(payload)
            created_at = datetime.fromisoformat(body["c"])
            memory_id = str(body["i"])
        except InvalidCursor:
            raise
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCursor("cursor is not valid") from exc
        if body.get("s") != scope or created_at.tzinfo is None:
            raise InvalidCursor("cursor belongs to another user or filter")
        return created_at, memory_id
