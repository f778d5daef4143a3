"""Deployments and schedules, in one place: `memfeed pipelines serve` runs them.

With `PREFECT_API_URL` set, they register with that Prefect server (and its UI shows runs); without it,
Prefect starts a temporary local server for the life of the process.
"""

from __future__ import annotations

from typing import Any

from prefect import serve

from memfeed.platform.settings import Settings
from pipelines.flows import embed_items_flow, purge_flow, retrain_flow


def deployments(settings: Settings) -> list[Any]:
    """retrain on MEMFEED_RETRAIN_CRON, embed-items every MEMFEED_EMBED_INTERVAL_SECONDS, purge nightly."""
    return [
        retrain_flow.to_deployment(
            name="retrain", cron=settings.retrain_cron, parameters={"promote": "auto"}
        ),
        embed_items_flow.to_deployment(name="embed-items", interval=settings.embed_interval_seconds),
        purge_flow.to_deployment(name="purge", cron="30 4 * * *"),
    ]


def serve_pipelines(settings: Settings) -> None:
    serve(*deployments(settings))
