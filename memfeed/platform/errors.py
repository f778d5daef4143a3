"""Domain errors. The API maps each to one status and code in api/errors.py; the core knows nothing of HTTP."""

from __future__ import annotations

from typing import Any


class MemfeedError(Exception):
    """Base of every error the core raises on purpose."""

    code = "bad_request"

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(MemfeedError):
    code = "not_found"


class ItemNotFound(NotFound):
    pass


class InvalidCursor(MemfeedError):
    code = "bad_request"


class InvalidInput(MemfeedError):
    code = "bad_request"


class Unauthorized(MemfeedError):
    code = "unauthorized"


class MemoryNotFound(NotFound):
    """No live memory with that id for that user (another user's id is not found either, never forbidden)."""


class MemoryLimitReached(MemfeedError):
    code = "conflict"


class UserNotFound(NotFound):
    """Nothing at all is stored for that user id (no profile, events, memories or other rows)."""
