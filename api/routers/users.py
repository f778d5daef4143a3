"""User routes: traits and the personalized feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import RuntimeDep, UserAccess
from api.schemas import FeedEntry, FeedOut, UserIn, UserOut, errors
from memfeed.feed import FeedQuery
from memfeed.ids import ID_PATTERN

router = APIRouter(prefix="/v1/users", tags=["users"])

MAX_EXCLUDE = 200


@router.put(
    "/{user_id}",
    response_model=UserOut,
    responses={201: {"model": UserOut}, **errors(400, 401, 403, 413, 422)},
)
def put_user(body: UserIn, runtime: RuntimeDep, access: UserAccess, response: Response) -> UserOut:
    user, created = runtime.upsert_user(access.user_id, body.traits)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return UserOut(
        user_id=user.user_id, traits=user.traits, created_at=user.created_at, updated_at=user.updated_at
    )


@router.get("/{user_id}/feed", response_model=FeedOut, responses=errors(400, 401, 403, 422))
def get_feed(
    runtime: RuntimeDep,
    access: UserAccess,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=20_000, description="next_cursor of the previous page")
    ] = None,
    category: Annotated[str | None, Query(pattern=ID_PATTERN, max_length=128)] = None,
    exclude: Annotated[
        str | None, Query(max_length=26_000, description="comma-separated item ids to leave out")
    ] = None,
) -> FeedOut:
    """The next page of the user's feed; a user with no history gets popular and fresh items."""
    excluded = tuple(e for e in (exclude or "").split(",") if e)[:MAX_EXCLUDE]
    page = runtime.feed(FeedQuery(access.user_id, limit, cursor or None, category, excluded))
    return FeedOut(
        items=[
            FeedEntry(item_id=i.item_id, title=i.title, score=i.score, reason=i.reason) for i in page.items
        ],
        next_cursor=page.next_cursor,
        model_version=page.model_version,
    )
