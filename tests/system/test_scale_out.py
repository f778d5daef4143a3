"""Scale-out: `memfeed serve --workers 2` over PostgreSQL and Redis behaves as one service.

One real server (two uvicorn workers, each loading the embedder and the champion) runs in a subprocess over a
private PostgreSQL database and private Redis prefixes. Every request goes on a fresh connection, so the kernel
hands them to both workers; `X-Served-By` (on here, off by default) names the worker that answered. Shown:
a re-sent event batch lands once whichever worker takes it, a per-user budget is one budget across workers,
a promoted model reaches every worker within the poll interval with no failed request, and a feed page
computed by one worker is a cache hit on the other.

The database is seeded by copying the trained demo's rows (catalog with its stored vectors, users, events)
from its SQLite file: the models were trained on exactly that data, and nothing has to be embedded again.
"""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from memfeed.demo.data import DemoDataset
from memfeed.platform.auth import issue_token
from memfeed.platform.settings import Settings
from memfeed.platform.storage.schema import Base, Event
from tests.conftest import POSTGRES_URL, REDIS_URL, TrainedDemo, copy_trained, reset_postgres
from tests.support.server import MEMFEED, ServerProcess, server_env

pytestmark = pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL),
    reason="needs MEMFEED_TEST_POSTGRES_URL and MEMFEED_TEST_REDIS_URL",
)

WORKERS = 2
STARTUP_SECONDS = 240.0
SWAP_DEADLINE_SECONDS = 60.0
POLL_SECONDS = 0.5
MEMORY_USER_BUDGET = 12
JWT_SECRET = "scale-out-secret-" + "s" * 32
NOT_COPIED = {"api_keys", "runs"}
"""Keys are created through the CLI; runs belong to the SQLite side's retrains."""


@dataclass
class Answer:
    """One request's outcome: which worker answered, when it was sent and answered (monotonic seconds)."""

    status: int
    pid: int
    sent: float
    received: float
    body: Any
    headers: httpx.Headers


@dataclass
class Cluster:
    """The running server, its environment (for CLI calls on the same database and models), and keys."""

    url: str
    env: dict[str, str]
    cwd: Path
    database_url: str
    admin_key: str
    app_key: str
    champion: str
    challenger: str
    users: list[str]
    items: list[str]
    run: str
    log: Path
    failures: list[str] = field(default_factory=list)

    @property
    def admin(self) -> dict[str, str]:
        return {"X-API-Key": self.admin_key}

    def as_user(self, user_id: str) -> dict[str, str]:
        return {"X-API-Key": self.app_key, "Authorization": f"Bearer {issue_token(JWT_SECRET, user_id, 600)}"}

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        """One request on its own connection (a new client each time, `Connection: close`)."""
        headers = {"Connection": "close", **kwargs.pop("headers", {})}
        sent = time.monotonic()
        response = httpx.request(method, self.url + path, headers=headers, timeout=60.0, **kwargs)
        received = time.monotonic()
        body = (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else None
        )
        return Answer(
            response.status_code,
            int(response.headers["x-served-by"]),
            sent,
            received,
            body if body is not None else response.text,
            response.headers,
        )

    def feed(self, user_id: str) -> Answer:
        return self.call("GET", f"/v1/users/{user_id}/feed", params={"limit": 10}, headers=self.admin)

    def per_worker(self, read: Callable[[Answer], Any], seconds: float = 60.0) -> dict[int, Any]:
        """`read` applied to one `/metrics` answer from each worker (asking until both have answered)."""
        seen: dict[int, Any] = {}
        deadline = time.monotonic() + seconds
        while len(seen) < WORKERS:
            assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered /metrics"
            answer = self.call("GET", "/metrics")
            seen.setdefault(answer.pid, read(answer))
        return seen


def feed_cache_counts(answer: Answer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for family in text_string_to_metric_families(answer.body):
        for sample in family.samples:
            if sample.name == "memfeed_cache_requests_total" and sample.labels.get("cache") == "feed":
                counts[sample.labels["result"]] += int(sample.value)
    return counts


def create_private_database(admin_url: str) -> str:
    """A database of our own on the test server: the suite's `api` fixture resets `test`'s schema."""
    name = f"memfeed_scale_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_private_database(admin_url: str, database_url: str) -> None:
    name = make_url(database_url).database
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def copy_rows(source_url: str, target_url: str) -> dict[str, int]:
    """Every row of the demo's tables into the (migrated, empty) target, in dependency order. Autoincrement
    ids are left to the target's sequences, rows inserted in id order so event order is kept."""
    source, target = create_engine(source_url), create_engine(target_url)
    copied: dict[str, int] = {}
    try:
        with source.connect() as reader, target.begin() as writer:
            for table in Base.metadata.sorted_tables:
                if table.name in NOT_COPIED:
                    continue
                serial = table.autoincrement_column
                columns = [c for c in table.columns if c is not serial]
                query = select(*columns)
                if serial is not None:
                    query = query.order_by(serial)
                rows = [dict(row) for row in reader.execute(query).mappings()]
                for start in range(0, len(rows), 5000):
                    writer.execute(table.insert(), rows[start : start + 5000])
                copied[table.name] = len(rows)
    finally:
        source.dispose()
        target.dispose()
    return copied


def cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([MEMFEED, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"memfeed {' '.join(args)}: {done.stderr[-2000:]}"
    return done.stdout


def cluster_env(directory: Path, database_url: str, redis_url: str, run: str) -> dict[str, str]:
    # budgets the test's own traffic never reaches, but the one under test (set below)
    budgets = {
        f"MEMFEED_{name.upper()}": "1000000"
        for name in Settings.model_fields
        if name.startswith("rate_limit_") and name.endswith(("_per_minute", "_burst"))
    }
    overrides = {
        "MEMFEED_RATE_LIMIT_ENABLED": "true",
        "MEMFEED_REDIS_URL": redis_url,
        "MEMFEED_RATE_LIMIT_REDIS_PREFIX": f"test:scale:{run}:limits",
        "MEMFEED_CACHE_REDIS_PREFIX": f"test:scale:{run}:cache:",
        # a loaded CI machine must not turn a slow Redis answer into an unchecked request (fail open)
        "MEMFEED_RATE_LIMIT_REDIS_TIMEOUT_SECONDS": "5",
        "MEMFEED_CACHE_REDIS_TIMEOUT_SECONDS": "5",
        # the budget under test: a burst of MEMORY_USER_BUDGET and a refill too slow to add a token meanwhile
        "MEMFEED_RATE_LIMIT_MEMORY_USER_BURST": str(MEMORY_USER_BUDGET),
        "MEMFEED_RATE_LIMIT_MEMORY_USER_PER_MINUTE": "0.001",
        "MEMFEED_SECRET_KEY": "scale-out-server-" + "k" * 32,
        "MEMFEED_MODEL_POLL_SECONDS": str(POLL_SECONDS),
        "MEMFEED_POPULARITY_REFRESH_SECONDS": "0",
        "MEMFEED_SERVED_BY_HEADER": "true",
    }
    return server_env(directory, database_url, JWT_SECRET, **{**budgets, **overrides})


def clear_redis(redis_url: str, run: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"test:scale:{run}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
    trained_demo: TrainedDemo,
    demo_template: tuple[Path, DemoDataset],
) -> Iterator[Cluster]:
    assert POSTGRES_URL and REDIS_URL
    directory = copy_trained(trained_demo, tmp_path_factory.mktemp("scale-out"))
    run = uuid.uuid4().hex[:12]
    database_url = create_private_database(POSTGRES_URL)
    server: ServerProcess | None = None
    log = directory / "server.log"
    try:
        reset_postgres(database_url)
        env = cluster_env(directory, database_url, REDIS_URL, run)
        admin_key = cli(env, directory, "keys", "create", "--scope", "admin", "--name", "scale").split()[-1]
        app_key = cli(env, directory, "keys", "create", "--scope", "app", "--name", "scale").split()[-1]
        started = time.monotonic()
        copied = copy_rows(f"sqlite:///{(directory / 'memfeed.db').as_posix()}", database_url)
        assert copied["events"] > 0 and copied["item_vectors"] == copied["items"] > 0, copied
        seeded = time.monotonic()

        server = ServerProcess(env, directory, log, workers=WORKERS, startup_seconds=STARTUP_SECONDS)
        dataset = demo_template[1]
        cluster = Cluster(
            url="",
            env=env,
            cwd=directory,
            database_url=database_url,
            admin_key=admin_key,
            app_key=app_key,
            champion=trained_demo.champion,
            challenger=trained_demo.challenger,
            users=[u.user_id for u in dataset.users],
            items=[i.item_id for i in dataset.items],
            run=run,
            log=log,
        )
        # A worker accepts connections only once its lifespan (embedder, catalog, champion) is done, so
        # readiness from two pids means both workers serve.
        ready: set[int] = set()

        def every_worker_ready() -> bool:
            cluster.url = server.url
            try:
                answer = cluster.call("GET", "/readyz")
            except httpx.TransportError:
                time.sleep(0.1)
                return False
            if answer.status == 200:
                ready.add(answer.pid)
            return len(ready) >= WORKERS

        server.start(ready=every_worker_ready)
        print(
            f"\ncopied {copied} into PostgreSQL in {seeded - started:.1f} s; "
            f"{WORKERS} workers ready {time.monotonic() - seeded:.1f} s after the start; "
            f"resident memory by worker (MiB): {', '.join(f'{pid}: {resident_mib(pid)}' for pid in sorted(ready))}"
        )
        yield cluster
    finally:
        if server is not None:
            server.stop()
        drop_private_database(POSTGRES_URL, database_url)
        clear_redis(REDIS_URL, run)


def resident_mib(pid: int) -> str:
    """A worker's resident set (embedder, catalog, champion loaded), for the sizing notes in docs/deployment.md."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "?"
    kib = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")), None)
    return f"{int(kib) // 1024}" if kib else "?"


def in_threads(count: int, work: Callable[[int], None]) -> None:
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)


def test_feed_page_computed_by_one_worker_is_a_hit_on_the_other(cluster: Cluster) -> None:
    user = cluster.users[7]
    before = cluster.per_worker(feed_cache_counts)
    first = cluster.feed(user)
    assert first.status == 200, first.body
    deadline = time.monotonic() + 60
    other = first
    while other.pid == first.pid:
        assert time.monotonic() < deadline, "one worker answered every request"
        other = cluster.feed(user)
    after = cluster.per_worker(feed_cache_counts)
    assert other.status == 200 and other.body == first.body
    assert after[first.pid]["miss"] == before[first.pid]["miss"] + 1
    assert after[other.pid]["hit"] == before[other.pid]["hit"] + 1
    assert after[other.pid]["miss"] == before[other.pid]["miss"]
    print(f"\nfeed page computed by worker {first.pid} (miss), served from Redis by worker {other.pid} (hit)")


def test_resent_batch_lands_once_across_workers(cluster: Cluster) -> None:
    prefix = f"scale-{cluster.run}-"
    batch = [
        {
            "event_id": f"{prefix}{n}",
            "user_id": f"scale-user-{n % 4}",
            "item_id": cluster.items[n],
            "type": "view",
        }
        for n in range(20)
    ]
    answers: list[Answer] = []
    lock = threading.Lock()

    def resend(_: int) -> None:
        for _ in range(6):
            answer = cluster.call("POST", "/v1/events", json={"events": batch}, headers=cluster.admin)
            with lock:
                answers.append(answer)

    in_threads(6, resend)
    assert all(a.status == 200 for a in answers), [a.body for a in answers if a.status != 200][:3]
    assert all(a.body["accepted"] + a.body["duplicates"] == len(batch) for a in answers)
    assert sum(a.body["accepted"] for a in answers) == len(batch)
    first_answered = min(a.received for a in answers)
    later = [a for a in answers if a.sent > first_answered]
    assert later and all(a.body["duplicates"] == len(batch) for a in later)
    workers = Counter(a.pid for a in answers)
    assert len(workers) == WORKERS, workers

    engine = create_engine(cluster.database_url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(Event.event_id, func.count())
            .where(Event.event_id.like(f"{prefix}%"))
            .group_by(Event.event_id)
        ).all()
    engine.dispose()
    assert sorted(event_id for event_id, _ in rows) == sorted(e["event_id"] for e in batch)
    assert all(count == 1 for _, count in rows)
    accepted_by = Counter({a.pid: a.body["accepted"] for a in answers if a.body["accepted"]})
    print(
        f"\n{len(answers)} sends of one {len(batch)}-event batch, by worker {dict(workers)}: "
        f"{len(batch)} stored once (accepted by worker {dict(accepted_by)}), "
        f"{sum(a.body['duplicates'] for a in answers)} duplicates reported, "
        f"{len(later)} sends after the first answer all fully duplicate"
    )


def test_per_user_budget_is_shared_by_the_workers(cluster: Cluster) -> None:
    user = f"limited-{cluster.run}"
    headers = cluster.as_user(user)
    answers: list[Answer] = []
    lock = threading.Lock()

    def ask(_: int) -> None:
        for _ in range(8):
            answer = cluster.call("GET", f"/v1/users/{user}/memories", headers=headers)
            with lock:
                answers.append(answer)

    in_threads(6, ask)
    statuses = Counter(a.status for a in answers)
    assert set(statuses) <= {200, 429}, statuses
    granted = [a for a in answers if a.status == 200]
    refused = [a for a in answers if a.status == 429]
    # The refill (0.001 a minute) adds no token during the test: the budget is the burst, all of it used.
    assert len(granted) == MEMORY_USER_BUDGET, statuses
    for answer in refused:
        assert int(answer.headers["retry-after"]) >= 1
        assert answer.body["error"]["code"] == "rate_limited"
        assert answer.body["error"]["details"]["limit"]["scope"] == "user"
    assert len({a.pid for a in answers}) == WORKERS
    print(
        f"\nper-user budget {MEMORY_USER_BUDGET}: {len(answers)} requests, answered by worker "
        f"{dict(Counter(a.pid for a in answers))}; 200s by worker {dict(Counter(a.pid for a in granted))}, "
        f"429s by worker {dict(Counter(a.pid for a in refused))}"
    )


@dataclass
class Load:
    """Feed requests from a few threads while models are promoted; every answer is kept."""

    cluster: Cluster
    answers: list[Answer] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, offset: int) -> None:
        n = offset
        while not self.stop.is_set():
            user = self.cluster.users[(n * 7) % len(self.cluster.users)]
            n += 1
            try:
                answer = self.cluster.feed(user)
            except httpx.TransportError as exc:
                self.errors.append(f"transport: {exc!r}")
                continue
            with self.lock:
                self.answers.append(answer)
            if answer.status != 200:
                self.errors.append(f"{answer.status} {str(answer.body)[:300]}")

    def since(self, start: float) -> list[Answer]:
        with self.lock:
            return [a for a in self.answers if a.sent >= start]


def wait_until_every_worker_serves(load: Load, version: str, since: float) -> dict[int, float]:
    """Seconds from `since` to each worker's first answer with `version`, asked after `since`; then checks
    that no request the worker started after that answer got another version."""
    deadline = since + SWAP_DEADLINE_SECONDS
    while True:
        answers = load.since(since)
        first_new: dict[int, float] = {}
        for answer in answers:
            if answer.status == 200 and answer.body["model_version"] == version:
                first_new[answer.pid] = min(first_new.get(answer.pid, answer.received), answer.received)
        if len(first_new) == WORKERS:
            break
        assert not load.errors, load.errors[:5]
        assert time.monotonic() < deadline, f"workers serving {version}: {sorted(first_new)}"
        time.sleep(0.05)
    stale = [
        a
        for a in load.since(since)
        if a.status == 200
        and a.pid in first_new
        and a.sent > first_new[a.pid]
        and a.body["model_version"] != version
    ]
    assert not stale, f"{len(stale)} answers went back to the old model"
    return {pid: first - since for pid, first in first_new.items()}


def test_promoted_model_reaches_every_worker_without_a_failed_request(cluster: Cluster) -> None:
    load = Load(cluster)
    threads = [threading.Thread(target=load.run, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        warm = time.monotonic()
        assert wait_until_every_worker_serves(load, cluster.champion, warm)

        promoted = time.monotonic()
        out = cli(cluster.env, cluster.cwd, "models", "promote", cluster.challenger)
        cli_seconds = time.monotonic() - promoted  # mostly the CLI process starting
        assert cluster.challenger in out
        by_cli = wait_until_every_worker_serves(load, cluster.challenger, promoted)

        promoted = time.monotonic()
        answer = cluster.call("POST", f"/v1/admin/models/{cluster.champion}/promote", headers=cluster.admin)
        assert answer.status == 200, answer.body
        by_api = wait_until_every_worker_serves(load, cluster.champion, promoted)
        # the worker that handled the promote swapped before answering: what it started after serves the champion
        after_answer = [a for a in load.since(answer.received) if a.pid == answer.pid and a.status == 200]
        assert all(a.body["model_version"] == cluster.champion for a in after_answer)
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not load.errors, load.errors[:5]
    served = Counter(a.pid for a in load.answers)
    assert len(served) == WORKERS
    print(
        f"\n{len(load.answers)} feed requests during two promotions, by worker {dict(served)}, none failed; "
        f"CLI promote (a {cli_seconds:.2f} s process) reached workers {fmt(by_cli)} after it started; "
        f"API promote (answered by {answer.pid}) after {fmt(by_api)} (poll every {POLL_SECONDS} s)"
    )


def fmt(seconds: dict[int, float]) -> str:
    return ", ".join(f"{pid}: {value:.2f} s" for pid, value in sorted(seconds.items()))
