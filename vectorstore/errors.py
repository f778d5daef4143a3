"""Exceptions raised by the vector store."""

from __future__ import annotations

__all__ = ["IndexCorrupt"]


class IndexCorrupt(Exception):
    """Raised when a saved index fails its checksum or is unreadable/missing files.

    A distinct type lets callers fall back to re-embedding instead of serving from damaged data.
    """
