"""Profile: where a feed page's CPU goes, in process, on a database and models kept by bench_feed_http.py.

Run: python bench/profile_feed.py <dir kept by bench_feed_http.py --keep> [--pages 300] [--top 35]
                                 [--database-url URL]

Builds the same `Runtime` the server builds (same settings from the same environment), serves `--pages` feed
pages for random users with events through `FeedService.feed` with the feed cache off, and prints the wall and
CPU time per page, then cProfile's functions by cumulative time. Not a benchmark (no baseline, no ratio): the
tool behind the "how it got there" notes in docs/performance.md.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from memfeed.platform.settings import Settings  # noqa: E402
from memfeed.platform.threads import apply_serving_threads  # noqa: E402

apply_serving_threads(Settings(_env_file=None))  # type: ignore[call-arg]  # as `memfeed serve`, before numpy loads

import numpy as np  # noqa: E402
from bench_feed_http import warm_users  # noqa: E402
from http_load import server_env  # noqa: E402

from memfeed.feed.records import FeedQuery  # noqa: E402
from memfeed.runtime import build_runtime  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--top", type=int, default=35)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{(args.directory / 'bench.db').as_posix()}"
    os.environ.update(server_env(args.directory, url, MEMFEED_FEED_CACHE_SECONDS="0"))
    settings = Settings()
    t0 = time.perf_counter()
    runtime = build_runtime(settings)
    print(
        f"runtime built in {time.perf_counter() - t0:.1f} s: {len(runtime.catalog):,} items, "
        f"model {runtime.feeds.model_version}, compute threads {settings.serve_compute_threads} (0: library default)"
    )
    rng = random.Random(args.seed)
    users = [f"user-{u:06d}" for u in warm_users(url)]
    for user in rng.sample(
        users, 20
    ):  # warm-up: first-touch costs (imports, caches) are not the steady state
        runtime.feeds.feed(FeedQuery(user))
    sample = [rng.choice(users) for _ in range(args.pages)]
    times = []
    for user in sample:  # unprofiled first: the latency distribution
        start = time.perf_counter()
        runtime.feeds.feed(FeedQuery(user))
        times.append(1000 * (time.perf_counter() - start))
    ms = np.array(times)
    print(
        f"{args.pages} pages unprofiled: mean {ms.mean():.2f}, p50 {np.percentile(ms, 50):.2f}, "
        f"p90 {np.percentile(ms, 90):.2f}, p99 {np.percentile(ms, 99):.2f}, max {ms.max():.2f} ms"
    )
    profiler = cProfile.Profile()
    wall, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    for user in sample:
        runtime.feeds.feed(FeedQuery(user))
    profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"{args.pages} pages: {1000 * wall / args.pages:.2f} ms wall, {1000 * cpu / args.pages:.2f} ms CPU per "
        f"page (profiler on)"
    )
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
    runtime.close()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
