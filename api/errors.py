"""Every error leaves in one shape: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from memfeed.platform.errors import MemfeedError

log = logging.getLogger("memfeed.api")

STATUS_BY_CODE = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "payload_too_large": 413,
    "validation_error": 422,
    "rate_limited": 429,
    "not_ready": 503,
}
CODE_BY_STATUS = {status: code for code, status in STATUS_BY_CODE.items()} | {
    405: "method_not_allowed",
    406: "not_acceptable",
    415: "unsupported_media_type",
}


class ApiError(Exception):
    """An error raised by the HTTP layer itself (auth dependencies, route guards)."""

    def __init__(self, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Location, message and type of each problem; the offending input is not echoed back."""
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type")}
        for e in exc.errors()
    ]


def _documented_methods(request: Request) -> str | None:
    """The methods documented for the most specific OpenAPI path matching this URL (literal segments beat
    parameters, as in routing: `/memories/search` is not `/memories/{memory_id}`); None if none matches.

    Starlette's own 405 names only the first matching route's methods (`Allow: PUT` on `/v1/items/{id}`).
    """
    best: tuple[int, list[str]] | None = None
    for template, operations in request.app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(request.url.path):
            parameters = template.count("{")
            if best is None or parameters < best[0]:
                best = (parameters, sorted(method.upper() for method in operations))
    return ", ".join(best[1]) if best else None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(MemfeedError)
    async def _domain(_: Request, exc: MemfeedError) -> JSONResponse:
        return error_response(STATUS_BY_CODE.get(exc.code, 400), exc.code, exc.message, exc.details)

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(
            STATUS_BY_CODE.get(exc.code, 400), exc.code, exc.message, exc.details, exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        first = details[0] if details else {"loc": [], "msg": "invalid request"}
        where = ".".join(str(p) for p in first["loc"])
        return error_response(422, "validation_error", f"{where}: {first['msg']}", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = CODE_BY_STATUS.get(exc.status_code, "error")
        headers = getattr(exc, "headers", None)
        allowed = _documented_methods(request) if exc.status_code == 405 else None
        if allowed:
            headers = {**(headers or {}), "Allow": allowed}
        return error_response(exc.status_code, code, str(exc.detail), None, headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "internal server error")
