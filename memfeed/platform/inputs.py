"""Client-chosen identifiers, bounded strings and free JSON objects, shared by every input model.

Free text and JSON refuse NUL characters: PostgreSQL cannot store them in text or JSONB, so accepting one
would turn a client's mistake into a server error on one backend and not the other.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, StringConstraints, WithJsonSchema

ID_PATTERN = r"^[A-Za-z0-9_\-.:@]{1,128}$"
MAX_JSON_DEPTH = 32

ExternalId = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=128)]
"""1-128 chars of letters, digits and `_-.:@` (the contract's id rule)."""


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _clean_json(value: Any, depth: int = 0) -> Any:
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        return no_nul(value)
    if isinstance(value, dict):
        for key, inner in value.items():
            no_nul(key)
            _clean_json(inner, depth + 1)
    elif isinstance(value, list):
        for inner in value:
            _clean_json(inner, depth + 1)
    return value


CleanStr = Annotated[str, AfterValidator(no_nul)]
Tag = Annotated[
    str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True), AfterValidator(no_nul)
]
JsonObject = Annotated[dict[str, Any], AfterValidator(_clean_json)]
"""A free JSON object (metadata, traits, context): no NUL characters, at most 32 levels deep."""

InputTime = Annotated[
    AwareDatetime,
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "number"},
                {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"},
            ],
            "description": "ISO-8601 with an offset, or Unix time (seconds; milliseconds above 2e10)",
        },
        mode="validation",
    ),
]
"""A moment on input, as pydantic reads it: ISO-8601 with an offset or Unix time, as a number or digits.
The default schema said `date-time` only, so generated clients could not send the Unix seconds we take."""
