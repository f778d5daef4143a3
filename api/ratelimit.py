"""HTTP face of the rate limits: which class a route is in, who a request is charged to, the 429, the headers.

`enforce_rate_limit` is a dependency attached to every `/v1` router in `create_app`, so routes stay unaware
of it. It depends on `get_caller`, so auth runs first: a request without a valid key is a 401 and never
touches a bucket (see docs/operations.md for why there is no per-IP budget). Health, `/metrics`, `/docs` and
`/openapi.json` are not behind it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AnyCaller, RuntimeDep, bearer
from api.errors import ApiError
from api.schemas.common import ErrorResponse
from memfeed.platform.auth import Caller
from memfeed.platform.auth import Scope as KeyScope
from memfeed.platform.errors import MemfeedError
from memfeed.platform.inputs import ID_PATTERN
from memfeed.platform.ratelimit import Decision, RateLimiter, RouteClass
from memfeed.runtime import Runtime

_USER_ID = re.compile(ID_PATTERN)
CATALOG_WRITES = {"PUT", "POST", "PATCH", "DELETE"}
STATE_KEY = "rate_limit"


def route_class(method: str, path: str) -> RouteClass:
    """The budget a route draws on, from its method and path template (`/v1/users/{user_id}/feed`)."""
    if path == "/v1/events":
        return RouteClass.events
    if path.startswith("/v1/admin/"):
        return RouteClass.admin
    if path.startswith("/v1/items"):
        if path.endswith("/similar"):
            return RouteClass.feed
        return RouteClass.admin if method in CATALOG_WRITES else RouteClass.default
    if path.startswith("/v1/users/{user_id}/memories"):
        return RouteClass.memory
    if path == "/v1/users/{user_id}/feed":
        return RouteClass.feed
    return RouteClass.default


def charged_user(
    request: Request, runtime: Runtime, caller: Caller, credentials: HTTPAuthorizationCredentials | None
) -> str | None:
    """The end user a request counts against: with an app key, the verified token's `sub` only (never the
    path, so one user cannot spend another's budget); with an admin key, the `{user_id}` it acts on."""
    if caller.scope == KeyScope.app:
        if credentials is None or credentials.scheme.lower() != "bearer":
            return None
        try:
            return runtime.tokens.subject(credentials.credentials)
        except MemfeedError:
            return None  # the route's own auth answers 401 when it needs the token
    user_id = request.path_params.get("user_id")
    return user_id if isinstance(user_id, str) and _USER_ID.match(user_id) else None


def retry_after_seconds(decision: Decision) -> int:
    """Whole seconds, at least 1: when the binding bucket will hold a token again."""
    return max(1, math.ceil(decision.retry_after - 1e-9))


def enforce_rate_limit(
    request: Request,
    runtime: RuntimeDep,
    caller: AnyCaller,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Charge the request to its buckets; 429 `rate_limited` with `Retry-After` when one is empty."""
    limiter: RateLimiter | None = getattr(request.app.state, "rate_limiter", None)
    if limiter is None:
        return
    path = getattr(request.scope.get("route"), "path", request.url.path)
    klass = route_class(request.method, path)
    decision = limiter.check(klass, caller.key_id, charged_user(request, runtime, caller, credentials))
    if decision is None:
        return
    setattr(request.state, STATE_KEY, decision)
    if not decision.allowed:
        wait = retry_after_seconds(decision)
        rate = decision.bucket.rate
        raise ApiError(
            "rate_limited",
            f"too many {klass.value} requests for this {'user' if decision.bucket.scope == 'user' else 'API key'}; "
            f"retry in {wait} s",
            details={
                "retry_after": wait,
                "limit": {
                    "route_class": klass.value,
                    "scope": decision.bucket.scope,
                    "per_minute": rate.per_minute,
                    "burst": rate.burst,
                },
            },
            headers={"Retry-After": str(wait)},
        )


RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorResponse,
        "description": "rate_limited: a key's or user's budget for this route class is spent",
        "headers": {
            "Retry-After": {
                "description": "whole seconds to wait (at least 1)",
                "schema": {"type": "integer"},
            },
            "X-RateLimit-Limit": {
                "description": "the bucket's capacity (burst)",
                "schema": {"type": "integer"},
            },
            "X-RateLimit-Remaining": {
                "description": "requests left right now",
                "schema": {"type": "integer"},
            },
        },
    }
}


class RateLimitHeadersMiddleware:
    """Adds `X-RateLimit-Limit` (the binding bucket's capacity) and `X-RateLimit-Remaining` to every answer
    of a limited route, errors and 204s included, from the decision the dependency left in the request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = (scope.get("state") or {}).get(STATE_KEY)
                if isinstance(decision, Decision):
                    message["headers"] = [
                        *message.get("headers", []),
                        (b"x-ratelimit-limit", str(decision.bucket.rate.burst).encode()),
                        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
                    ]
            await send(message)

        await self.app(scope, receive, send_with_limits)


class RateLimitCollector(Collector):
    """`memfeed_rate_limited_total{route_class,scope}` and `memfeed_rate_limit_unchecked_total` (requests
    let through because the shared store did not answer), read from the app's limiter at scrape time."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        limiter: RateLimiter | None = getattr(self.app.state, "rate_limiter", None)
        refused = CounterMetricFamily(
            "memfeed_rate_limited",
            "Requests refused with 429, by route class and scope",
            labels=["route_class", "scope"],
        )
        unchecked = CounterMetricFamily(
            "memfeed_rate_limit_unchecked", "Requests let through unchecked because the limit store failed"
        )
        if limiter is not None:
            for (klass, scope), n in sorted(limiter.refused.items()):
                refused.add_metric([klass, scope], n)
            unchecked.add_metric([], limiter.unchecked)
        yield refused
        yield unchecked


def install_rate_limits(app: FastAPI) -> list[Any]:
    """Adds the headers middleware; returns the dependencies for the `/v1` routers. The limiter itself is
    built in the lifespan (`app.state.rate_limiter`, None when limits are disabled)."""
    app.state.rate_limiter = None
    app.add_middleware(RateLimitHeadersMiddleware)
    return [Depends(enforce_rate_limit)]


def register_rate_limit_metrics(app: FastAPI) -> None:
    """Expose the limiter's counters in the app's Prometheus registry, when it has one."""
    registry = getattr(app.state, "metrics_registry", None)
    if registry is not None:
        registry.register(RateLimitCollector(app))
