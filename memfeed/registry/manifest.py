"""A model version's manifest: what it holds, how it was made, and the checks that make it trustworthy.

`models/<version>/manifest.json` is the truth about a version (tracked in git, see docs/models.md); reading
one either yields a fully typed `Manifest` or raises `ModelCorrupt` naming the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from memfeed.platform.errors import MemfeedError

MANIFEST = "manifest.json"
# a plain folder name: no separators, no "." or "..", no hidden (staging) folders
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_STR_FIELDS = ("version", "created_at", "embedder")
_DICT_FIELDS = ("code", "data", "parameters", "metrics", "files", "decision")


class ModelCorrupt(MemfeedError):
    """A version's files do not match its manifest, or the manifest (or pointer) cannot be read."""

    code = "conflict"


@dataclass(frozen=True)
class Manifest:
    """Everything needed to trust and rebuild a version: data watermark, code, parameters, checksums."""

    version: str
    created_at: str
    code: dict[str, Any]
    data: dict[str, Any]
    parameters: dict[str, Any]
    metrics: dict[str, Any]
    embedder: str
    files: dict[str, dict[str, Any]]
    decision: dict[str, Any]
    path: Path

    def to_dict(self) -> dict[str, Any]:
        """The manifest.json body (everything but `path`)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "path"}


def is_version_name(name: object) -> bool:
    """True for a name that can be a committed version folder (never a staging, hidden or nested path)."""
    return isinstance(name, str) and _PLAIN_NAME.fullmatch(name) is not None


def utc_iso(moment: datetime) -> str:
    """Microseconds included, so versions begun within one second still sort by creation."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def artifact_path(folder: Path, rel: str, version: str) -> Path:
    """The file a manifest entry names, refusing entries that would point outside the version folder."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise ModelCorrupt(
            f"{version}: manifest lists an invalid path {rel!r}", {"version": version, "file": rel}
        )
    return folder.joinpath(*parts)


def load_manifest(folder: Path) -> Manifest:
    """Read and type-check `folder/manifest.json`; ModelCorrupt naming the file if anything is off."""
    path = folder / MANIFEST
    details = {"version": folder.name, "file": MANIFEST}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelCorrupt(f"{path} is missing", details) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelCorrupt(f"{path} is unreadable: {exc}", details) from exc
    if not isinstance(raw, dict):
        raise ModelCorrupt(f"{path} is not a JSON object", details)
    wrong = [key for key in _STR_FIELDS if not isinstance(raw.get(key), str)]
    wrong += [key for key in _DICT_FIELDS if not isinstance(raw.get(key), dict)]
    if wrong:
        raise ModelCorrupt(f"{path} has missing or mistyped fields: {', '.join(wrong)}", details)
    if raw["version"] != folder.name:
        raise ModelCorrupt(f"{path} says version {raw['version']!r}, folder is {folder.name!r}", details)
    for rel, info in raw["files"].items():
        if not (
            isinstance(info, dict) and isinstance(info.get("sha256"), str) and type(info.get("bytes")) is int
        ):
            raise ModelCorrupt(f"{path} has a malformed entry for {rel}", details)
    return Manifest(**{key: raw[key] for key in (*_STR_FIELDS, *_DICT_FIELDS)}, path=folder)
