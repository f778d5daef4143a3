"""Training's SQL: the retrain runs table, and the reads that load a training set (events, item vectors)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select

from memfeed.feed.profile import Interaction
from memfeed.platform.errors import NotFound
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Event, Item, ItemVector, Run
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


class TrainingDataRepository:
    """The reads behind a training set: every event in insertion order, and the items' content vectors."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # TODO(events-repository): the two event reads move to EventRepository (all_interactions, latest_time).
    def all_interactions(self) -> Iterator[tuple[str, Interaction]]:
        """(user_id, interaction) for every stored event, in insertion order, streamed in batches."""
        with self.database.session() as session:
            stmt = select(Event.user_id, Event.item_id, Event.type, Event.value, Event.ts).order_by(Event.id)
            for row in session.execute(stmt.execution_options(yield_per=EVENT_BATCH_ROWS)):
                yield row.user_id, Interaction(row.item_id, row.type, row.value, row.ts)

    # TODO(events-repository)
    def latest_event_time(self) -> datetime | None:
        with self.database.session() as session:
            return session.scalar(select(func.max(Event.ts)))

    def item_vectors(self, embedder_id: str) -> tuple[dict[str, np.ndarray], dict[str, datetime | None]]:
        """({item_id: float32 vector}, {item_id: published_at}) for items embedded by `embedder_id`."""
        vectors: dict[str, np.ndarray] = {}
        published: dict[str, datetime | None] = {}
        with self.database.session() as session:
            stmt = (
                select(ItemVector.item_id, ItemVector.vector, Item.published_at)
                .join(Item, Item.item_id == ItemVector.item_id)
                .where(ItemVector.embedder == embedder_id)
            )
            for r in session.execute(stmt):
                vectors[r.item_id] = np.frombuffer(r.vector, dtype=np.float32)
                published[r.item_id] = r.published_at
        return vectors, published
