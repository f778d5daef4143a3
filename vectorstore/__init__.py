"""In-process vector index for memfeed: exact search when small, HNSW when large, checksummed snapshots.

Self-contained on purpose (stdlib, numpy, faiss only) so it can be tested and benchmarked alone.
"""

from __future__ import annotations

from .errors import IndexCorrupt
from .index import VectorIndex

__all__ = ["IndexCorrupt", "VectorIndex"]
