"""Benchmark: events/s through `POST /v1/events` on the real server vs a raw SQLAlchemy bulk insert.

Run: python bench/bench_ingest.py [--events 200000] [--batch 500] [--clients 4] [--workers 1] [--quick]
                                  [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/memfeed_bench]

Targets: >= 20,000 events/s through the API on SQLite (2 cores), and >= 0.3 x the raw insert rate.

Setup: a fresh SQLite file (or the named PostgreSQL database, dropped and re-created) holding `--items`
catalog items (bench_retrain's generator, vectors under the real embedder's id so the server embeds nothing).
Baseline, first, single thread: `session.execute(insert(Event), rows)` for `--events` fresh rows, one
transaction per `--batch` rows (no validation, no user rows, no duplicate check). Then `memfeed serve`
(auth on, an admin key, rate limits off) takes the same number of new events as JSON batches of `--batch`
from `--clients` keep-alive connections (closed loop, see bench/http_load.py; bodies serialized before the
clock starts), into the same, now larger, events table. Every event must be accepted; one batch is then
re-sent to show that duplicates are counted, not inserted. The load generator shares the 2 cores with the
server: its CPU share is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_retrain import item_id  # noqa: E402
from http_load import (  # noqa: E402
    Server,
    create_admin_key,
    describe_url,
    fresh_database_url,
    quiet_machine_note,
    run_load,
    seed_database,
    server_env,
)

from memfeed.platform.storage import Event, create_database  # noqa: E402

TARGET_EVENTS_PER_SECOND = 20_000.0
TARGET_RATIO = 0.3
TYPES = ("view", "view", "view", "click", "click", "like", "save", "skip", "share")


def make_batches(
    prefix: str, n_events: int, batch: int, items: int, users: int, seed: int
) -> list[list[dict[str, Any]]]:
    """Events as a client sends them (ids unique per `prefix`), timestamps spread over the last week."""
    rng = np.random.default_rng(seed)
    now = datetime.now(UTC)
    user = rng.integers(0, users, n_events).tolist()
    item = rng.integers(0, items, n_events).tolist()
    kind = rng.integers(0, len(TYPES), n_events).tolist()
    age = rng.uniform(0, 7 * 86_400, n_events).tolist()
    events = [
        {
            "event_id": f"{prefix}-{n:08d}",
            "user_id": f"user-{user[n]:06d}",
            "item_id": item_id(item[n]),
            "type": TYPES[kind[n]],
            "timestamp": (now - timedelta(seconds=age[n])).isoformat(),
        }
        for n in range(n_events)
    ]
    return [events[i : i + batch] for i in range(0, n_events, batch)]


def raw_insert(url: str, batches: list[list[dict[str, Any]]]) -> float:
    """The baseline: one bulk INSERT and commit per batch, single thread; returns seconds."""
    database = create_database(url)
    received = datetime.now(UTC)
    rows = [
        [
            {
                "event_id": e["event_id"],
                "user_id": e["user_id"],
                "item_id": e["item_id"],
                "type": e["type"],
                "value": None,
                "ts": datetime.fromisoformat(e["timestamp"]),
                "received_at": received,
                "context": None,
            }
            for e in batch
        ]
        for batch in batches
    ]
    t0 = time.perf_counter()
    for chunk in rows:
        with database.session() as session:
            session.execute(insert(Event), chunk)
    seconds = time.perf_counter() - t0
    database.dispose()
    return seconds


def count_events(url: str) -> int:
    database = create_database(url)
    with database.session() as session:
        n = int(session.scalar(select(func.count()).select_from(Event)) or 0)
    database.dispose()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000, help="for each of the API and the baseline")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="20k events, 2k items")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (dropped and re-created)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    args = parser.parse_args()
    if args.quick:
        args.events, args.items = 20_000, 2_000

    print(
        f"events={args.events:,} (each for the API and the baseline) batch={args.batch} clients={args.clients} "
        f"workers={args.workers} items={args.items:,}; {quiet_machine_note()}",
        flush=True,
    )
    tmp = Path(tempfile.mkdtemp(prefix="memfeed-bench-ingest-"))
    try:
        url = fresh_database_url(args.database_url, tmp)
        print(f"database: {describe_url(url)}")
        seed_database(url, items=args.items, users=args.users, events=0, topics=50, seed=args.seed)
        raw_batches = make_batches("raw", args.events, args.batch, args.items, args.users, args.seed)
        api_batches = make_batches("api", args.events, args.batch, args.items, args.users, args.seed + 1)

        raw_s = raw_insert(url, raw_batches)
        raw_rate = args.events / raw_s
        print(
            f"baseline raw bulk insert: {args.events:,} rows in {raw_s:.2f} s = {raw_rate:,.0f} rows/s",
            flush=True,
        )

        env = server_env(tmp, url)
        headers = {"X-API-Key": create_admin_key(env)}
        bodies = [json.dumps({"events": b}).encode() for b in api_batches]
        pending: Iterator[bytes] = iter(bodies)

        def next_batch(_rng: object) -> tuple[str, str, bytes]:
            return "POST", "/v1/events", next(pending)

        server = Server(env, tmp / "server.log", workers=args.workers)
        server.start()
        try:
            print(f"server up in {server.startup_seconds_taken:.0f} s; {quiet_machine_note()}", flush=True)
            result, answers = run_load(
                server.url,
                next_batch,
                concurrency=args.clients,
                requests=len(bodies),
                headers=headers,
                server_pgid=server.pgid,
            )
            resent = httpx.post(
                f"{server.url}/v1/events",
                content=bodies[0],
                headers=headers | {"Content-Type": "application/json"},
            ).json()
        finally:
            server.stop()

        outcome = {"accepted": 0, "duplicates": 0, "rejected": 0}
        for answer in answers:
            body = json.loads(answer)
            outcome["accepted"] += body["accepted"]
            outcome["duplicates"] += body["duplicates"]
            outcome["rejected"] += len(body["rejected"])
        api_rate = outcome["accepted"] / result.seconds
        stored = count_events(url)
        print(result.line(f"POST /v1/events x{args.batch}, {args.clients} clients"))
        print(
            f"API: {outcome['accepted']:,} accepted, {outcome['duplicates']:,} duplicates, "
            f"{outcome['rejected']:,} rejected of {args.events:,} sent in {result.seconds:.2f} s = "
            f"{api_rate:,.0f} events/s (batch p50 {result.ms(50):.1f} ms, p99 {result.ms(99):.1f} ms)"
        )
        print(
            f"re-sent batch 0: accepted {resent['accepted']}, duplicates {resent['duplicates']}, "
            f"rejected {len(resent['rejected'])}; rows in events: {stored:,} "
            f"(expected {2 * args.events:,}: {'ok' if stored == 2 * args.events else 'MISMATCH'})"
        )
        ratio = api_rate / raw_rate
        print(
            f"\n{'path':<44} {'events/s':>10}\n{'raw bulk insert (baseline)':<44} {raw_rate:>10,.0f}\n"
            f"{'POST /v1/events (memfeed)':<44} {api_rate:>10,.0f}\n"
            f"ratio API / raw {ratio:.3f} (target >= {TARGET_RATIO}); API {api_rate:,.0f} events/s "
            f"(target >= {TARGET_EVENTS_PER_SECOND:,.0f} on SQLite): "
            f"{'met' if api_rate >= TARGET_EVENTS_PER_SECOND and ratio >= TARGET_RATIO else 'NOT met'}; "
            f"all accepted: {outcome['accepted'] == args.events}; {quiet_machine_note()}"
        )
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    main()
