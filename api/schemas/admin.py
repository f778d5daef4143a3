"""Retrain runs and model versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class RunStarted(BaseModel):
    run_id: str


class RunOut(BaseModel):
    run_id: str
    state: str
    started_at: datetime | None
    finished_at: datetime | None
    version: str | None
    promoted: bool | None
    metrics: dict[str, Any] | None
    error: str | None = None


class ModelOut(BaseModel):
    version: str
    created_at: str
    champion: bool
    metrics: dict[str, Any]
    parameters: dict[str, Any]
    data: dict[str, Any]
    decision: dict[str, Any]


class ModelList(BaseModel):
    champion: str | None
    serving: str
    items: list[ModelOut]
