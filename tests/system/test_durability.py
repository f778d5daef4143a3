"""What a 2xx promises: an acknowledged event or memory survives the server being SIGKILLed mid-stream.

The real server runs as a subprocess (`memfeed serve`), writers stream batches from threads, the process
group is killed while requests are in flight, and the server is started again on the same database.
Two server starts per backend (each loads the embedding model).
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from memfeed.platform.storage.db import create_database
from memfeed.platform.storage.schema import Event, Memory
from tests.conftest import BACKENDS, POSTGRES_URL, reset_postgres
from tests.support.server import MEMFEED, ServerProcess, server_env

EVENTS_PER_BATCH = 40
SENDERS = 3
ITEMS = [f"item-{n:02d}" for n in range(20)]
KILL_AFTER_BATCHES = 25
KILL_AFTER_MEMORIES = 10
STARTUP_SECONDS = 180.0


def durability_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    return server_env(
        tmp_path, database_url, "durability-secret-" + "d" * 32, MEMFEED_POPULARITY_REFRESH_SECONDS="0"
    )


@dataclass
class Stream:
    """What the writers sent and what the server acknowledged; shared by the writer threads."""

    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    acked_events: list[str] = field(default_factory=list)
    memory_texts: list[tuple[str, str]] = field(default_factory=list)  # (user_id, text), in send order
    acked_memories: dict[str, tuple[str, str]] = field(default_factory=dict)  # memory_id -> (user, text)
    in_flight: int = 0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)


def send_events(url: str, headers: dict[str, str], stream: Stream, sender: int) -> None:
    with httpx.Client(base_url=url, headers=headers, timeout=30.0) as client:
        number = 0
        while not stream.stop.is_set():
            batch = [
                {
                    "event_id": f"s{sender}-b{number}-e{n}",
                    "user_id": f"user-{(number + n) % 7}",
                    "item_id": ITEMS[(sender * 7 + number * 3 + n) % len(ITEMS)],
                    "type": "view",
                }
                for n in range(EVENTS_PER_BATCH)
            ]
            number += 1
            with stream.lock:
                stream.batches.append(batch)
                stream.in_flight += 1
            try:
                response = client.post("/v1/events", json={"events": batch})
            except httpx.TransportError:
                return  # the server is gone; this batch may or may not have been stored
            finally:
                with stream.lock:
                    stream.in_flight -= 1
            body = response.json()
            if response.status_code != 200 or body["accepted"] + body["duplicates"] != len(batch):
                stream.failures.append(f"events: {response.status_code} {response.text[:300]}")
                return
            with stream.lock:
                stream.acked_events.extend(e["event_id"] for e in batch)


def send_memories(url: str, headers: dict[str, str], stream: Stream) -> None:
    # One user per memory: dedup is per user, so no two of these texts can ever merge into one.
    with httpx.Client(base_url=url, headers=headers, timeout=30.0) as client:
        number = 0
        while not stream.stop.is_set():
            user, text = (
                f"mem-user-{number}",
                f"Memory {number}: the user keeps {number} plants on the balcony",
            )
            number += 1
            with stream.lock:
                stream.memory_texts.append((user, text))
                stream.in_flight += 1
            try:
                response = client.post(f"/v1/users/{user}/memories", json={"text": text})
            except httpx.TransportError:
                return
            finally:
                with stream.lock:
                    stream.in_flight -= 1
            if response.status_code != 201:
                stream.failures.append(f"memories: {response.status_code} {response.text[:300]}")
                return
            with stream.lock:
                stream.acked_memories[response.json()["memory"]["memory_id"]] = (user, text)


def wait_for(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def stored_event_counts(url: str) -> dict[str, int]:
    """How many rows each of the streamed event ids has (the writers' ids all look like s<n>-b<n>-e<n>)."""
    database = create_database(url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Event.event_id, func.count())
                .where(Event.event_id.like("s%-b%-e%"))
                .group_by(Event.event_id)
            ).all()
    finally:
        database.dispose()
    return {event_id: count for event_id, count in rows}


def stored_memory_texts(url: str) -> dict[str, int]:
    database = create_database(url)
    try:
        with database.session() as session:
            rows = session.execute(
                select(Memory.text, func.count())
                .where(Memory.user_id.like("mem-user-%"))
                .group_by(Memory.text)
            ).all()
    finally:
        database.dispose()
    return {text: count for text, count in rows}


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "postgresql":
        assert POSTGRES_URL
        reset_postgres(POSTGRES_URL)
        yield POSTGRES_URL
    else:
        yield f"sqlite:///{(tmp_path / 'var' / 'memfeed.db').as_posix()}"


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_acknowledged_writes_survive_sigkill(tmp_path: Path, database_url: str) -> None:
    env = durability_env(tmp_path, database_url)
    created = subprocess.run(
        [MEMFEED, "keys", "create", "--scope", "admin", "--name", "durability"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert created.returncode == 0, created.stderr
    headers = {"X-API-Key": created.stdout.strip().splitlines()[-1]}
    server = ServerProcess(env, tmp_path, tmp_path / "server.log")
    try:
        server.start()
        items = [{"item_id": item_id, "title": f"Article number {item_id}"} for item_id in ITEMS]
        put = httpx.post(f"{server.url}/v1/items", json={"items": items}, headers=headers, timeout=60)
        assert put.status_code == 200 and put.json()["upserted"] == len(ITEMS), put.text

        stream = Stream()
        writers = [
            threading.Thread(target=send_events, args=(server.url, headers, stream, s))
            for s in range(SENDERS)
        ]
        writers.append(threading.Thread(target=send_memories, args=(server.url, headers, stream)))
        for writer in writers:
            writer.start()
        wait_for(
            lambda: (
                stream.failures
                or (
                    len(stream.acked_events) >= KILL_AFTER_BATCHES * EVENTS_PER_BATCH
                    and len(stream.acked_memories) >= KILL_AFTER_MEMORIES
                )
            ),
            120,
            "acknowledged writes",
        )
        wait_for(lambda: stream.in_flight >= 2, 10, "requests in flight")
        with stream.lock:  # writers finishing a request wait here until the process group is gone
            in_flight_at_kill = stream.in_flight
            assert server.kill() == -signal.SIGKILL
        stream.stop.set()
        for writer in writers:
            writer.join(timeout=60)
        assert not stream.failures, stream.failures
        assert in_flight_at_kill >= 1
        # Acknowledgements counted after the kill are responses that were already on their way.
        acked_events, acked_memories = list(stream.acked_events), dict(stream.acked_memories)

        # What the database holds before any restart: every acknowledged event, exactly once.
        counts = stored_event_counts(database_url)
        lost = [e for e in acked_events if e not in counts]
        assert not lost, f"{len(lost)} of {len(acked_events)} acknowledged events lost, e.g. {lost[:5]}"
        assert all(count == 1 for count in counts.values())
        texts = stored_memory_texts(database_url)
        assert all(text in texts for _, text in acked_memories.values())
        assert all(count == 1 for count in texts.values())

        server.start()
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
            acked = set(acked_events)
            resent_accepted = 0
            for batch in stream.batches:
                body = client.post("/v1/events", json={"events": batch}).json()
                assert body["rejected"] == [] and body["accepted"] + body["duplicates"] == len(batch)
                batch_acked = sum(e["event_id"] in acked for e in batch)
                assert batch_acked in (0, len(batch))
                if batch_acked:
                    assert body["duplicates"] == len(batch), "an acknowledged event was stored again"
                else:
                    # One batch is one transaction: an unacknowledged batch is either all there or not at all.
                    assert body["accepted"] in (0, len(batch))
                    resent_accepted += body["accepted"]

            for memory_id, (user, text) in acked_memories.items():
                got = client.get(f"/v1/users/{user}/memories/{memory_id}")
                assert got.status_code == 200 and got.json()["text"] == text, got.text
                again = client.post(f"/v1/users/{user}/memories", json={"text": text})
                assert again.status_code == 200 and again.json()["merged"] is True, again.text
                assert again.json()["memory"]["memory_id"] == memory_id

        sent = {e["event_id"] for batch in stream.batches for e in batch}
        counts = stored_event_counts(database_url)
        assert set(counts) == sent and all(count == 1 for count in counts.values())
        texts = stored_memory_texts(database_url)
        assert all(count == 1 for count in texts.values())
        print(
            f"\n[{database_url.split(':')[0]}] acknowledged before SIGKILL: {len(acked_events)} events in "
            f"{len(acked_events) // EVENTS_PER_BATCH} batches, {len(acked_memories)} memories; "
            f"{in_flight_at_kill} requests in flight at the kill; found after restart: "
            f"{sum(e in counts for e in acked_events)} events, {len(acked_memories)} memories; "
            f"{resent_accepted} unacknowledged events first stored by the re-send"
        )
    finally:
        server.stop()
