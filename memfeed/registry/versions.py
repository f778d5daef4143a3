"""The model registry: versioned model folders under `models/`, each with a checksummed manifest, and one
`champion` pointer saying which version serves.

Layout (see docs/models.md):
  models/<version>/manifest.json   the truth about a version (tracked in git); artifacts beside it (ignored)
  models/.staging-<version>/       a version being written; renamed into place by `VersionWriter.commit`
  models/champion                  {"version", "promoted_at", "history"}: pointer and rollback stack in one
                                   file, so both change in one atomic os.replace
  models/.lock                     flock held around every read-modify-write of the pointer and around purge
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from memfeed.platform.errors import InvalidInput, MemfeedError, NotFound
from memfeed.registry.codeversion import code_version

__all__ = [
    "Manifest",
    "ModelCorrupt",
    "ModelRegistry",
    "NoPreviousChampion",
    "VersionNotFound",
    "VersionWriter",
]

log = logging.getLogger("memfeed.registry.versions")

MANIFEST = "manifest.json"
POINTER = "champion"
LOCK = ".lock"
STAGING_PREFIX = ".staging-"
DELETING_PREFIX = ".deleting-"
STALE_STAGING_SECONDS = 3600.0
_CHUNK = 1 << 20
# a plain folder name: no separators, no "." or "..", no hidden (staging) folders
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_STR_FIELDS = ("version", "created_at", "embedder")
_DICT_FIELDS = ("code", "data", "parameters", "metrics", "files", "decision")


class VersionNotFound(NotFound):
    """No committed version of that name (also for names that are not plain folder names)."""


class ModelCorrupt(MemfeedError):
    """A version's files do not match its manifest, or the manifest (or pointer) cannot be read."""

    code = "conflict"


class NoPreviousChampion(MemfeedError):
    """Rollback asked for, but the champion history is empty."""

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


def _is_plain_name(name: object) -> bool:
    return isinstance(name, str) and _PLAIN_NAME.fullmatch(name) is not None


def _utc_iso(moment: datetime) -> str:
    """Microseconds included, so versions begun within one second still sort by creation."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _fsync_dir(directory: Path) -> None:
    """Make renames inside `directory` durable; best effort where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, data: bytes, *, newer_than_ns: int | None = None) -> None:
    """Write, fsync, os.replace: readers see the old file or the new one, never a torn one.

    `newer_than_ns` forces the new file's mtime past the old one's, so pollers comparing mtimes never miss
    two writes that land in the same filesystem timestamp tick.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    if newer_than_ns is not None:
        stat = os.stat(tmp)
        if stat.st_mtime_ns <= newer_than_ns:
            os.utime(tmp, ns=(stat.st_atime_ns, newer_than_ns + 1))
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _sha256(path: Path, *, sync: bool = False) -> tuple[str, int]:
    """(hex digest, size) of a file read in chunks; `sync` also flushes it to disk before a commit."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        if sync:
            os.fsync(src.fileno())
    return digest.hexdigest(), size


def _hash_tree(root: Path) -> dict[str, dict[str, Any]]:
    """{relative posix path: {"sha256", "bytes"}} for every file under `root` except the top-level manifest."""
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise InvalidInput(f"{rel} is a symlink; a model version must hold real files", {"file": rel})
        if path.is_dir() or rel == MANIFEST:
            continue
        sha, size = _sha256(path, sync=True)
        files[rel] = {"sha256": sha, "bytes": size}
    return files


def _artifact(folder: Path, rel: str, version: str) -> Path:
    """The file a manifest entry names, refusing entries that would point outside the version folder."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
        raise ModelCorrupt(
            f"{version}: manifest lists an invalid path {rel!r}", {"version": version, "file": rel}
        )
    return folder.joinpath(*parts)


def _load_manifest(folder: Path) -> Manifest:
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


class VersionWriter:
    """A version being written: artifacts go into `path` (a staging folder), then `commit` publishes them.

    The staging folder is flock'ed while the writer lives, so `purge` never removes a run still writing.
    As a context manager it aborts on leaving the block uncommitted (exception or not).
    """

    def __init__(self, root: Path, version: str, created_at: str) -> None:
        self.root = root
        self.version = version
        self.created_at = created_at
        self.path = root / f"{STAGING_PREFIX}{version}"
        self.path.mkdir()  # FileExistsError if another writer took the name
        self._lock_fd: int | None = os.open(self.path, os.O_RDONLY)
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        self._state = "open"

    def __enter__(self) -> VersionWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._state == "open":
            self.abort()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def commit(
        self,
        *,
        parameters: dict[str, Any],
        metrics: dict[str, Any],
        data: dict[str, Any],
        embedder: str,
        decision: dict[str, Any],
    ) -> Manifest:
        """Hash every file, write manifest.json, rename the folder to models/<version>/ (both atomic)."""
        if self._state != "open":
            raise RuntimeError(f"version {self.version} is already {self._state}")
        final = self.root / self.version
        if final.exists():
            raise FileExistsError(f"{final} already exists")
        manifest = Manifest(
            version=self.version,
            created_at=self.created_at,
            code=dict(code_version()),
            data=data,
            parameters=parameters,
            metrics=metrics,
            embedder=embedder,
            files=_hash_tree(self.path),
            decision=decision,
            path=final,
        )
        text = json.dumps(manifest.to_dict(), indent=2) + "\n"
        _write_atomic(self.path / MANIFEST, text.encode("utf-8"))
        os.rename(self.path, final)
        _fsync_dir(self.root)
        self._state = "committed"
        self._release()
        log.info("committed model version %s (%d files)", self.version, len(manifest.files))
        return _load_manifest(final)  # a deep copy, exactly as later readers will see it

    def abort(self) -> None:
        """Remove the staging folder; a no-op after commit or a previous abort."""
        if self._state != "open":
            return
        shutil.rmtree(self.path, ignore_errors=True)
        self._state = "aborted"
        self._release()


class ModelRegistry:
    """Version folders, the champion pointer with its rollback history, and purge, all under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    # versions

    def begin(self) -> VersionWriter:
        """Start a version named f"{utc:%Y%m%dT%H%M%S}Z-{6 hex}": sortable by time, unique by its suffix."""
        for _ in range(16):
            now = datetime.now(UTC)
            version = f"{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"
            if (self.root / version).exists():
                continue
            try:
                return VersionWriter(self.root, version, _utc_iso(now))
            except FileExistsError:
                continue
        raise RuntimeError(f"could not pick an unused version name in {self.root}")

    def versions(self) -> list[Manifest]:
        """Every committed version, oldest first; unreadable ones are skipped with a warning."""
        found: list[Manifest] = []
        for entry in self.root.iterdir():
            if not _is_plain_name(entry.name) or not entry.is_dir():
                continue
            try:
                found.append(_load_manifest(entry))
            except ModelCorrupt as exc:
                log.warning("skipping model version %s: %s", entry.name, exc.message)
        return sorted(found, key=lambda m: (m.created_at, m.version))

    def get(self, version: str) -> Manifest:
        """The manifest of one version (not verified: see `verify`)."""
        if not _is_plain_name(version) or not (self.root / version).is_dir():
            raise VersionNotFound(f"no model version {version!r}", {"version": version})
        return _load_manifest(self.root / version)

    def verify(self, version: str) -> Manifest:
        """Re-hash every file the manifest lists; ModelCorrupt naming the first file that is off."""
        manifest = self.get(version)
        for rel, info in manifest.files.items():
            path = _artifact(manifest.path, rel, version)
            details = {"version": version, "file": rel}
            if not path.is_file():
                raise ModelCorrupt(f"{version}: artifact {rel} is missing ({path})", details)
            size = path.stat().st_size
            if size != info["bytes"]:
                raise ModelCorrupt(
                    f"{version}: artifact {rel} has {size} bytes, manifest says {info['bytes']} ({path})",
                    details,
                )
            if _sha256(path)[0] != info["sha256"]:
                raise ModelCorrupt(f"{version}: artifact {rel} does not match its sha256 ({path})", details)
        return manifest

    # champion pointer

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across processes: two promotes never interleave their read-modify-write."""
        with open(self.root / LOCK, "a+b") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield

    def _read_pointer(self) -> dict[str, Any] | None:
        path = self.root / POINTER
        try:
            raw: Any = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raw = None
        history = raw.get("history", []) if isinstance(raw, dict) else None
        if not (
            isinstance(raw, dict)
            and _is_plain_name(raw.get("version"))
            and isinstance(history, list)
            and all(_is_plain_name(v) for v in history)
        ):
            raise ModelCorrupt(
                f"champion pointer {path} is unreadable; delete it and promote a version", {"file": POINTER}
            )
        return {"version": raw["version"], "promoted_at": raw.get("promoted_at"), "history": history}

    def _write_pointer(self, version: str, history: list[str], promoted_at: str | None = None) -> None:
        pointer = {
            "version": version,
            "promoted_at": promoted_at or _utc_iso(datetime.now(UTC)),
            "history": history,
        }
        data = (json.dumps(pointer, indent=2) + "\n").encode("utf-8")
        _write_atomic(self.root / POINTER, data, newer_than_ns=self._pointer_mtime_ns())

    def champion(self) -> str | None:
        """The serving version id, or None before the first promote."""
        pointer = self._read_pointer()
        return None if pointer is None else str(pointer["version"])

    def champion_manifest(self) -> Manifest | None:
        version = self.champion()
        return None if version is None else self.get(version)

    def promote(self, version: str) -> Manifest:
        """Make `version` the champion after verifying it; the previous champion goes onto the history."""
        with self._locked():
            manifest = self.verify(version)  # under the lock, so purge cannot delete it meanwhile
            pointer = self._read_pointer()
            if pointer is not None and pointer["version"] == version:
                return manifest
            history = [] if pointer is None else [*pointer["history"], pointer["version"]]
            self._write_pointer(version, history)
        log.info("promoted model version %s", version)
        return manifest

    def rollback(self) -> Manifest:
        """Back to the previous champion (verified first); each rollback pops one more off the history."""
        with self._locked():
            pointer = self._read_pointer()
            if pointer is None or not pointer["history"]:
                raise NoPreviousChampion("no previous champion to roll back to")
            target = pointer["history"][-1]
            manifest = self.verify(target)
            self._write_pointer(target, pointer["history"][:-1])
        log.info("rolled back champion from %s to %s", pointer["version"], target)
        return manifest

    def _pointer_mtime_ns(self) -> int | None:
        try:
            return os.stat(self.root / POINTER).st_mtime_ns
        except FileNotFoundError:
            return None

    def pointer_mtime(self) -> float | None:
        """mtime_ns of the pointer file (None without one): a cheap stat for servers polling for promotions.

        Every pointer write moves it strictly forward, so an unchanged value means an unchanged pointer.
        """
        return self._pointer_mtime_ns()

    # cleanup

    def purge(self, keep: int) -> list[str]:
        """Delete versions beyond the newest `keep`, sparing the champion and the rollback target.

        Also removes staging folders untouched for an hour whose writer is gone. Returns deleted version ids.
        """
        if keep < 0:
            raise InvalidInput("keep must be >= 0", {"keep": keep})
        deleted: list[str] = []
        with self._locked():
            pointer = self._read_pointer()
            spared: set[str] = set()
            if pointer is not None:
                spared.add(pointer["version"])
                spared.update(pointer["history"][-1:])
            versions = self.versions()
            spared.update(m.version for m in versions[max(0, len(versions) - keep) :])
            for manifest in versions:
                if manifest.version in spared:
                    continue
                trash = self.root / f"{DELETING_PREFIX}{manifest.version}"
                os.rename(manifest.path, trash)  # gone from versions() at once, even if rmtree stops halfway
                shutil.rmtree(trash, ignore_errors=True)
                deleted.append(manifest.version)
            if pointer is not None and deleted:
                history = [v for v in pointer["history"] if v not in deleted]
                if history != pointer["history"]:
                    self._write_pointer(pointer["version"], history, pointer["promoted_at"])
            self._remove_stale_staging()
        if deleted:
            log.info("purged model versions %s", ", ".join(deleted))
        return deleted

    def _remove_stale_staging(self) -> None:
        cutoff = time.time() - STALE_STAGING_SECONDS
        for entry in self.root.iterdir():
            try:
                if entry.name.startswith(DELETING_PREFIX) and entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)  # left by an interrupted purge
                elif (
                    entry.name.startswith(STAGING_PREFIX)
                    and entry.is_dir()
                    and entry.stat().st_mtime < cutoff
                ):
                    self._remove_if_abandoned(entry)
            except FileNotFoundError:
                continue  # a writer committed or aborted meanwhile

    @staticmethod
    def _remove_if_abandoned(staging: Path) -> None:
        fd = os.open(staging, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a live writer holds it: a long training run, not garbage
            shutil.rmtree(staging, ignore_errors=True)
        finally:
            os.close(fd)
        log.info("removed stale staging folder %s", staging.name)
