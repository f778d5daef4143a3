"""`memfeed demo`: the generated catalog and users, seeded through the real services, trained and served."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from cli.serving import migrate, run_server
from cli.training import prefect_defaults
from memfeed.platform.settings import get_settings


def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="serve the API after seeding")
    ] = True,
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    train: Annotated[
        bool, typer.Option("--train/--no-train", help="run the retrain flow after seeding")
    ] = True,
    items: Annotated[int, typer.Option(min=100, help="catalog size")] = 1200,
    users: Annotated[int, typer.Option(min=10, help="simulated users")] = 200,
) -> None:
    """Seed the generated demo catalog and users, train a model, print keys, a token and curls, then serve."""
    from datetime import UTC, datetime

    from memfeed.demo.data import generate_demo
    from memfeed.demo.seed import seed_demo
    from memfeed.platform.auth import create_api_key, issue_token
    from memfeed.platform.logs import configure_logging
    from memfeed.platform.signing import jwt_secret
    from memfeed.runtime import build_runtime

    settings = get_settings()
    configure_logging(settings)
    logging.getLogger("memfeed").info("seeding demo data into %s", settings.resolved_database_url)
    migrate(settings)
    runtime = build_runtime(settings)
    try:
        # The simulated weeks end at today's midnight (UTC): re-seeding the same day adds nothing.
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        summary = seed_demo(
            runtime.catalog,
            runtime.events,
            runtime.feeds,
            runtime.users.upsert,
            generate_demo(n_items=items, n_users=users, now=today),
        )
        _, admin_key = create_api_key(runtime.database, "admin", "demo admin")
        _, app_key = create_api_key(runtime.database, "app", "demo app")
        user_token = issue_token(
            jwt_secret(settings),
            summary.busiest_user,
            86_400,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )
    finally:
        runtime.close()
    if train:
        prefect_defaults()
        from pipelines.flows import retrain_flow

        report = retrain_flow(promote="auto")
        metrics = report["metrics"]
        typer.echo(
            f"trained model {report['version']} ({report['reason']}): NDCG@10 "
            + ", ".join(f"{name} {m['ndcg@10']:.4f}" for name, m in metrics.items())
        )
    host = host or settings.host
    port = port or settings.port
    base = f"http://{host}:{port}"
    user = summary.busiest_user
    typer.echo(
        f"seeded {summary.items} items, {summary.users} users, {summary.accepted} new events "
        f"({summary.duplicates} already stored)\n"
        f"\nadmin key: {admin_key}\napp key:   {app_key}\nuser token ({user}, 24 h): {user_token}\n"
        f"\ntry:\n"
        f"  curl -s {base}/v1/users/{user}/feed?limit=5 -H 'X-API-Key: {app_key}' "
        f"-H 'Authorization: Bearer {user_token}'\n"
        f"  curl -s {base}/v1/items/{summary.sample_items[0]}/similar?limit=5 -H 'X-API-Key: {admin_key}'\n"
        f"  curl -s -X POST {base}/v1/events -H 'X-API-Key: {app_key}' -H 'Authorization: Bearer {user_token}' "
        f'-H \'Content-Type: application/json\' -d \'{{"events": [{{"event_id": "try-1", "user_id": "{user}", '
        f'"item_id": "{summary.sample_items[1]}", "type": "like"}}]}}\'\n'
    )
    if serve_after:
        typer.echo(f"serving on {base} (Ctrl-C to stop); OpenAPI at {base}/docs")
        run_server(settings, host, port, 1)
