"""User routes: traits, and the user's data export and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict

from fastapi import APIRouter, Response, status
from fastapi.responses import StreamingResponse
from pydantic import TypeAdapter

from api.deps import PrivacyDep, UserAccess, UsersDep
from api.schemas.common import errors
from api.schemas.memories import MemoryDetailOut
from api.schemas.users import ExportedEvent, ProfileOut, UserExportOut, UserIn, UserOut
from memfeed.privacy.service import UserExport

router = APIRouter(prefix="/v1/users", tags=["users"])

MAX_EXCLUDE = 200


@router.put(
    "/{user_id}",
    response_model=UserOut,
    responses={201: {"model": UserOut}, **errors(400, 401, 403, 413, 422)},
)
def put_user(body: UserIn, users: UsersDep, access: UserAccess, response: Response) -> UserOut:
    user, created = users.upsert(access.user_id, body.traits)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return UserOut(
        user_id=user.user_id, traits=user.traits, created_at=user.created_at, updated_at=user.updated_at
    )


_EVENTS = TypeAdapter(list[ExportedEvent])


def _export_json(export: UserExport) -> Iterator[bytes]:
    """The UserExportOut document in pieces: everything but the events, then the events a page at a time."""
    head = UserExportOut(
        user_id=export.user_id,
        exported_at=export.exported_at,
        profile=ProfileOut.model_validate(export.profile, from_attributes=True) if export.profile else None,
        memories=[
            MemoryDetailOut.model_validate(asdict(m) | {"history": [asdict(r) for r in m.history or []]})
            for m in export.memories
        ],
        other=export.other,
        events=[],
    ).model_dump_json()
    closing = b"]}"
    yield head.encode()[: -len(closing)]
    separator = b""
    for page in export.event_pages:
        events = [ExportedEvent.model_validate(e, from_attributes=True) for e in page]
        yield separator + _EVENTS.dump_json(events)[1:-1]
        separator = b","
    yield closing


@router.get(
    "/{user_id}/export",
    response_model=None,
    responses={
        200: {"model": UserExportOut, "description": "Everything stored about the user"},
        **errors(401, 403, 404, 422),
    },
)
def export_user(privacy: PrivacyDep, access: UserAccess) -> StreamingResponse:
    """Everything stored about the user (profile, every event, memories with their history), as one JSON
    document streamed as it is read. 404 when nothing is stored for the user."""
    export = privacy.export(access.user_id)
    return StreamingResponse(_export_json(export), media_type="application/json")


@router.delete("/{user_id}", status_code=204, response_class=Response, responses=errors(401, 403, 422))
def erase_user(privacy: PrivacyDep, access: UserAccess) -> Response:
    """Erase the user: profile, events, memories, and their factors in the serving model. Idempotent: an
    unknown or already erased user is a 204 too."""
    privacy.erase(access.user_id, key_id=access.caller.key_id, scope=str(access.caller.scope))
    return Response(status_code=204)
