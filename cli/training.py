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

    from memfeed.platform.storage.db import open_database
    from memfeed.training.retrain import PromoteMode
    from memfeed.training.runs import RunService

    if promote not in {m.value for m in PromoteMode}:
        raise typer.BadParameter("must be auto, always or never", param_hint="--promote")
    settings = get_settings()
    migrate(settings)
    prefect_defaults()
    with open_database(settings) as database:
        try:
            with RunService(database, settings).track(run_id) as run:
                from pipelines.flows import retrain_flow

                report = retrain_flow(promote=promote)  # settings stay out: Prefect stores flow parameters
                run.completed(report)
        except Exception as exc:
            typer.echo(f"retrain failed: {exc}", err=True)
            raise typer.Exit(1) from exc
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
