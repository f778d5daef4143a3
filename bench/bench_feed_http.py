"""Benchmark: personalized feed pages over HTTP from the real server, against /healthz on the same server.

Run: python bench/bench_feed_http.py [--items 100000 --users 10000 --events 1000000] [--quick]
                                     [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/memfeed_bench]
                                     [--no-model] [--seconds 20] [--concurrency 16] [--workers 1 2] [--cache off on]

Targets (100k items, 2 cores, 1 worker, with a model): feed requests/s >= 0.5 x /healthz requests/s, and
feed p99 <= 25 ms.

Generates a catalog (random topic-clustered unit vectors, as bench_retrain.py does, stored under the real
embedder's id so the server embeds nothing at startup), users and events, bulk-inserts them into a fresh
SQLite file (or the named PostgreSQL database, dropped and re-created), trains and promotes a model with
`memfeed retrain --promote always` (timed), then for each worker count and feed cache setting starts
`memfeed serve --workers W` (auth on, an admin key, rate limits off) and runs a closed-loop load generator
(N keep-alive HTTP/1.1 connections, see bench/http_load.py) for S seconds against
`GET /v1/users/{id}/feed?limit=20` for random users with events, then the same generator against `/healthz`.
Cache off (`MEMFEED_FEED_CACHE_SECONDS=0`): every request computes a page. Cache on (30 s): users are drawn
from a pool of `--pool` users so repeats happen; the hit rate is read from /metrics. A short single-connection
run gives the feed latency without queueing (under N connections a request also waits for the others).

Baseline: /healthz on the same server, same generator, same connections: the framework's floor.
The load generator runs on the same 2 cores as the server; its CPU share is printed with every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (  # noqa: E402
    MEMFEED,
    ROOT,
    LoadResult,
    Server,
    create_admin_key,
    describe_url,
    fresh_database_url,
    quiet_machine_note,
    run_load,
    scrape_counter,
    seed_database,
    server_env,
)

from memfeed.platform.storage import Event, create_database  # noqa: E402

TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0
CACHE_SECONDS = {"off": "0", "on": "30"}


def warm_users(url: str) -> np.ndarray:
    """Numbers of the users with events in a reused database."""
    database = create_database(url)
    with database.session() as session:
        ids = session.scalars(select(Event.user_id).distinct()).all()
    database.dispose()
    return np.array(sorted(int(u.removeprefix("user-")) for u in ids))


def train(env: dict[str, str]) -> None:
    t0 = time.perf_counter()
    done = subprocess.run(
        [MEMFEED, "retrain", "--promote", "always"], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"retrain failed:\n{done.stderr[-4000:]}")
    print(f"model: `memfeed retrain --promote always` took {time.perf_counter() - t0:.1f} s", flush=True)
    print("  " + done.stdout.strip().splitlines()[0], flush=True)


def feed_request(users: np.ndarray):  # type: ignore[no-untyped-def]
    def make(rng):  # type: ignore[no-untyped-def]
        return "GET", f"/v1/users/user-{int(users[rng.randrange(len(users))]):06d}/feed?limit=20", b""

    return make


def health_request(rng):  # type: ignore[no-untyped-def]
    return "GET", "/healthz", b""


def bench_server(
    args: argparse.Namespace, env: dict[str, str], tmp: Path, workers: int, cache: str, warm: np.ndarray
) -> dict[str, object]:
    server_environment = dict(
        env,
        MEMFEED_FEED_CACHE_SECONDS=CACHE_SECONDS[cache],
        MEMFEED_SERVE_COMPUTE_THREADS=str(args.compute_threads),
    )
    server = Server(server_environment, tmp / f"server-{workers}-{cache}.log", workers=workers)
    headers = {"X-API-Key": args.key}
    rng = np.random.default_rng(args.seed + workers)
    users = warm if cache == "off" else rng.choice(warm, min(args.pool, len(warm)), replace=False)
    feed = feed_request(users)
    server.start()
    try:
        print(
            f"\n== workers={workers} feed cache {cache} ({len(users):,} users drawn from) "
            f"startup {server.startup_seconds_taken:.0f} s; {quiet_machine_note()}",
            flush=True,
        )
        common = {"headers": headers, "server_pgid": server.pgid}
        run_load(server.url, feed, concurrency=args.concurrency, seconds=args.warmup, **common)
        before = scrape_counter(server.url, "memfeed_cache_requests_total", workers)
        feed_result, _ = run_load(
            server.url, feed, concurrency=args.concurrency, seconds=args.seconds, **common
        )
        after = scrape_counter(server.url, "memfeed_cache_requests_total", workers)
        health, _ = run_load(
            server.url, health_request, concurrency=args.concurrency, seconds=args.seconds, **common
        )
        single, _ = run_load(server.url, feed, concurrency=1, seconds=args.single_seconds, seed=7, **common)
    finally:
        server.stop()
    print(feed_result.line(f"feed, {args.concurrency} connections"))
    print(health.line(f"/healthz, {args.concurrency} connections"))
    print(single.line("feed, 1 connection"))
    hits = sum(v - before.get(k, 0.0) for k, v in after.items() if 'cache="feed"' in k and "hit" in k)
    misses = sum(v - before.get(k, 0.0) for k, v in after.items() if 'cache="feed"' in k and "miss" in k)
    hit_rate = hits / (hits + misses) if hits + misses else float("nan")
    ratio = feed_result.rps / health.rps
    print(
        f"ratio feed/healthz rps {ratio:.3f} (target >= {TARGET_RATIO}); feed p99 {feed_result.ms(99):.1f} ms at "
        f"{args.concurrency} connections, {single.ms(99):.1f} ms at 1 (target <= {TARGET_P99_MS:.0f} ms)"
        + (f"; feed cache hit rate {hit_rate:.1%} ({hits:.0f}/{hits + misses:.0f})" if cache == "on" else ""),
        flush=True,
    )
    return {
        "workers": workers,
        "cache": cache,
        "feed": feed_result,
        "health": health,
        "single": single,
        "ratio": ratio,
        "hit_rate": hit_rate,
    }


def summary(rows: list[dict[str, object]]) -> None:
    print(
        f"\n{'workers':>7} {'cache':>5} {'feed rps':>9} {'p50':>7} {'p95':>7} {'p99':>7} {'healthz rps':>11} "
        f"{'h p50':>6} {'h p99':>6} {'ratio':>6} {'1-conn p50':>10} {'1-conn p99':>10} {'hit rate':>8} "
        f"{'client cpu':>10}"
    )
    for row in rows:
        f, h, s = row["feed"], row["health"], row["single"]
        assert isinstance(f, LoadResult) and isinstance(h, LoadResult) and isinstance(s, LoadResult)
        hit = row["hit_rate"]
        print(
            f"{row['workers']:>7} {row['cache']:>5} {f.rps:>9.1f} {f.ms(50):>7.2f} {f.ms(95):>7.2f} "
            f"{f.ms(99):>7.2f} {h.rps:>11.1f} {h.ms(50):>6.2f} {h.ms(99):>6.2f} {row['ratio']:>6.3f} "
            f"{s.ms(50):>10.2f} {s.ms(99):>10.2f} "
            f"{(f'{hit:.1%}' if row['cache'] == 'on' else '-'):>8} {f.client_cpu / f.seconds:>10.2f}"
        )
    print("(ms; client cpu = load generator CPU seconds / wall seconds during the feed run, of 2 cores)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="5k items, 1k users, 50k events, 5 s runs")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and re-created)")
    parser.add_argument("--no-model", dest="model", action="store_false", help="serve content-only feeds")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--cache", choices=["off", "on"], nargs="+", default=["off", "on"])
    parser.add_argument("--seconds", type=float, default=20.0, help="each measured load run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--single-seconds", type=float, default=5.0, help="the 1-connection latency run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--compute-threads",
        type=int,
        default=1,
        help="MEMFEED_SERVE_COMPUTE_THREADS for the server (1, the default; 0: the libraries' own, one per core)",
    )
    parser.add_argument("--pool", type=int, default=1000, help="users the cache-on runs draw from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, models, logs)")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="a directory kept by an earlier --keep run: serve its database and models again (no generation, no "
        "training; --database-url names the PostgreSQL database it used)",
    )
    args = parser.parse_args()
    if args.quick:
        args.items, args.users, args.events = 5_000, 1_000, 50_000
        args.seconds, args.single_seconds, args.warmup, args.pool = 5.0, 2.0, 1.0, 200

    print(
        f"items={args.items:,} users={args.users:,} events={args.events:,} model={args.model} "
        f"workers={args.workers} cache={args.cache} connections={args.concurrency} {args.seconds:.0f} s each; "
        f"compute threads {args.compute_threads}; "
        f"{quiet_machine_note()}",
        flush=True,
    )
    tmp = args.reuse or Path(tempfile.mkdtemp(prefix="memfeed-bench-feed-"))
    try:
        if args.reuse:
            url = args.database_url or f"sqlite:///{(tmp / 'bench.db').as_posix()}"
            warm = warm_users(url)
            print(f"database: {describe_url(url)}, reused with its models ({len(warm):,} users with events)")
        else:
            url = fresh_database_url(args.database_url, tmp)
            print(f"database: {describe_url(url)}")
            data = seed_database(
                url,
                items=args.items,
                users=args.users,
                events=args.events,
                topics=args.topics,
                seed=args.seed,
            )
            warm = np.unique(data.ev_user)
        env = server_env(tmp, url)
        args.key = create_admin_key(env)
        if args.model and not args.reuse:
            train(env)
        rows = [
            bench_server(args, env, tmp, workers, cache, warm)
            for workers in args.workers
            for cache in args.cache
        ]
        summary(rows)
        print(f"done; {quiet_machine_note()}")
    finally:
        if args.keep or args.reuse:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    main()
