"""Typed dependencies: one per service, the verified caller, and per-route access rules.

A route declares the service it calls (`CatalogDep`, `FeedsDep`, ...) and its access rule (`AdminCaller`,
`AnyCaller`, `UserAccess`, `EventWriter`) in its signature, and receives verified values or never runs. The
runtime itself stays in this module: routers see services, never the composition root.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from memfeed.catalog.service import CatalogService
from memfeed.events.service import EventService
from memfeed.feed.service import FeedService
from memfeed.memory import MemoryService
from memfeed.platform.auth import Caller, Scope
from memfeed.platform.errors import Unauthorized
from memfeed.platform.inputs import ID_PATTERN
from memfeed.privacy.service import PrivacyService
from memfeed.registry.service import ModelService
from memfeed.runtime import Runtime
from memfeed.training.runs import RunService
from memfeed.users.service import UserService

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An admin or app key")
bearer = HTTPBearer(auto_error=False, description="The end user's JWT (with an app key)")

AUTH_DISABLED_CALLER = Caller("auth-disabled", Scope.admin)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise ApiError("not_ready", "service is starting")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_catalog(runtime: RuntimeDep) -> CatalogService:
    return runtime.catalog


def get_events(runtime: RuntimeDep) -> EventService:
    return runtime.events


def get_users(runtime: RuntimeDep) -> UserService:
    return runtime.users


def get_feeds(runtime: RuntimeDep) -> FeedService:
    return runtime.feeds


def get_memories(runtime: RuntimeDep) -> MemoryService:
    return runtime.memories


def get_privacy(runtime: RuntimeDep) -> PrivacyService:
    return runtime.privacy


def get_models(runtime: RuntimeDep) -> ModelService:
    return runtime.models


def get_runs(runtime: RuntimeDep) -> RunService:
    return runtime.runs


CatalogDep = Annotated[CatalogService, Depends(get_catalog)]
EventsDep = Annotated[EventService, Depends(get_events)]
UsersDep = Annotated[UserService, Depends(get_users)]
FeedsDep = Annotated[FeedService, Depends(get_feeds)]
MemoriesDep = Annotated[MemoryService, Depends(get_memories)]
PrivacyDep = Annotated[PrivacyService, Depends(get_privacy)]
ModelsDep = Annotated[ModelService, Depends(get_models)]
RunsDep = Annotated[RunService, Depends(get_runs)]


def get_caller(
    request: Request, runtime: RuntimeDep, key: Annotated[str | None, Depends(api_key_header)]
) -> Caller:
    caller = AUTH_DISABLED_CALLER if not runtime.settings.auth_enabled else runtime.keys.verify(key)
    request.state.key_id = caller.key_id  # for the access log: the key's id, never the key
    return caller


AnyCaller = Annotated[Caller, Depends(get_caller)]


def require_admin(caller: AnyCaller) -> Caller:
    if caller.scope != Scope.admin:
        raise ApiError("forbidden", "this route needs an admin key")
    return caller


AdminCaller = Annotated[Caller, Depends(require_admin)]


def token_subject(runtime: Runtime, credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("an app key needs the end user's token: Authorization: Bearer <jwt>")
    return runtime.tokens.subject(credentials.credentials)


@dataclass(frozen=True)
class UserContext:
    caller: Caller
    user_id: str


def require_user_access(
    runtime: RuntimeDep,
    caller: AnyCaller,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    user_id: Annotated[str, Path(pattern=ID_PATTERN, max_length=128, description="The end user's id")],
) -> UserContext:
    """Admin keys reach any user; app keys only the user named by the token's `sub`."""
    if caller.scope == Scope.app and token_subject(runtime, credentials) != user_id:
        raise ApiError("forbidden", "the token belongs to another user")
    return UserContext(caller, user_id)


UserAccess = Annotated[UserContext, Depends(require_user_access)]


def events_owner(
    runtime: RuntimeDep,
    caller: AnyCaller,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str | None:
    """The only user an app key may write events for (its token's `sub`); None for admin keys (any user)."""
    if caller.scope == Scope.app:
        return token_subject(runtime, credentials)
    return None


EventWriter = Annotated[str | None, Depends(events_owner)]
