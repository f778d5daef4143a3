"""Benchmark: exact (flat) vs HNSW search through `VectorIndex`, recall@50 and latency by catalog size.

Run: python bench/bench_index_scale.py [--sizes 20000,100000] [--queries 200] [--ef 64,128,256]

For each size: clustered, L2-normalised random vectors (embedding-like), built once as an exact index (the
threshold above the size) and once as HNSW (the threshold below it; M=32, efConstruction=200 as served).
Both answer the same queries through `VectorIndex.search` with a 20-id exclusion set (a user's seen items),
k=50. Truth is exact search with the same exclusions. Prints build time, ms per query (p50, p99) and
recall@50 for exact and for HNSW at each efSearch; the ratio is HNSW latency / exact latency. This is the
evidence for `MEMFEED_HNSW_THRESHOLD` (default 20,000): below it exact search is cheap and exact.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vectorstore import VectorIndex

K = 50
DIM = 384


def make_data(n: int, n_queries: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(1, n // 100), DIM)).astype(np.float32)

    def sample(count: int) -> np.ndarray:
        x = centres[rng.integers(0, len(centres), count)] + 0.6 * rng.standard_normal((count, DIM))
        x = x.astype(np.float32)
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    return sample(n), sample(n_queries)


def build(vectors: np.ndarray, ids: list[str], threshold: int, ef: int) -> tuple[VectorIndex, float]:
    index = VectorIndex(DIM, hnsw_threshold=threshold, hnsw_m=32, ef_search=ef)
    started = time.perf_counter()
    index.upsert(ids, vectors)  # one batch: the graph (when over the threshold) is built in one pass
    index.search(vectors[0], 1)
    return index, time.perf_counter() - started


def measure(
    index: VectorIndex, queries: np.ndarray, exclusions: list[set[str]], truth: list[set[str]] | None
) -> tuple[list[set[str]], float, float, float]:
    results: list[set[str]] = []
    times: list[float] = []
    for query, excluded in zip(queries, exclusions, strict=True):
        started = time.perf_counter()
        hits = index.search(query, K, exclude=excluded)
        times.append(time.perf_counter() - started)
        results.append({i for i, _ in hits})
    recall = (
        1.0
        if truth is None
        else float(np.mean([len(r & t) / K for r, t in zip(results, truth, strict=True)]))
    )
    return results, float(np.percentile(times, 50)) * 1e3, float(np.percentile(times, 99)) * 1e3, recall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--ef", default="64,128,256")
    args = parser.parse_args()
    efs = [int(e) for e in args.ef.split(",")]
    print("| items | index | efSearch | build s | p50 ms | p99 ms | recall@50 | latency / exact |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for n in (int(s) for s in args.sizes.split(",")):
        vectors, queries = make_data(n, args.queries)
        ids = [f"i{j}" for j in range(n)]
        rng = np.random.default_rng(3)
        exclusions = [{ids[j] for j in rng.integers(0, n, 20)} for _ in range(len(queries))]
        exact, exact_build = build(vectors, ids, n + 1, efs[0])
        truth, p50, p99, _ = measure(exact, queries, exclusions, None)
        print(f"| {n:,} | exact | — | {exact_build:.1f} | {p50:.2f} | {p99:.2f} | 1.000 | 1.00 |", flush=True)
        del exact
        graph, graph_build = build(vectors, ids, 1, efs[0])
        for ef in efs:
            graph._params["ef_search"] = ef  # the serving setting MEMFEED_HNSW_EF_SEARCH, varied in place
            _, h50, h99, recall = measure(graph, queries, exclusions, truth)
            build_s = f"{graph_build:.1f}" if ef == efs[0] else ""
            print(
                f"| {n:,} | hnsw | {ef} | {build_s} | {h50:.2f} | {h99:.2f} | {recall:.3f} | {h50 / p50:.2f} |",
                flush=True,
            )
        del graph


if __name__ == "__main__":
    main()
