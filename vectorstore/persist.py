"""On-disk snapshot format: data files plus a self-checksummed manifest.

Layout of a saved directory:
  vectors.npy      float32 (count, dim), live rows
  ids.json         string ids in row order
  index.faiss      HNSW graph (only when kind == "hnsw"), so loading does not pay for a rebuild
  graph_ids.json   string id per graph slot, null for tombstones (only with index.faiss)
  checksums.json   {"files": {name: sha256}, dim, kind, count, params, manifest_sha256}
Every file is written to a temp name, fsynced and os.replace'd; the manifest goes last, so a reader
never sees a manifest that lists files not yet in place. A crash between files leaves new data
under an old manifest, which `read_snapshot` reports as IndexCorrupt rather than loading it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

import faiss
import numpy as np

from .errors import IndexCorrupt

__all__ = ["MANIFEST", "Snapshot", "read_snapshot", "write_snapshot"]

FORMAT = "memfeed-vectorstore/1"
MANIFEST = "checksums.json"
VECTORS = "vectors.npy"
IDS = "ids.json"
GRAPH = "index.faiss"
GRAPH_IDS = "graph_ids.json"


@dataclass(frozen=True)
class Snapshot:
    """Everything `VectorIndex.load` needs, already verified and type-checked."""

    dim: int
    kind: str
    params: dict[str, int]
    keys: list[str]
    vectors: np.ndarray
    graph: faiss.Index | None
    graph_keys: list[str | None] | None


class _HashingWriter:
    """File wrapper hashing bytes as they are written, so checksums cost no second read."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.sha = hashlib.sha256()

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self.sha.update(data)
        return self._raw.write(data)


def _atomic_write(path: Path, fill: Callable[[_HashingWriter], object]) -> str:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as raw:
            writer = _HashingWriter(raw)
            fill(writer)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return writer.sha.hexdigest()


def _save_npy(writer: _HashingWriter, array: np.ndarray) -> None:
    """np.save only needs `.write`; typed as a file for numpy's stubs."""
    np.save(cast(BinaryIO, writer), array, allow_pickle=False)


def _fsync_dir(directory: Path) -> None:
    """Make the renames durable; best effort where directories cannot be opened (Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _manifest_digest(manifest: dict[str, Any]) -> str:
    body = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _json_bytes(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def write_snapshot(
    directory: str | Path,
    *,
    dim: int,
    params: dict[str, int],
    keys: Sequence[str],
    vectors: np.ndarray,
    graph: faiss.Index | None,
    graph_keys: Sequence[str | None] | None,
) -> str:
    """Write all files atomically; returns the sha256 hex of the manifest file's bytes."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    files = {
        VECTORS: _atomic_write(path / VECTORS, lambda f: _save_npy(f, vectors)),
        IDS: _atomic_write(path / IDS, lambda f: f.write(_json_bytes(list(keys)))),
    }
    if graph is not None:
        files[GRAPH] = _atomic_write(path / GRAPH, lambda f: f.write(faiss.serialize_index(graph).data))
        slot_ids = _json_bytes(list(graph_keys or []))
        files[GRAPH_IDS] = _atomic_write(path / GRAPH_IDS, lambda f: f.write(slot_ids))
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "dim": dim,
        "kind": "hnsw" if graph is not None else "flat",
        "count": len(keys),
        "params": dict(params),
        "files": files,
    }
    manifest["manifest_sha256"] = _manifest_digest(manifest)
    manifest_bytes = json.dumps(manifest, indent=2, sort_keys=True).encode()
    digest = _atomic_write(path / MANIFEST, lambda f: f.write(manifest_bytes))
    if graph is None:  # a graph from an earlier save is no longer described by the manifest
        for stale in (GRAPH, GRAPH_IDS):
            (path / stale).unlink(missing_ok=True)
    _fsync_dir(path)
    return digest


def _read_verified(path: Path, name: str, expected: str) -> bytes:
    """Read a file once and check that exact buffer, so nothing unverified is ever parsed."""
    try:
        data = (path / name).read_bytes()
    except FileNotFoundError:
        raise IndexCorrupt(f"{name}: file missing from saved index at {path}") from None
    except OSError as exc:
        raise IndexCorrupt(f"{name}: unreadable in saved index at {path}: {exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise IndexCorrupt(
            f"{name}: checksum mismatch in saved index at {path} (expected {expected}, got {actual})"
        )
    return data


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        raw = (path / MANIFEST).read_bytes()
    except FileNotFoundError:
        raise IndexCorrupt(f"{MANIFEST}: file missing from saved index at {path}") from None
    except OSError as exc:
        raise IndexCorrupt(f"{MANIFEST}: unreadable in saved index at {path}: {exc}") from exc
    try:
        manifest = json.loads(raw)
        ok = isinstance(manifest, dict) and manifest.get("manifest_sha256") == _manifest_digest(manifest)
    except (ValueError, TypeError):
        ok = False
    if not ok:
        raise IndexCorrupt(f"{MANIFEST}: not a valid manifest (corrupt or self-checksum mismatch) at {path}")
    if manifest.get("format") != FORMAT:
        raise IndexCorrupt(f"{MANIFEST}: unsupported format {manifest.get('format')!r} at {path}")
    return manifest


def read_snapshot(directory: str | Path) -> Snapshot:
    """Verify every checksum first, then parse; any inconsistency raises IndexCorrupt naming the file."""
    path = Path(directory)
    manifest = _read_manifest(path)
    try:
        dim, kind, count = int(manifest["dim"]), str(manifest["kind"]), int(manifest["count"])
        params = {str(key): int(value) for key, value in manifest["params"].items()}
        files = {str(name): str(sha) for name, sha in manifest["files"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise IndexCorrupt(f"{MANIFEST}: missing or malformed field ({exc}) at {path}") from exc
    required = [VECTORS, IDS] + ([GRAPH, GRAPH_IDS] if kind == "hnsw" else [])
    for name in required:
        if name not in files:
            raise IndexCorrupt(f"{MANIFEST}: does not list required file {name} at {path}")
    blobs = {name: _read_verified(path, name, sha) for name, sha in files.items()}

    try:
        vectors = np.load(io.BytesIO(blobs[VECTORS]), allow_pickle=False)
    except ValueError as exc:
        raise IndexCorrupt(f"{VECTORS}: unreadable: {exc}") from exc
    if vectors.dtype != np.float32 or vectors.shape != (count, dim):
        found = f"{vectors.dtype} {vectors.shape}"
        raise IndexCorrupt(f"{VECTORS}: expected float32 {(count, dim)}, found {found}")
    keys = _load_json_list(blobs[IDS], IDS, allow_null=False)
    if len(keys) != count or len(set(keys)) != count:
        raise IndexCorrupt(f"{IDS}: expected {count} unique ids, found {len(keys)} ({len(set(keys))} unique)")

    graph: faiss.Index | None = None
    graph_keys: list[str | None] | None = None
    if kind == "hnsw":
        try:
            # read_index already returns the concrete class; downcast_index on a temporary would leave
            # a wrapper whose owner has been garbage-collected.
            graph = faiss.deserialize_index(np.frombuffer(blobs[GRAPH], dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexCorrupt(f"{GRAPH}: unreadable: {exc}") from exc
        if (
            not isinstance(graph, faiss.IndexHNSWFlat)
            or graph.d != dim
            or graph.metric_type != faiss.METRIC_INNER_PRODUCT
        ):
            raise IndexCorrupt(f"{GRAPH}: not an inner-product IndexHNSWFlat of dim {dim}")
        graph_keys = _load_json_list(blobs[GRAPH_IDS], GRAPH_IDS, allow_null=True)
        live = [key for key in graph_keys if key is not None]
        if len(graph_keys) != graph.ntotal or len(live) != len(set(live)) or set(live) != set(keys):
            raise IndexCorrupt(f"{GRAPH_IDS}: graph slots do not match {IDS} / {GRAPH}")
    elif kind != "flat":
        raise IndexCorrupt(f"{MANIFEST}: unknown kind {kind!r}")
    return Snapshot(dim, kind, params, keys, vectors, graph, graph_keys)


def _load_json_list(blob: bytes, name: str, *, allow_null: bool) -> list[Any]:
    try:
        value = json.loads(blob)
    except ValueError as exc:
        raise IndexCorrupt(f"{name}: not valid JSON: {exc}") from exc
    if not isinstance(value, list) or not all(
        isinstance(item, str) or (allow_null and item is None) for item in value
    ):
        raise IndexCorrupt(f"{name}: expected a JSON list of string ids")
    return value
