"""Admin routes: start a retrain, follow a run, list, promote and roll back model versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AdminCaller, ModelsDep, RunsDep
from api.schemas.admin import ModelList, ModelOut, RunOut, RunStarted
from api.schemas.common import errors
from memfeed.registry.manifest import Manifest
from memfeed.training.retrain import PromoteMode

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
    runs: RunsDep, _: AdminCaller, promote: Annotated[PromoteMode, Query()] = PromoteMode.auto
) -> RunStarted:
    """Start the retrain flow in its own process and answer at once; follow it at /v1/admin/runs/{run_id}."""
    return RunStarted(run_id=runs.start(promote))


@router.get("/runs/{run_id}", response_model=RunOut, responses=errors(401, 403, 404, 422))
def run_status(
    run_id: Annotated[str, Path(pattern=r"^[a-f0-9]{32}$")], runs: RunsDep, _: AdminCaller
) -> RunOut:
    return RunOut.model_validate(runs.get(run_id), from_attributes=True)


@router.get("/models", response_model=ModelList, responses=errors(401, 403))
def list_models(models: ModelsDep, _: AdminCaller) -> ModelList:
    listing = models.list()
    return ModelList(
        champion=listing.champion,
        serving=listing.serving,
        items=[model_out(m, listing.champion) for m in listing.manifests],
    )


@router.post("/models/{version}/promote", response_model=ModelOut, responses=errors(401, 403, 404, 409, 422))
def promote_model(version: Version, models: ModelsDep, _: AdminCaller) -> ModelOut:
    """Make `version` champion (checksums verified first); this process swaps to it before answering."""
    return model_out(models.promote(version), version)


@router.post("/models/rollback", response_model=ModelOut, responses=errors(401, 403, 409))
def rollback_model(models: ModelsDep, _: AdminCaller) -> ModelOut:
    manifest = models.rollback()
    return model_out(manifest, manifest.version)
