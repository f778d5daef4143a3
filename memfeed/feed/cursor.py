"""Opaque, tamper-evident feed cursors.

A cursor carries short digests of every item already served in its chain, signed with HMAC-SHA256 and
bound to the user and the filters, so page N+1 never repeats pages 1..N even if the ranking moved in
between, no server state is needed (any worker can serve the next page), and a forged or edited cursor
is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from memfeed.platform.errors import InvalidCursor

DIGEST_BYTES = 5
SIGNATURE_BYTES = 16


def item_digest(item_id: str) -> bytes:
    return hashlib.blake2b(item_id.encode(), digest_size=DIGEST_BYTES).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SignedJson:
    """A JSON object as `base64url(json).base64url(hmac)`: the opaque, tamper-evident form of every cursor
    (feeds here, memory listings in memory/paging.py), signed with a secret shared by every worker."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:SIGNATURE_BYTES]

    def dumps(self, body: dict[str, Any]) -> str:
        payload = json.dumps(body, separators=(",", ":")).encode()
        return _b64(payload) + "." + _b64(self._sign(payload))

    def loads(self, token: str, scope: str) -> dict[str, Any]:
        """The body; raises InvalidCursor if forged, edited, not an object, or bound to another `scope`."""
        try:
            head, _, sig = token.partition(".")
            payload = _unb64(head)
            if not hmac.compare_digest(self._sign(payload), _unb64(sig)):
                raise InvalidCursor("cursor signature does not match")
            body = json.loads(payload)
        except InvalidCursor:
            raise
        except ValueError as exc:
            raise InvalidCursor("cursor is not valid") from exc
        if not isinstance(body, dict):
            raise InvalidCursor("cursor is not valid")
        if body.get("s") != scope:
            raise InvalidCursor("cursor belongs to another user or filter")
        return body


class CursorCodec:
    """Feed cursors: the digests of the items already served in the chain, bound to user and filters."""

    def __init__(self, secret: bytes) -> None:
        self._signed = SignedJson(secret)

    def encode(self, scope: str, served: Iterable[bytes]) -> str:
        return self._signed.dumps({"s": scope, "d": _b64(b"".join(served))})

    def decode(self, cursor: str, scope: str) -> set[bytes]:
        """The served digests; raises InvalidCursor if forged, edited, or from another user or filter."""
        body = self._signed.loads(cursor, scope)
        try:
            digests = _unb64(body["d"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidCursor("cursor is not valid") from exc
        if len(digests) % DIGEST_BYTES:
            raise InvalidCursor("cursor is not valid")
        return {digests[i : i + DIGEST_BYTES] for i in range(0, len(digests), DIGEST_BYTES)}
