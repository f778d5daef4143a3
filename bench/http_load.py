"""What the HTTP benchmarks share: a fresh database, the real server as a subprocess, a load generator.

Not a benchmark itself. The server is `memfeed serve` in its own process group (as tests/system/test_durability.py
and bench share tests/support/server.py), so its CPU time can be read from /proc and SIGTERM/SIGKILL reach every worker. The load generator
is a minimal HTTP/1.1 keep-alive client on asyncio streams (fixed concurrency, closed loop): it spends far
less CPU per request than httpx, which matters because it shares the machine's cores with the server.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
from bench_retrain import Synthetic, make_data, write_database
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from memfeed.platform.storage import Event, Item, ItemVector, create_database
from memfeed.platform.storage.migrate import upgrade
from tests.support.server import MEMFEED, ServerProcess
from tests.support.server import server_env as base_server_env

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 900.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

RequestMaker = Callable[[random.Random], tuple[str, str, bytes]]
"""rng -> (method, path, body): what one request of a load run asks."""


# ----------------------------------------------------------------------------------------- database


def fresh_database_url(url: str | None, tmp: Path) -> str:
    """A SQLite file under `tmp`, or the given PostgreSQL database dropped and created empty."""
    if url is None:
        return f"sqlite:///{(tmp / 'bench.db').as_posix()}"
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit(f"--database-url: only PostgreSQL URLs are supported, got {parsed.drivername}")
    name = parsed.database
    if not name or name in {"postgres", "template0", "template1", "test"}:
        raise SystemExit(
            f"--database-url: refusing to drop database {name!r}; name one for the bench (e.g. memfeed_bench)"
        )
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def describe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def real_embedder_id() -> tuple[str, int]:
    """The id (and dim) the server's embedder stores vectors under: vectors written under it are not re-embedded
    at startup (bench_retrain.write_database uses a fake id)."""
    from memfeed.catalog.embedding import load_embedder
    from memfeed.platform.settings import Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    embedder = load_embedder(settings.embedding_model, settings.embedding_device)
    return embedder.embedder_id, embedder.dim


def seed_database(url: str, *, items: int, users: int, events: int, topics: int, seed: int) -> Synthetic:
    """bench_retrain's generated catalog, users and events, bulk-inserted at `url` (migrated first), with the
    vectors re-labelled to the real embedder's id."""
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = time.perf_counter()
    data = make_data(items, users, events, topics, 8, now, seed)
    database = create_database(url)
    upgrade(database)
    write_database(database, data, now)
    embedder_id, dim = real_embedder_id()
    with database.session() as session:
        session.execute(update(ItemVector).values(embedder=embedder_id, dim=dim))
        counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m)) for m in (Item, Event)}
    database.dispose()
    print(f"setup: {counts} under embedder {embedder_id!r} in {time.perf_counter() - t0:.1f} s", flush=True)
    return data


# ------------------------------------------------------------------------------------------- server


def server_env(tmp: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The server's environment: auth on, rate limits off, quiet logs, offline, state under `tmp`."""
    return base_server_env(
        tmp,
        database_url,
        "bench-secret-" + "b" * 32,
        MEMFEED_LOG_LEVEL="warning",
        PYTHONPATH=str(ROOT),
        **extra,
    )


def create_admin_key(env: dict[str, str]) -> str:
    created = subprocess.run(
        [MEMFEED, "keys", "create", "--scope", "admin", "--name", "bench"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return created.stdout.strip().splitlines()[-1]


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every live process in the process group (the server and its workers)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:  # fields[0] is the state: pgrp is the 5th field of /proc/pid/stat
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


class Server(ServerProcess):
    """`memfeed serve --workers W`; `start` returns once every worker is idle (ready to be measured)."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 1) -> None:
        super().__init__(env, ROOT, log, workers=workers, startup_seconds=STARTUP_SECONDS)
        self.startup_seconds_taken = 0.0

    def start(self, ready: Callable[[], bool] | None = None) -> None:
        started = time.monotonic()
        super().start(ready)
        # /healthz answers as soon as one worker is up; the others may still be building their indexes.
        # Startup is CPU-bound (catalog read, HNSW build), so the group going idle means all are ready.
        deadline = started + STARTUP_SECONDS
        while time.monotonic() < deadline:
            before = group_cpu_seconds(self.pgid)
            time.sleep(1.0)
            if group_cpu_seconds(self.pgid) - before < 0.15:
                break
        self.startup_seconds_taken = time.monotonic() - started


def scrape_counter(url: str, metric: str, workers: int) -> dict[str, float]:
    """Sum of a labelled counter over every worker (`label set -> value`).

    Each worker keeps its own counters and a scrape reaches one of them, so scrape on fresh connections
    until `workers` distinct snapshots were seen (call only while no load runs: snapshots are then stable;
    two workers with identical counters would be seen as one, which only matters if both are non-zero).
    """
    pattern = re.compile(rf"^{re.escape(metric)}\{{(.*)\}} ([0-9.e+]+)$", re.M)
    seen: set[tuple[tuple[str, float], ...]] = set()
    for _ in range(20 * workers):
        body = httpx.get(f"{url}/metrics", timeout=10.0).text
        seen.add(tuple(sorted((labels, float(value)) for labels, value in pattern.findall(body))))
        if len(seen) >= workers:
            break
    total: dict[str, float] = Counter()
    for snapshot in seen:
        for labels, value in snapshot:
            total[labels] += value
    return dict(total)


# ---------------------------------------------------------------------------------------- load


@dataclass
class LoadResult:
    seconds: float
    latencies: np.ndarray  # seconds, one per completed request
    statuses: Counter[int] = field(default_factory=Counter)
    client_cpu: float = 0.0  # CPU seconds of this (client) process during the run
    server_cpu: float = 0.0  # CPU seconds of the server's process group during the run

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds

    def ms(self, q: float) -> float:
        return float(np.percentile(self.latencies, q) * 1e3) if len(self.latencies) else float("nan")

    def line(self, label: str) -> str:
        cores = os.cpu_count() or 1
        return (
            f"{label:<34} {self.rps:>8.1f} req/s  p50 {self.ms(50):>7.2f}  p95 {self.ms(95):>7.2f}  "
            f"p99 {self.ms(99):>7.2f} ms  n={len(self.latencies):>6}  status={dict(self.statuses)}  "
            f"cpu: client {self.client_cpu / self.seconds:.2f}, server {self.server_cpu / self.seconds:.2f} "
            f"of {cores} cores"
        )


class Connection:
    """One HTTP/1.1 keep-alive connection: send a request, read the response (Content-Length or chunked)."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.head = "".join(f"{k}: {v}\r\n" for k, v in {"Host": host, **headers}.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        extra = f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else ""
        self.writer.write(f"{method} {path} HTTP/1.1\r\n{self.head}{extra}\r\n".encode() + body)
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head.split(" ", 2)[1])
        length = re.search(r"\r\ncontent-length: *(\d+)", head)
        if length:
            return status, await self.reader.readexactly(int(length.group(1)))
        chunks = []
        while True:  # chunked
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await self.reader.readexactly(size + 2))
            if size == 0:
                return status, b"".join(chunks)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def _run(
    url: str,
    make: RequestMaker,
    *,
    concurrency: int,
    seconds: float | None,
    requests: int | None,
    headers: dict[str, str],
    seed: int,
) -> tuple[list[float], Counter[int], list[bytes]]:
    parsed = httpx.URL(url)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    bodies: list[bytes] = []
    deadline = time.perf_counter() + seconds if seconds is not None else float("inf")
    remaining = [requests if requests is not None else -1]

    async def client(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        connection = Connection(parsed.host, parsed.port or 80, headers)
        await connection.open()
        try:
            while time.perf_counter() < deadline and remaining[0] != 0:
                remaining[0] -= 1
                method, path, body = make(rng)
                t0 = time.perf_counter()
                status, answer = await connection.request(method, path, body)
                latencies.append(time.perf_counter() - t0)
                statuses[status] += 1
                if requests is not None:
                    bodies.append(answer)
        finally:
            await connection.close()

    await asyncio.gather(*(client(n) for n in range(concurrency)))
    return latencies, statuses, bodies


def run_load(
    url: str,
    make: RequestMaker,
    *,
    concurrency: int,
    seconds: float | None = None,
    requests: int | None = None,
    headers: dict[str, str] | None = None,
    server_pgid: int | None = None,
    seed: int = 0,
) -> tuple[LoadResult, list[bytes]]:
    """Closed loop: `concurrency` connections each send the next request when the last one answered, for
    `seconds` or until `requests` were sent in total (bodies are returned only in that mode)."""
    cpu0, server0, t0 = (
        time.process_time(),
        group_cpu_seconds(server_pgid) if server_pgid else 0.0,
        time.perf_counter(),
    )
    latencies, statuses, bodies = asyncio.run(
        _run(
            url,
            make,
            concurrency=concurrency,
            seconds=seconds,
            requests=requests,
            headers=headers or {},
            seed=seed,
        )
    )
    wall = time.perf_counter() - t0
    result = LoadResult(wall, np.array(latencies), statuses, time.process_time() - cpu0)
    if server_pgid:
        result.server_cpu = group_cpu_seconds(server_pgid) - server0
    return result, bodies


def quiet_machine_note() -> str:
    one, five, _ = os.getloadavg()
    return f"loadavg 1m {one:.2f}, 5m {five:.2f} on {os.cpu_count()} cores"
