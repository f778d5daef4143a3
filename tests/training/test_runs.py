"""Retrain run bookkeeping on a real database: start refuses a second run, a launch failure is recorded, and
`track` records running -> completed (with the report) or failed (with the error)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from memfeed.platform.errors import NotFound
from memfeed.platform.storage.db import create_database
from memfeed.training.retrain import PromoteMode
from memfeed.training.runs import RetrainBusy, RunRecord, RunService, retrain_lock
from tests.conftest import BACKENDS, database_url_for, make_settings, migrated


@pytest.fixture(params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path: Path) -> RunService:
    settings = migrated(make_settings(tmp_path, database_url_for(request.param, tmp_path)))
    database = create_database(settings.resolved_database_url)
    request.addfinalizer(database.dispose)
    return RunService(database, settings)


def test_tracked_retrain_is_recorded_running_then_completed_with_its_report(service: RunService) -> None:
    run_id = "a" * 32
    service.runs.add(run_id, "never")
    assert service.get(run_id).state == "scheduled"
    report = {
        "version": "v1",
        "promoted": False,
        "reason": "promote=never",
        "metrics": {"memfeed": {"x": 1.0}},
    }
    with service.track(run_id) as run:
        running = service.get(run_id)
        assert running.state == "running" and running.started_at is not None
        run.completed(report)
    done = service.get(run_id)
    assert isinstance(done, RunRecord)
    assert (done.state, done.version, done.promoted, done.metrics, done.error) == (
        "completed",
        "v1",
        False,
        {"memfeed": {"x": 1.0}},
        None,
    )
    assert (
        done.finished_at is not None and done.started_at is not None and done.finished_at >= done.started_at
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.state = "failed"  # type: ignore[misc]
    assert service.counts_by_state() == {"completed": 1}
    assert (service.last_duration_seconds() or 0.0) >= 0.0


def test_failed_retrain_keeps_the_first_2000_characters_of_its_error(service: RunService) -> None:
    run_id = "b" * 32
    service.runs.add(run_id, "auto")
    with pytest.raises(ValueError, match="boom"), service.track(run_id):
        raise ValueError("boom" + "x" * 3000)
    failed = service.get(run_id)
    assert failed.state == "failed" and failed.finished_at is not None
    assert failed.error == ("boom" + "x" * 3000)[:2000]


def test_untracked_retrain_records_nothing(service: RunService) -> None:
    with service.track(None) as run:
        run.completed({"version": "v", "promoted": True, "metrics": {}})
    assert service.counts_by_state() == {}
    with pytest.raises(NotFound):
        service.get("c" * 32)


def test_start_refuses_while_a_run_is_active_or_the_lock_is_held(service: RunService) -> None:
    with retrain_lock(service.settings.models_dir), pytest.raises(RetrainBusy):
        service.start(PromoteMode.never)
    service.runs.add("d" * 32, "auto")
    with pytest.raises(RetrainBusy):
        service.start(PromoteMode.never)
    assert service.counts_by_state() == {"scheduled": 1}


def test_a_retrain_that_cannot_be_launched_is_recorded_failed(service: RunService, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")  # the run's log folder cannot be created under a file
    blocked = RunService(service.runs.database, service.settings.model_copy(update={"var_dir": blocker}))
    with pytest.raises(OSError):
        blocked.start(PromoteMode.never)
    assert service.counts_by_state() == {"failed": 1}
