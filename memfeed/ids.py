"""Client-chosen identifiers and bounded strings, shared by every input model."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

ID_PATTERN = r"^[A-Za-z0-9_\-.:@]{1,128}$"

ExternalId = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=128)]
"""1-128 chars of letters, digits and `_-.:@` (the contract's id rule)."""

Tag = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
