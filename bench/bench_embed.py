"""Benchmark: catalog embedding through memfeed (`embed_missing`) vs a raw SentenceTransformer.encode.

Run: python bench/bench_embed.py [--n 2000] [--repeats 2]

Target: embed_missing throughput / raw `SentenceTransformer.encode` throughput on the same texts >= 0.9.

Item texts come from memfeed's demo generator (`generate_demo`, rendered with `item_text`; beyond the
generated catalog, items repeat with a suffix in the title). Each memfeed run gets a fresh SQLite database
(migrated with `upgrade`) holding the items without vectors, content hashes set as catalog.py sets them; it
times `CatalogService.embed_missing` (select rows, render texts, encode in batches, store and commit vectors
batch by batch). The baseline encodes the same texts with `embedder._model.encode(texts,
batch_size=embedder.batch_size, normalize_embeddings=True)`. The model is warmed up first; runs alternate
order and the best of `--repeats` is kept for each side. Finally a second `embed_missing` on the same database
shows the incremental case (nothing changed: 0 items embedded).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memfeed.catalog.embedding import Embedder, content_hash, item_text, load_embedder
from memfeed.catalog.service import CatalogService
from memfeed.demo.data import DemoItem, generate_demo
from memfeed.platform.settings import Settings
from memfeed.platform.storage import Item, ItemVector, create_database
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.migrate import upgrade

TARGET_RATIO = 0.9


def make_items(n: int, catalog_size: int, seed: int) -> list[DemoItem]:
    """`n` items from the demo catalog, repeated with a suffix in the title (new text, new hash) if needed."""
    demo = generate_demo(n_items=min(n, catalog_size), n_users=1, seed=seed)
    out: list[DemoItem] = []
    round_ = 1
    while len(out) < n:
        for d in demo.items[: n - len(out)]:
            suffix = "" if round_ == 1 else f" (part {round_})"
            item_id = d.item_id if round_ == 1 else f"{d.item_id}-r{round_}"
            out.append(replace(d, item_id=item_id, title=d.title + suffix))
        round_ += 1
    return out


def fresh_database(directory: Path, items: list[DemoItem], name: str) -> Database:
    """A migrated SQLite database with the items and no vectors (content_hash as catalog.py computes it)."""
    database = create_database(f"sqlite:///{(directory / name).as_posix()}")
    upgrade(database)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "item_id": it.item_id,
            "title": it.title,
            "text": it.text,
            "tags": list(it.tags),
            "category": it.category,
            "available": True,
            "published_at": it.published_at,
            "meta": {},
            # catalog._hash_fields: content_hash(title, text, tuple(tags), category)
            "content_hash": content_hash(it.title, it.text, tuple(it.tags), it.category),
            "created_at": now,
            "updated_at": now,
        }
        for it in items
    ]
    with database.session() as session:
        session.execute(insert(Item), rows)
    return database


def run_memfeed(database: Database, embedder: Embedder) -> tuple[int, float, float]:
    """(items embedded, seconds in embed_missing, seconds to commit). `embed_missing` commits each batch
    itself, so its time includes the commits and the last figure is 0."""
    t0 = time.perf_counter()
    count = CatalogService(database, embedder).embed_missing()
    return count, time.perf_counter() - t0, 0.0


class StubEmbedder:
    """Embedder stand-in that returns fixed unit vectors at once: isolates embed_missing's own overhead."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.embedder_id = f"bench-stub/{dim}"
        self._vector = np.full(dim, 1.0 / np.sqrt(dim), dtype=np.float32)

    def encode(self, texts: Sequence[str], *, show_progress: bool = False) -> np.ndarray:
        return np.tile(self._vector, (len(texts), 1))


def run_raw(embedder: Embedder, texts: list[str]) -> float:
    t0 = time.perf_counter()
    vectors = embedder._model.encode(texts, batch_size=embedder.batch_size, normalize_embeddings=True)
    elapsed = time.perf_counter() - t0
    assert len(vectors) == len(texts)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000, help="number of item texts")
    parser.add_argument(
        "--catalog-size", type=int, default=2000, help="demo catalog size; items beyond it repeat"
    )
    parser.add_argument("--repeats", type=int, default=2, help="runs per side; the best is kept")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    t0 = time.perf_counter()
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    load_s = time.perf_counter() - t0
    items = make_items(args.n, args.catalog_size, args.seed)
    texts = [item_text(it.title, it.text, list(it.tags), it.category) for it in items]

    import torch

    lengths = sorted(len(t) for t in texts)
    print(
        f"model={embedder.name} id={embedder.embedder_id} batch_size={embedder.batch_size} "
        f"device={settings.embedding_device} torch={torch.__version__} threads={torch.get_num_threads()} "
        f"(model load {load_s:.1f} s) cpus={os.cpu_count()} loadavg(1m)={os.getloadavg()[0]:.2f}"
    )
    print(
        f"texts={len(texts)} chars: median {lengths[len(lengths) // 2]}, max {lengths[-1]}; "
        f"embed_missing batch=512 rows per encode call"
    )
    embedder.encode(texts[:64])  # warm-up: neither side pays the first-call cost
    run_raw(embedder, texts[:64])

    tmp = Path(tempfile.mkdtemp(prefix="memfeed-bench-embed-"))
    memfeed_runs: list[tuple[float, float]] = []
    raw_runs: list[float] = []
    database: Database | None = None
    try:
        for round_ in range(args.repeats):
            order = ("memfeed", "raw") if round_ % 2 == 0 else ("raw", "memfeed")
            for side in order:
                if side == "raw":
                    raw_runs.append(run_raw(embedder, texts))
                    print(f"round {round_ + 1}: raw encode      {raw_runs[-1]:7.2f} s", flush=True)
                    continue
                if database is not None:
                    database.dispose()
                database = fresh_database(tmp, items, f"embed-{round_}.db")
                count, embed_s, commit_s = run_memfeed(database, embedder)
                assert count == len(texts), f"embedded {count}, expected {len(texts)}"
                memfeed_runs.append((embed_s, commit_s))
                print(
                    f"round {round_ + 1}: embed_missing   {embed_s:7.2f} s (+ commit {commit_s:.2f} s)",
                    flush=True,
                )

        assert database is not None
        with database.session() as session:
            stored = session.scalar(select(func.count()).select_from(ItemVector))
        again, again_s, again_commit = run_memfeed(database, embedder)
        database.dispose()
        stub_db = fresh_database(tmp, items, "embed-stub.db")
        _, stub_s, stub_commit = run_memfeed(stub_db, cast(Embedder, StubEmbedder(embedder.dim)))
        stub_db.dispose()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    best_memfeed, best_commit = min(memfeed_runs)
    best_raw = min(raw_runs)
    n = len(texts)
    mem_tps, mem_commit_tps, raw_tps = n / best_memfeed, n / (best_memfeed + best_commit), n / best_raw
    ratio = mem_tps / raw_tps
    print(f"\n{'path':<48} {'seconds':>8} {'texts/s':>9}")
    print(f"{'raw SentenceTransformer.encode (baseline)':<48} {best_raw:>8.2f} {raw_tps:>9.1f}")
    print(f"{'embed_missing (memfeed)':<48} {best_memfeed:>8.2f} {mem_tps:>9.1f}")
    print(f"{'embed_missing + commit':<48} {best_memfeed + best_commit:>8.2f} {mem_commit_tps:>9.1f}")
    print(f"ratio embed_missing / raw: {ratio:.3f} (with commit: {mem_commit_tps / raw_tps:.3f})")
    verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
    print(f"target ratio >= {TARGET_RATIO}: {verdict}  (loadavg(1m) now {os.getloadavg()[0]:.2f})")
    print(
        f"\nembed_missing with a stub encoder (no model; select, item_text, store, flush): {stub_s:.2f} s "
        f"(+ commit {stub_commit:.2f} s) = {1e3 * stub_s / n:.2f} ms/item, "
        f"{stub_s / best_memfeed:.1%} of the best embed_missing run"
    )
    print(
        f"incremental: second embed_missing on the same database ({stored} vectors stored) embedded "
        f"{again} items in {1e3 * again_s:.1f} ms (+ commit {1e3 * again_commit:.1f} ms)"
    )


if __name__ == "__main__":
    main()
