"""Dense float32 storage of every live vector, keyed by string id."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["VectorTable"]

_MIN_CAPACITY = 16


class VectorTable:
    """Contiguous rows + string-id <-> row-number maps.

    Rows stay packed (removal moves the last row into the hole) so that exact search is a single
    matmul over `matrix`, `get` is an index, and rebuilding the HNSW graph needs no gathering.
    Capacity grows by doubling so a stream of small upserts stays amortised O(1) per vector.
    Not thread-safe by itself: `VectorIndex` serialises writers and excludes readers while mutating.
    """

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._data = np.empty((_MIN_CAPACITY, dim), dtype=np.float32)
        self._keys: list[str] = []
        self._row_of: dict[str, int] = {}

    @classmethod
    def from_arrays(cls, dim: int, keys: Sequence[str], matrix: np.ndarray) -> VectorTable:
        """Adopt already-validated rows (used by `load`) without re-checking each id."""
        table = cls(dim)
        table._ensure_capacity(len(keys))
        table._data[: len(keys)] = matrix
        table._keys = list(keys)
        table._row_of = {key: row for row, key in enumerate(table._keys)}
        return table

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def keys(self) -> list[str]:
        """Row-ordered ids; the live list, so callers must copy before handing it out."""
        return self._keys

    @property
    def matrix(self) -> np.ndarray:
        """View of the live rows (no copy), aligned with `keys`."""
        return self._data[: len(self._keys)]

    def row(self, key: str) -> int | None:
        return self._row_of.get(key)

    def rows_for(self, keys: Iterable[str]) -> np.ndarray:
        """Rows of the known keys among `keys` (unknown ones are ignored, duplicates collapsed)."""
        row_of = self._row_of
        rows = {row_of[k] for k in keys if k in row_of}
        return np.fromiter(rows, dtype=np.int64, count=len(rows))

    def get(self, key: str) -> np.ndarray | None:
        row = self._row_of.get(key)
        return None if row is None else self._data[row].copy()

    def get_many(self, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        found = [k for k in keys if k in self._row_of]
        rows = np.fromiter((self._row_of[k] for k in found), dtype=np.int64, count=len(found))
        return found, self._data[rows]  # fancy indexing already copies

    def upsert(self, keys: Sequence[str], vectors: np.ndarray) -> list[str]:
        """Write rows in place for known keys, append the rest; returns the keys that were replaced.

        `keys` must be unique and `vectors` validated float32 of shape (len(keys), dim).
        """
        replaced_pos = [i for i, k in enumerate(keys) if k in self._row_of]
        new_pos = [i for i, k in enumerate(keys) if k not in self._row_of]
        if replaced_pos:
            rows = [self._row_of[keys[i]] for i in replaced_pos]
            self._data[rows] = vectors[replaced_pos]
        if new_pos:
            start = len(self._keys)
            self._ensure_capacity(start + len(new_pos))
            self._data[start : start + len(new_pos)] = vectors[new_pos]
            for offset, i in enumerate(new_pos):
                self._keys.append(keys[i])
                self._row_of[keys[i]] = start + offset
        return [keys[i] for i in replaced_pos]

    def remove(self, keys: Iterable[str]) -> list[str]:
        """Drop known keys (swap-with-last keeps rows packed); returns those actually removed."""
        removed: list[str] = []
        for key in keys:
            row = self._row_of.pop(key, None)
            if row is None:
                continue
            removed.append(key)
            last = len(self._keys) - 1
            if row != last:
                moved = self._keys[last]
                self._data[row] = self._data[last]
                self._keys[row] = moved
                self._row_of[moved] = row
            self._keys.pop()
        return removed

    def _ensure_capacity(self, needed: int) -> None:
        capacity = self._data.shape[0]
        if needed <= capacity:
            return
        grown = np.empty((max(needed, 2 * capacity, _MIN_CAPACITY), self._dim), dtype=np.float32)
        grown[: len(self._keys)] = self._data[: len(self._keys)]
        self._data = grown
