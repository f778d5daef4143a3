"""Retrain runs: starting one in its own process, following it, and recording what came of it; plus the lock
that keeps two retrains from running at once.

The API starts runs (`RunService.start`); the `memfeed retrain --run-id` process they launch records its own
progress (`RunService.track`). Either face reads a run back with `RunService.get`.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from memfeed.platform.errors import MemfeedError
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow
from memfeed.training.launch import start_retrain_process
from memfeed.training.records import RunRecord
from memfeed.training.repository import RunRepository
from memfeed.training.retrain import PromoteMode

__all__ = ["RetrainBusy", "RunRecord", "RunService", "RunTracker", "retrain_lock", "retrain_running"]

LOCK_FILE = ".retrain.lock"
ERROR_CHARS = 2000
"""A failed run keeps the first this many characters of its error."""


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


class RunTracker:
    """Handed out by `RunService.track`: the block reports its outcome with `completed(report)`."""

    def __init__(self, runs: RunRepository | None, run_id: str | None) -> None:
        self._runs = runs
        self.run_id = run_id
        self.finished = False

    def completed(self, report: Mapping[str, Any]) -> None:
        """Record the retrain report (its "version", "promoted" and "metrics") and mark the run completed."""
        self.finished = True
        if self._runs is not None and self.run_id is not None:
            self._runs.update(
                self.run_id,
                state="completed",
                finished_at=utcnow(),
                version=report["version"],
                promoted=report["promoted"],
                metrics=report["metrics"],
            )

    def failed(self, error: str) -> None:
        self.finished = True
        if self._runs is not None and self.run_id is not None:
            self._runs.update(self.run_id, state="failed", finished_at=utcnow(), error=error[:ERROR_CHARS])


class RunService:
    """Retrain runs recorded in `database`, launched with `settings` (handed to the child process whole)."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.settings = settings
        self.runs = RunRepository(database)

    def start(self, promote: PromoteMode) -> str:
        """Record a run and launch `memfeed retrain` for it in its own process; returns the run id at once.

        RetrainBusy when a run is scheduled or running, or another retrain holds the lock. If the process
        cannot be started, the run is marked failed and the OSError propagates.
        """
        if self.runs.active() is not None or retrain_running(self.settings.models_dir):
            raise RetrainBusy("a retrain is already running")
        run_id = uuid.uuid4().hex
        self.runs.add(run_id, promote.value)
        try:
            start_retrain_process(self.settings, run_id, promote.value)
        except OSError as exc:
            self.runs.update(run_id, state="failed", error=str(exc))
            raise
        return run_id

    def get(self, run_id: str) -> RunRecord:
        """The run as stored (NotFound for an unknown id)."""
        return self.runs.get(run_id)

    @contextmanager
    def track(self, run_id: str | None) -> Iterator[RunTracker]:
        """Record the retrain done inside the block under `run_id` (nothing is recorded for None).

        Marks the run running on entry; the block calls `completed(report)`; an exception marks it failed
        with the first 2000 characters of its text and propagates. A block that ends without a report
        marks the run failed too, so no run stays `running` forever.
        """
        runs = self.runs if run_id is not None else None
        if runs is not None and run_id is not None:
            runs.update(run_id, state="running", started_at=utcnow())
        tracker = RunTracker(runs, run_id)
        try:
            yield tracker
        except Exception as exc:
            tracker.failed(str(exc))
            raise
        if not tracker.finished:
            tracker.failed("the retrain ended without a report")

    def counts_by_state(self) -> dict[str, int]:
        """How many runs are recorded in each state (for /metrics)."""
        return self.runs.counts_by_state()

    def last_duration_seconds(self) -> float | None:
        """Wall time of the last finished run, None before the first (for /metrics)."""
        return self.runs.last_duration_seconds()
