"""LLM memory routes: store (with dedup), list, search (optionally with activity), read, change, forget."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator

from api.deps import MemoriesDep, UserAccess
from api.errors import ApiError
from api.schemas.common import errors
from api.schemas.memories import (
    MemoryDetailOut,
    MemoryIn,
    MemoryOut,
    MemoryPageOut,
    MemoryPatchIn,
    MemoryRevisionOut,
    MemorySearchOut,
    MemorySearchResult,
    MemoryWriteOut,
)
from memfeed.memory import MemoryPatch, MemoryRecord, NewMemory
from memfeed.memory.records import KIND_PATTERN, MAX_TEXT_CHARS
from memfeed.memory.service import MAX_K, MAX_PAGE
from memfeed.platform.inputs import ID_PATTERN, MAX_JSON_DEPTH, InputTime, no_nul

router = APIRouter(prefix="/v1/users/{user_id}/memories", tags=["memories"])

MemoryId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128)]
KindQuery = Annotated[str | None, Query(pattern=KIND_PATTERN, max_length=64)]
SessionQuery = Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)]
MAX_METADATA_FILTER = 2000


def memory_out(memory: MemoryRecord) -> MemoryOut:
    return MemoryOut(
        memory_id=memory.memory_id,
        text=memory.text,
        kind=memory.kind,
        session_id=memory.session_id,
        metadata=memory.metadata,
        created_at=memory.created_at,
        updated_at=memory.updated_at,
        occurred_at=memory.occurred_at,
        expires_at=memory.expires_at,
        mentions=memory.mentions,
    )


def metadata_filter(raw: str | None) -> dict[str, Any]:
    """The `metadata` query parameter: a JSON object whose key/values must all equal the memory's."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ApiError("validation_error", "metadata: must be a JSON object") from exc
    if not isinstance(value, dict):
        raise ApiError("validation_error", "metadata: must be a JSON object")
    if "\x00" in raw or raw.count("{") + raw.count("[") > MAX_JSON_DEPTH:
        raise ApiError("validation_error", "metadata: NUL characters or nesting too deep")
    return value


@router.post(
    "",
    response_model=MemoryWriteOut,
    status_code=201,
    responses={
        200: {"model": MemoryWriteOut, "description": "merged"},
        **errors(400, 401, 403, 409, 413, 422),
    },
)
def add_memory(
    body: MemoryIn, memories: MemoriesDep, access: UserAccess, response: Response
) -> MemoryWriteOut:
    """Remember something; 200 with `merged: true` when it restates a memory already held (same session
    and kind), which is updated instead of duplicated. A contradiction is never merged."""
    result = memories.add(
        access.user_id,
        NewMemory(
            text=body.text,
            kind=body.kind,
            session_id=body.session_id,
            metadata=body.metadata or {},
            ttl_seconds=body.ttl_seconds,
            occurred_at=body.occurred_at,
        ),
    )
    if result.merged:
        response.status_code = status.HTTP_200_OK
    return MemoryWriteOut(memory=memory_out(result.memory), merged=result.merged)


@router.get("", response_model=MemoryPageOut, responses=errors(400, 401, 403, 422))
def list_memories(
    memories: MemoriesDep,
    access: UserAccess,
    kind: KindQuery = None,
    session_id: SessionQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=2000, description="next_cursor of the previous page")
    ] = None,
) -> MemoryPageOut:
    """The user's live memories, newest first."""
    page = memories.list_memories(
        access.user_id, kind=kind, session_id=session_id, limit=limit, cursor=cursor or None
    )
    return MemoryPageOut(items=[memory_out(m) for m in page.items], next_cursor=page.next_cursor)


@router.get("/search", response_model=MemorySearchOut, responses=errors(400, 401, 403, 422))
def search_memories(
    memories: MemoriesDep,
    access: UserAccess,
    q: Annotated[str, Query(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(no_nul)],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
    kind: Annotated[
        str | None, Query(pattern=KIND_PATTERN, max_length=64, description="a memory kind, or activity")
    ] = None,
    session_id: SessionQuery = None,
    since: Annotated[InputTime | None, Query(description="occurred at or after")] = None,
    until: Annotated[InputTime | None, Query(description="occurred at or before")] = None,
    metadata: Annotated[
        str | None,
        Query(
            max_length=MAX_METADATA_FILTER, description='JSON object, e.g. {"topic":"food"}: all must equal'
        ),
    ] = None,
    include_activity: bool = False,
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid",
) -> MemorySearchOut:
    """The memories (and, with include_activity, events) most relevant to `q`, best first."""
    if not q.strip():
        raise ApiError("validation_error", "q: must not be whitespace only")
    hits = memories.search(
        access.user_id,
        q,
        k=k,
        kind=kind,
        session_id=session_id,
        since=since,
        until=until,
        metadata=metadata_filter(metadata),
        include_activity=include_activity,
        mode=mode,
    )
    return MemorySearchOut(
        results=[
            MemorySearchResult(
                memory_id=h.memory_id,
                text=h.text,
                kind=h.kind,
                score=h.score,
                created_at=h.created_at,
                occurred_at=h.occurred_at,
                session_id=h.session_id,
                metadata=h.metadata,
            )
            for h in hits
        ]
    )


@router.get("/{memory_id}", response_model=MemoryDetailOut, responses=errors(401, 403, 404, 422))
def get_memory(memory_id: MemoryId, memories: MemoriesDep, access: UserAccess) -> MemoryDetailOut:
    """One memory with its history (prior texts, oldest first)."""
    memory = memories.get(access.user_id, memory_id, with_history=True)
    return MemoryDetailOut(
        **memory_out(memory).model_dump(),
        history=[
            MemoryRevisionOut(
                text=r.text, kind=r.kind, metadata=r.metadata, changed_at=r.changed_at, reason=r.reason
            )
            for r in memory.history or []
        ],
    )


@router.patch("/{memory_id}", response_model=MemoryOut, responses=errors(400, 401, 403, 404, 413, 422))
def patch_memory(
    memory_id: MemoryId, body: MemoryPatchIn, memories: MemoriesDep, access: UserAccess
) -> MemoryOut:
    """Change text, kind, metadata or ttl; the prior version joins the history."""
    memory = memories.update(
        access.user_id,
        memory_id,
        MemoryPatch(
            text=body.text,
            kind=body.kind,
            metadata=body.metadata,
            ttl_seconds=body.ttl_seconds,
            set_ttl="ttl_seconds" in body.model_fields_set,
        ),
    )
    return memory_out(memory)


@router.delete("/{memory_id}", status_code=204, responses=errors(401, 403, 404, 422))
def delete_memory(memory_id: MemoryId, memories: MemoriesDep, access: UserAccess) -> Response:
    memories.delete(access.user_id, memory_id)
    return Response(status_code=204)


@router.delete("", status_code=204, responses=errors(401, 403, 422))
def erase_memories(memories: MemoriesDep, access: UserAccess) -> Response:
    """Forget every memory of the user (and its history)."""
    memories.erase_user(access.user_id)
    return Response(status_code=204)
