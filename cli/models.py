"""`memfeed models ...`: list, inspect, promote and roll back model versions in MEMFEED_MODELS_DIR."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer

from memfeed.platform.errors import MemfeedError
from memfeed.platform.settings import get_settings
from memfeed.registry.manifest import Manifest
from memfeed.registry.service import ModelService
from memfeed.registry.versions import ModelRegistry

models_app = typer.Typer(help="Model versions in models/.", no_args_is_help=True)

LISTED_METRICS = ("ndcg@10", "recall@10")
# the retrain pipeline stores one row per ranker; the version's own model is the "memfeed" row
OWN_ROW = "memfeed"


NOT_SERVING = "none"
"""What a CLI process serves: no feeds (servers pick promotions up at their next poll)."""


def _service() -> ModelService:
    return ModelService(ModelRegistry(get_settings().models_dir), None, lambda: NOT_SERVING)


def _fail(exc: MemfeedError) -> NoReturn:
    typer.echo(exc.message, err=True)
    raise typer.Exit(1)


def _metric(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _key_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """Top-level metrics if the trainer wrote them flat, else the version's own row among the rankers."""
    own = metrics.get(OWN_ROW)
    rows = [metrics, own] if isinstance(own, dict) else [metrics]
    found: dict[str, Any] = {}
    for name in LISTED_METRICS:
        value = next((row[name] for row in rows if name in row), None)
        if value is not None:
            found[name] = value
    return found


def _line(manifest: Manifest, champion: str | None) -> str:
    created = manifest.created_at[:19].replace("T", " ")
    parts = [manifest.version, created]
    parts += [f"{name}={_metric(value)}" for name, value in _key_metrics(manifest.metrics).items()]
    if manifest.version == champion:
        parts.append("champion")
    return "  ".join(parts)


@models_app.command("list")
def list_versions() -> None:
    """One line per version, oldest first: id, created (UTC), key metrics, champion marker."""
    listing = _service().list(tolerate_bad_pointer=True)  # an unreadable pointer must not hide versions
    if not listing.manifests:
        typer.echo("no versions yet")
        return
    if listing.pointer_error is not None:
        typer.echo(listing.pointer_error, err=True)
    for manifest in reversed(listing.manifests):
        typer.echo(_line(manifest, listing.champion))


@models_app.command("show")
def show(version: str) -> None:
    """Print a version's manifest as JSON."""
    try:
        manifest = _service().show(version)
    except MemfeedError as exc:
        _fail(exc)
    typer.echo(json.dumps(manifest.to_dict(), indent=2))


@models_app.command("promote")
def promote(version: str) -> None:
    """Verify a version's checksums and make it the champion (servers pick it up on their next poll)."""
    try:
        manifest = _service().promote(version)
    except MemfeedError as exc:
        _fail(exc)
    typer.echo(f"champion is now {manifest.version}")


@models_app.command("rollback")
def rollback() -> None:
    """Make the previous champion serve again; repeat to go further back."""
    try:
        manifest = _service().rollback()
    except MemfeedError as exc:
        _fail(exc)
    typer.echo(f"champion is now {manifest.version}")
