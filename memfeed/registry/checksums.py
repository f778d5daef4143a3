"""Durable file primitives for the registry: sha256 of files and folders, atomic replace, directory fsync.

Everything here either completes on disk or leaves the previous state: a crash never shows a reader a torn
manifest or pointer.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from memfeed.platform.errors import InvalidInput

_CHUNK = 1 << 20


def fsync_dir(directory: Path) -> None:
    """Make renames inside `directory` durable; best effort where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes, *, newer_than_ns: int | None = None) -> None:
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
    fsync_dir(path.parent)


def sha256_file(path: Path, *, sync: bool = False) -> tuple[str, int]:
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


def hash_tree(root: Path, *, skip: str) -> dict[str, dict[str, Any]]:
    """{relative posix path: {"sha256", "bytes"}} for every file under `root` except the top-level `skip`.

    Files are flushed to disk as they are hashed, so a committed version's bytes are durable.
    """
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            raise InvalidInput(f"{rel} is a symlink; a model version must hold real files", {"file": rel})
        if path.is_dir() or rel == skip:
            continue
        sha, size = sha256_file(path, sync=True)
        files[rel] = {"sha256": sha, "bytes": size}
    return files
