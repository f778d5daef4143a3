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
import json
import logging
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from memfeed.platform.errors import InvalidInput, MemfeedError, NotFound
from memfeed.registry.checksums import fsync_dir, hash_tree, sha256_file, write_atomic
from memfeed.registry.codeversion import code_version
from memfeed.registry.manifest import (
    MANIFEST,
    Manifest,
    ModelCorrupt,
    artifact_path,
    is_version_name,
    load_manifest,
    utc_iso,
)

__all__ = [
    "ModelRegistry",
    "NoPreviousChampion",
    "VersionNotFound",
    "VersionWriter",
]

log = logging.getLogger("memfeed.registry.versions")

POINTER = "champion"
LOCK = ".lock"
STAGING_PREFIX = ".staging-"
DELETING_PREFIX = ".deleting-"
STALE_STAGING_SECONDS = 3600.0


class VersionNotFound(NotFound):
    """No committed version of that name (also for names that are not plain folder names)."""


class NoPreviousChampion(MemfeedError):
    """Rollback asked for, but the champion history is empty."""

    code = "conflict"


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
            files=hash_tree(self.path, skip=MANIFEST),
            decision=decision,
            path=final,
        )
        text = json.dumps(manifest.to_dict(), indent=2) + "\n"
        write_atomic(self.path / MANIFEST, text.encode("utf-8"))
        os.rename(self.path, final)
        fsync_dir(self.root)
        self._state = "committed"
        self._release()
        log.info("committed model version %s (%d files)", self.version, len(manifest.files))
        return load_manifest(final)  # a deep copy, exactly as later readers will see it

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
                return VersionWriter(self.root, version, utc_iso(now))
            except FileExistsError:
                continue
        raise RuntimeError(f"could not pick an unused version name in {self.root}")

    def versions(self) -> list[Manifest]:
        """Every committed version, oldest first; unreadable ones are skipped with a warning."""
        found: list[Manifest] = []
        for entry in self.root.iterdir():
            if not is_version_name(entry.name) or not entry.is_dir():
                continue
            try:
                found.append(load_manifest(entry))
            except ModelCorrupt as exc:
                log.warning("skipping model version %s: %s", entry.name, exc.message)
        return sorted(found, key=lambda m: (m.created_at, m.version))

    def get(self, version: str) -> Manifest:
        """The manifest of one version (not verified: see `verify`)."""
        if not is_version_name(version) or not (self.root / version).is_dir():
            raise VersionNotFound(f"no model version {version!r}", {"version": version})
        return load_manifest(self.root / version)

    def verify(self, version: str) -> Manifest:
        """Re-hash every file the manifest lists; ModelCorrupt naming the first file that is off."""
        manifest = self.get(version)
        for rel, info in manifest.files.items():
            path = artifact_path(manifest.path, rel, version)
            details = {"version": version, "file": rel}
            if not path.is_file():
                raise ModelCorrupt(f"{version}: artifact {rel} is missing ({path})", details)
            size = path.stat().st_size
            if size != info["bytes"]:
                raise ModelCorrupt(
                    f"{version}: artifact {rel} has {size} bytes, manifest says {info['bytes']} ({path})",
                    details,
                )
            if sha256_file(path)[0] != info["sha256"]:
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
            and is_version_name(raw.get("version"))
            and isinstance(history, list)
            and all(is_version_name(v) for v in history)
        ):
            raise ModelCorrupt(
                f"champion pointer {path} is unreadable; delete it and promote a version", {"file": POINTER}
            )
        return {"version": raw["version"], "promoted_at": raw.get("promoted_at"), "history": history}

    def _write_pointer(self, version: str, history: list[str], promoted_at: str | None = None) -> None:
        pointer = {
            "version": version,
            "promoted_at": promoted_at or utc_iso(datetime.now(UTC)),
            "history": history,
        }
        data = (json.dumps(pointer, indent=2) + "\n").encode("utf-8")
        write_atomic(self.root / POINTER, data, newer_than_ns=self._pointer_mtime_ns())

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
