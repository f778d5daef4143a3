"""The error shape every status >= 400 answers with, and health."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries in the error shape for the given statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}


class Health(BaseModel):
    status: str
    checks: dict[str, bool] = Field(default_factory=dict)
