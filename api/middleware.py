"""ASGI middleware: request ids, the request body cap, and security headers."""

from __future__ import annotations

import json
import os
import re
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
SERVED_BY_HEADER = b"x-served-by"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9_\-.:@]{1,128}$")
BODY_METHODS = {"POST", "PUT", "PATCH"}


def _error_body(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": None}}).encode()


class RequestContextMiddleware:
    """Echoes a safe X-Request-ID (or makes one), caps request bodies (413), and sets security headers (and,
    when `served_by` is set, `X-Served-By` with the worker's pid).

    The body is read up front, up to the cap, so an oversized upload is refused before any route runs and
    without trusting Content-Length alone (chunked uploads are counted too).
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, served_by: bool = False) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.served_by = served_by

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER, b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        private = scope["path"].startswith("/v1/users/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra: list[tuple[bytes, bytes]] = [
                    (REQUEST_ID_HEADER, request_id.encode()),
                    (b"x-content-type-options", b"nosniff"),
                ]
                if private:
                    extra.append((b"cache-control", b"no-store"))
                if self.served_by:
                    extra.append((SERVED_BY_HEADER, str(os.getpid()).encode()))
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(send_with_headers)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(send_with_headers)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send_with_headers)

    async def _too_large(self, send: Any) -> None:
        body = _error_body("payload_too_large", f"request body exceeds {self.max_body_bytes} bytes")
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
