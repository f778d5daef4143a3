"""Admin routes: start a retrain, follow a run, list, promote and roll back model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AdminCaller, RuntimeDep
from api.schemas.admin import ModelList, ModelOut, RunOut, RunStarted
from api.schemas.common import errors
from memfeed.registry.manifest import Manifest
from memfeed.training.launch import start_retrain_process
from memfeed.training.retrain import PromoteMode
from memfeed.training.runs import RetrainBusy, active_run, create_run, get_run, retrain_running, update_run

router = APIRouter(prefix="/v1/admin", tags=["admin"])

Version = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-.]{1,64}$")]


def model_out(manifest: Manifest, champion: str | None) -> ModelOut:
    return ModelOut(
        version=manifest.version,
        created_at=manifest.created_at,
        champion=manifest.version == champion,
        metrics=manifest.metrics,
        parameters=manifest.parameters,
        data=manifest.data,
        decision=manifest.decision,
    )


@router.post("/retrain", status_code=202, response_model=RunStarted, responses=errors(401, 403, 409, 422))
def start_retrain(
    runtime: RuntimeDep, _: AdminCaller, promote: Annotated[PromoteMode, Query()] = PromoteMode.auto
) -> RunStarted:
    """Start the retrain flow in its own process and answer at once; follow it at /v1/admin/runs/{run_id}."""
    if active_run(runtime.database) is not None or retrain_running(runtime.settings.models_dir):
        raise RetrainBusy("a retrain is already running")
    run_id = create_run(runtime.database, promote.value)
    try:
        start_retrain_process(runtime.settings, run_id, promote.value)
    except OSError as exc:
        update_run(runtime.database, run_id, state="failed", error=str(exc))
        raise
    return RunStarted(run_id=run_id)


@router.get("/runs/{run_id}", response_model=RunOut, responses=errors(401, 403, 404, 422))
def run_status(
    run_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], runtime: RuntimeDep, _: AdminCaller
) -> RunOut:
    run = get_run(runtime.database, run_id)
    return RunOut(
        run_id=run.run_id,
        state=run.state,
        started_at=run.started_at,
        finished_at=run.finished_at,
        version=run.version,
        promoted=run.promoted,
        metrics=run.metrics,
        error=run.error,
    )


@router.get("/models", response_model=ModelList, responses=errors(401, 403))
def list_models(runtime: RuntimeDep, _: AdminCaller) -> ModelList:
    champion = runtime.registry.champion()
    return ModelList(
        champion=champion,
        serving=runtime.feeds.model_version,
        items=[model_out(m, champion) for m in reversed(runtime.registry.versions())],
    )


@router.post("/models/{version}/promote", response_model=ModelOut, responses=errors(401, 403, 404, 409, 422))
def promote_model(version: Version, runtime: RuntimeDep, _: AdminCaller) -> ModelOut:
    """Make `version` champion (checksums verified first); this process swaps to it before answering."""
    manifest = runtime.registry.promote(version)
    runtime.watcher.check()
    return model_out(manifest, version)


@router.post("/models/rollback", response_model=ModelOut, responses=errors(401, 403, 409))
def rollback_model(runtime: RuntimeDep, _: AdminCaller) -> ModelOut:
    manifest = runtime.registry.rollback()
    runtime.watcher.check()
    return model_out(manifest, manifest.version)
