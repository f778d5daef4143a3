"""Benchmark: how to search with an exclusion set (pre-filter selector vs over-fetch), flat and HNSW.

Run: python bench/bench_index_exclusion.py [--n 100000] [--dim 384]

Generates clustered, L2-normalised random vectors (embedding-like: neighbours are meaningful) and two
kinds of exclusion sets per query: `random` ids (rarely near the query) and `near` = the query's own
exact top-|E| neighbours (worst case for filtering; typical for "already seen" items). Prints
per-query latency, recall@k against exact filtered search, and how many queries came back short of k.
The HNSW kernels are the package's own (`vectorstore.search`), so the numbers describe what it runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore import VectorIndex
from vectorstore.graph import HnswGraph
from vectorstore.search import (
    allowed_bitmap,
    blas_topk,
    exact_topk,
    hnsw_search_batch_selector,
    hnsw_search_bitmap,
    hnsw_search_filtered,
    hnsw_search_overfetch,
)

Method = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (query (1, d), excluded rows) -> labels (k,)


def make_data(n: int, dim: int, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Cluster centres + noise, normalised, so that nearest neighbours are not arbitrary."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 100), dim)).astype(np.float32)

    def sample(count: int) -> np.ndarray:
        x = centres[rng.integers(0, len(centres), count)] + 0.6 * rng.standard_normal((count, dim))
        x = x.astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return sample(n), sample(n_queries)


def filter_first_k(labels: np.ndarray, banned: set[int], k: int) -> np.ndarray:
    return np.array([x for x in labels if x >= 0 and int(x) not in banned][:k], dtype=np.int64)


def time_method(
    method: Method, queries: np.ndarray, excl: list[np.ndarray], truth: list[np.ndarray], k: int
) -> tuple[float, float, int]:
    """Mean ms/query, recall@k vs exact filtered truth, queries returning fewer than k."""
    for i in range(min(10, len(queries))):  # warm caches for this method's data structures
        method(queries[i : i + 1], excl[i])
    elapsed, hits, short = 0.0, 0, 0
    for i in range(len(queries)):
        t0 = time.perf_counter()
        labels = method(queries[i : i + 1], excl[i])
        elapsed += time.perf_counter() - t0
        got = labels[labels >= 0]
        assert not np.isin(got, excl[i]).any(), "excluded id returned"
        hits += len(np.intersect1d(got, truth[i]))
        short += len(got) < k
    return 1e3 * elapsed / len(queries), hits / (k * len(queries)), short


def flat_methods(x: np.ndarray, k: int) -> dict[str, Method]:
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)

    def scan_bitmap(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return exact_topk(x, q, k, ex)[1][0]  # one query -> scan_topk (faiss scan + IDSelectorBitmap)

    def numpy_mask(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return blas_topk(x, q, k, ex)[1][0]

    def numpy_overfetch(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return filter_first_k(blas_topk(x, q, k + len(ex), np.empty(0, np.int64))[1][0], set(ex.tolist()), k)

    def faiss_selector(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        inner = faiss.IDSelectorBatch(ex)
        params = faiss.SearchParameters(sel=faiss.IDSelectorNot(inner))
        return flat.search(q, k, params=params)[1][0]

    def faiss_overfetch(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return filter_first_k(flat.search(q, k + len(ex))[1][0], set(ex.tolist()), k)

    return {
        "scan+bitmap (used)": scan_bitmap,
        "numpy-mask": numpy_mask,
        "numpy-overfetch": numpy_overfetch,
        "IndexFlatIP+NotBatch": faiss_selector,
        "IndexFlatIP-overfetch": faiss_overfetch,
    }


def hnsw_methods(index: faiss.Index, n: int, k: int, ef: int) -> dict[str, Method]:
    alive = np.packbits(np.ones(n, dtype=bool), bitorder="little")

    def adaptive(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return hnsw_search_filtered(index, q, k, ef, allowed_bitmap(alive, ex), ex)[1][0]

    def bitmap_sel(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return hnsw_search_bitmap(index, q, k, ef, allowed_bitmap(alive, ex))[1][0]

    def batch_sel(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return hnsw_search_batch_selector(index, q, k, ef, ex, allowed_bitmap(alive, ex))[1][0]

    def overfetch(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        return hnsw_search_overfetch(index, q, k, ef, allowed_bitmap(alive, ex), len(ex))[1][0]

    return {
        "sized-selector (used)": adaptive,
        "bitmap-selector 1-pass": bitmap_sel,
        "batch-selector 1-pass": batch_sel,
        "overfetch": overfetch,
    }


def end_to_end(vindex: VectorIndex, k: int, excl: list[np.ndarray]) -> Method:
    """The public API, string ids included; ids are stringified up front so only the search is timed."""
    str_excl = {id(ex): [str(i) for i in ex.tolist()] for ex in excl}

    def search(q: np.ndarray, ex: np.ndarray) -> np.ndarray:
        hits = vindex.search(q[0], k, exclude=str_excl[id(ex)])
        return np.array([int(key) for key, _ in hits], dtype=np.int64)

    return search


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=50)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--hnsw-m", type=int, default=32)
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef-search", type=int, default=128)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    k, n = args.k, args.n

    x, queries = make_data(n, args.dim, args.queries, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    ranked = exact_topk(x, queries, max(args.sizes) + k)[1]  # exact neighbours, for `near` sets + truth
    print(
        f"n={n} dim={args.dim} k={k} queries={args.queries} faiss={faiss.__version__} "
        f"omp_threads={faiss.omp_get_max_threads()}"
    )

    t0 = time.perf_counter()
    graph = HnswGraph.build([str(i) for i in range(n)], x, args.hnsw_m, args.ef_construction)
    build_s = time.perf_counter() - t0
    print(f"HNSW build (M={args.hnsw_m}, efConstruction={args.ef_construction}): {build_s:.1f} s")
    vindex = VectorIndex(args.dim, hnsw_threshold=n + 1)
    vindex.upsert([str(i) for i in range(n)], x)

    suites = {"flat": flat_methods(x, k), "hnsw": hnsw_methods(graph.index, n, k, args.ef_search)}
    rows: list[tuple[str, str, int, str, float, float, int]] = []
    for flavour in ("random", "near"):
        for size in args.sizes:
            if flavour == "random":
                excl = [np.sort(rng.choice(n, size, replace=False)).astype(np.int64) for _ in queries]
            else:
                excl = [np.sort(ranked[i, :size]) for i in range(len(queries))]
            truth = [filter_first_k(ranked[i], set(excl[i].tolist()), k) for i in range(len(queries))]
            for kind, methods in suites.items():
                for name, method in methods.items():
                    ms, recall, short = time_method(method, queries, excl, truth, k)
                    rows.append((kind, flavour, size, name, ms, recall, short))

            ms, recall, short = time_method(end_to_end(vindex, k, excl), queries, excl, truth, k)
            rows.append(("flat", flavour, size, "VectorIndex.search e2e", ms, recall, short))

    header = ("kind", "excl", "|E|", "method", "ms/query", "recall@k", "short")
    print("\n{:<5} {:<7} {:>5}  {:<24} {:>9} {:>9} {:>6}".format(*header))
    for kind, flavour, size, name, ms, recall, short in rows:
        print(f"{kind:<5} {flavour:<7} {size:>5}  {name:<24} {ms:>9.3f} {recall:>9.4f} {short:>6}")

    print("\nratios (method ms / chosen method ms; > 1 means the chosen method is faster):")
    chosen = {"flat": "scan+bitmap (used)", "hnsw": "sized-selector (used)"}
    for kind in ("flat", "hnsw"):
        for flavour in ("random", "near"):
            for size in args.sizes:
                case = {r[3]: r[4] for r in rows if r[:3] == (kind, flavour, size)}
                base = case[chosen[kind]]
                others = [(name, ms) for name, ms in case.items() if name != chosen[kind]]
                ratios = "  ".join(f"{name}={ms / base:.2f}x" for name, ms in others)
                print(f"{kind:<5} {flavour:<7} {size:>5}  {ratios}")


if __name__ == "__main__":
    main()
