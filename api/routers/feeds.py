"""Feed routes: a user's personalized feed page, and items similar to an item."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AnyCaller, FeedsDep, UserAccess
from api.schemas.common import errors
from api.schemas.feeds import FeedEntry, FeedOut, SimilarItem, SimilarOut
from memfeed.feed.records import FeedQuery
from memfeed.platform.inputs import ID_PATTERN

router = APIRouter()

MAX_EXCLUDE = 200
ItemId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128)]


@router.get(
    "/v1/users/{user_id}/feed", tags=["users"], response_model=FeedOut, responses=errors(400, 401, 403, 422)
)
def get_feed(
    feeds: FeedsDep,
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
    page = feeds.feed(FeedQuery(access.user_id, limit, cursor or None, category, excluded))
    return FeedOut(
        items=[
            FeedEntry(item_id=i.item_id, title=i.title, score=i.score, reason=i.reason) for i in page.items
        ],
        next_cursor=page.next_cursor,
        model_version=page.model_version,
    )


@router.get(
    "/v1/items/{item_id}/similar", tags=["items"], response_model=SimilarOut, responses=errors(401, 404, 422)
)
def similar_items(
    item_id: ItemId,
    feeds: FeedsDep,
    _: AnyCaller,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> SimilarOut:
    return SimilarOut(
        items=[
            SimilarItem(item_id=s.item_id, title=s.title, score=s.score)
            for s in feeds.similar(item_id, limit)
        ]
    )
