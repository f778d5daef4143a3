"""`memfeed retrain` and `memfeed pipelines serve`: the Prefect flows, in this process or on schedules."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.serving import migrate
from memfeed.platform.settings import get_settings

pipelines_app = typer.Typer(help="Prefect flows and schedules.", no_args_is_help=True)


def prefect_defaults() -> None:
    """No telemetry (there is no network) and quiet ephemeral servers; explicit settings still win."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


def retrain(
    promote: Annotated[str, typer.Option(help="auto (gate on NDCG@10), always or never")] = "auto",
    run_id: Annotated[
        str | None, typer.Option(help="record progress under this run (set by the API)")
    ] = None,
) -> None:
    """Run the retrain flow in this process (Prefect ephemeral mode unless PREFECT_API_URL is set)."""
    import json

    from memfeed.platform.storage.db import create_database
    from memfeed.platform.storage.types import utcnow
    from memfeed.training.retrain import PromoteMode
    from memfeed.training.runs import update_run

    if promote not in {m.value for m in PromoteMode}:
        raise typer.BadParameter("must be auto, always or never", param_hint="--promote")
    settings = get_settings()
    migrate(settings)
    prefect_defaults()
    database = create_database(settings.resolved_database_url)
    if run_id:
        update_run(database, run_id, state="running", started_at=utcnow())
    try:
        from pipelines.flows import retrain_flow

        report = retrain_flow(promote=promote)
    except Exception as exc:
        if run_id:
            update_run(database, run_id, state="failed", finished_at=utcnow(), error=str(exc)[:2000])
        database.dispose()
        typer.echo(f"retrain failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    if run_id:
        update_run(
            database,
            run_id,
            state="completed",
            finished_at=utcnow(),
            version=report["version"],
            promoted=report["promoted"],
            metrics=report["metrics"],
        )
    database.dispose()
    typer.echo(json.dumps({k: report[k] for k in ("version", "promoted", "reason", "seconds")}))
    typer.echo(json.dumps(report["metrics"], indent=2))


@pipelines_app.command("serve")
def pipelines_serve() -> None:
    """Serve the flows on their schedules: retrain on MEMFEED_RETRAIN_CRON, embed-items every interval."""
    settings = get_settings()
    migrate(settings)
    prefect_defaults()
    from pipelines.deployments import serve_pipelines

    serve_pipelines(settings)
