"""Training's SQL: the retrain runs table (a training set is read through the events and catalog repositories)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from memfeed.platform.errors import NotFound
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Run
from memfeed.platform.storage.types import utcnow
from memfeed.training.records import RunRecord

ACTIVE_STATES = ("scheduled", "running")
EVENT_BATCH_ROWS = 20_000
"""Rows fetched per round trip while streaming every event into a training set."""


def _record(run: Run) -> RunRecord:
    return RunRecord(
        run_id=run.run_id,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        version=run.version,
        promoted=run.promoted,
        metrics=run.metrics,
        error=run.error,
    )


class RunRepository:
    """The `runs` table: one row per retrain started through the API or the CLI."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, run_id: str, promote: str) -> None:
        """A new run in state `scheduled`."""
        with self.database.session() as session:
            session.add(Run(run_id=run_id, state="scheduled", promote=promote, created_at=utcnow()))

    def update(self, run_id: str, **fields: Any) -> None:
        """Set columns of one run; NotFound if there is no such run."""
        with self.database.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise NotFound(f"run {run_id!r} not found")
            for key, value in fields.items():
                setattr(run, key, value)

    def get(self, run_id: str) -> RunRecord:
        with self.database.session() as session:
            run = session.get(Run, run_id)
            if run is None:
                raise NotFound(f"run {run_id!r} not found")
            return _record(run)

    def active(self) -> RunRecord | None:
        """Some run still scheduled or running, if any."""
        with self.database.session() as session:
            run = session.scalars(select(Run).where(Run.state.in_(ACTIVE_STATES)).limit(1)).first()
            return None if run is None else _record(run)

    def counts_by_state(self) -> dict[str, int]:
        with self.database.session() as session:
            rows = session.execute(select(Run.state, func.count()).group_by(Run.state)).all()
        return {state: int(count) for state, count in rows}

    def last_duration_seconds(self) -> float | None:
        """Wall time of the most recently finished run that also recorded its start."""
        with self.database.session() as session:
            last = session.execute(
                select(Run.started_at, Run.finished_at)
                .where(Run.finished_at.is_not(None), Run.started_at.is_not(None))
                .order_by(Run.finished_at.desc())
                .limit(1)
            ).first()
        return None if last is None else (last.finished_at - last.started_at).total_seconds()
