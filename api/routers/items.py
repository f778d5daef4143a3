"""Catalog routes: upsert (one or a batch), read, make unavailable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from api.deps import AdminCaller, AnyCaller, CatalogDep
from api.schemas.common import errors
from api.schemas.items import BatchItemError, ItemBatchIn, ItemBatchOut, ItemOut
from memfeed.catalog.records import ItemFields, ItemRecord
from memfeed.platform.inputs import ID_PATTERN

router = APIRouter(prefix="/v1/items", tags=["items"])

ItemId = Annotated[str, Path(pattern=ID_PATTERN, max_length=128)]


def item_out(item: ItemRecord) -> ItemOut:
    return ItemOut(
        item_id=item.item_id,
        title=item.title,
        text=item.text,
        tags=item.tags,
        category=item.category,
        available=item.available,
        published_at=item.published_at,
        metadata=item.metadata,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


@router.put(
    "/{item_id}",
    response_model=ItemOut,
    status_code=200,
    responses={201: {"model": ItemOut, "description": "created"}, **errors(400, 401, 403, 413, 422)},
)
def put_item(
    item_id: ItemId, body: ItemFields, catalog: CatalogDep, _: AdminCaller, response: Response
) -> ItemOut:
    """Create or replace one item; it is recommendable at once through its text."""
    item, created = catalog.put_item(item_id, body)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return item_out(item)


@router.post("", response_model=ItemBatchOut, responses=errors(400, 401, 403, 413, 422))
def post_items(body: ItemBatchIn, catalog: CatalogDep, _: AdminCaller) -> ItemBatchOut:
    """Upsert up to 1000 items; invalid ones are listed by index and the rest are stored."""
    outcome = catalog.upsert_items(body.items)
    return ItemBatchOut(
        upserted=outcome.upserted,
        errors=[BatchItemError(index=e.index, code=e.code, message=e.message) for e in outcome.errors],
    )


@router.get("/{item_id}", response_model=ItemOut, responses=errors(401, 404, 422))
def get_item(item_id: ItemId, catalog: CatalogDep, _: AnyCaller) -> ItemOut:
    return item_out(catalog.get_item(item_id))


@router.delete("/{item_id}", status_code=204, responses=errors(401, 403, 404, 422))
def delete_item(
    item_id: ItemId,
    catalog: CatalogDep,
    _: AdminCaller,
    hard: Annotated[bool, Query(description="also remove the item's row and vector")] = False,
) -> Response:
    """Make the item unavailable: it is never recommended again."""
    catalog.delete_item(item_id, hard=hard)
    return Response(status_code=204)
