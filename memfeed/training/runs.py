"""Retrain runs: their recorded state, and the lock that keeps two retrains from running at once."""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select

from memfeed.platform.errors import MemfeedError, NotFound
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Run
from memfeed.platform.storage.types import utcnow

LOCK_FILE = ".retrain.lock"


class RetrainBusy(MemfeedError):
    code = "conflict"


@contextmanager
def retrain_lock(models_dir: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on the models folder; released even if the process dies."""
    models_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(models_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RetrainBusy("another retrain is running") from exc
        yield
    finally:
        os.close(fd)


def retrain_running(models_dir: Path) -> bool:
    try:
        with retrain_lock(models_dir):
            return False
    except RetrainBusy:
        return True


def create_run(database: Database, promote: str) -> str:
    run_id = uuid.uuid4().hex
    with database.session() as session:
        session.add(Run(run_id=run_id, state="scheduled", promote=promote, created_at=utcnow()))
    return run_id


def update_run(database: Database, run_id: str, **fields: Any) -> None:
    with database.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} not found")
        for key, value in fields.items():
            setattr(run, key, value)


def get_run(database: Database, run_id: str) -> Run:
    with database.session() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound(f"run {run_id!r} not found")
        return run


def active_run(database: Database) -> Run | None:
    with database.session() as session:
        return session.scalars(select(Run).where(Run.state.in_(("scheduled", "running"))).limit(1)).first()
