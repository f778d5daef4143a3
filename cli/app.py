"""The `memfeed` command line. Commands that print a secret print it alone on the last line."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from cli.models import models_app
from memfeed.platform.settings import Settings, get_settings

app = typer.Typer(help="memfeed: personalized feeds and LLM memory for mobile apps.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
pipelines_app = typer.Typer(help="Prefect flows and schedules.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(models_app, name="models")
app.add_typer(pipelines_app, name="pipelines")


def _migrate(settings: Settings) -> None:
    from memfeed.platform.storage.db import create_database
    from memfeed.platform.storage.migrate import upgrade

    database = create_database(settings.resolved_database_url)
    try:
        upgrade(database)
    finally:
        database.dispose()


def _serve(settings: Settings, host: str, port: int, workers: int) -> None:
    from memfeed.platform.threads import apply_serving_threads

    apply_serving_threads(settings)  # before uvicorn imports the app (and with it numpy, FAISS, torch)
    import uvicorn

    _migrate(settings)
    if workers > 1:
        uvicorn.run(
            "api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
        )
    else:
        from api.app import create_app

        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default MEMFEED_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default MEMFEED_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Apply migrations and run the API."""
    settings = get_settings()
    _serve(settings, host or settings.host, port or settings.port, workers)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (safe to repeat)."""
    settings = get_settings()
    _migrate(settings)
    typer.echo(f"database at head: {settings.resolved_database_url}")


@keys_app.command("create")
def keys_create(
    scope: Annotated[str, typer.Option(help="admin or app")],
    name: Annotated[str, typer.Option(help="a label for operators")] = "",
) -> None:
    """Create an API key and print it once, alone on the last line."""
    from memfeed.platform.auth import create_api_key
    from memfeed.platform.errors import InvalidInput
    from memfeed.platform.storage.db import create_database

    settings = get_settings()
    _migrate(settings)
    database = create_database(settings.resolved_database_url)
    try:
        key_id, key = create_api_key(database, scope, name)
    except InvalidInput as exc:
        raise typer.BadParameter(exc.message, param_hint="--scope") from exc
    finally:
        database.dispose()
    typer.echo(f"created {scope} key {key_id} (store it now: it cannot be shown again)")
    typer.echo(key)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (ids, scopes, names, revocation), never secrets."""
    from memfeed.platform.auth import list_api_keys
    from memfeed.platform.storage.db import create_database

    settings = get_settings()
    database = create_database(settings.resolved_database_url)
    try:
        for key in list_api_keys(database):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            typer.echo(f"{key.key_id}\t{key.scope}\t{state}\t{key.name}")
    finally:
        database.dispose()


@keys_app.command("rotate")
def keys_rotate(
    key_id: str,
    revoke_old: Annotated[
        bool, typer.Option(help="revoke the old key at once (default: after clients switch)")
    ] = False,
) -> None:
    """Issue a replacement for a key (same scope and name); prints the new key once, alone on the last line."""
    from memfeed.platform.auth import rotate_api_key
    from memfeed.platform.storage.db import create_database

    settings = get_settings()
    database = create_database(settings.resolved_database_url)
    try:
        rotated = rotate_api_key(database, key_id, revoke_old=revoke_old)
    finally:
        database.dispose()
    if rotated is None:
        typer.echo(f"no active key {key_id}", err=True)
        raise typer.Exit(1)
    old_state = "revoked" if revoke_old else f"still valid until `memfeed keys revoke {key_id}`"
    typer.echo(f"created key {rotated[0]} replacing {key_id} ({old_state})")
    typer.echo(rotated[1])


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key; running servers stop accepting it within MEMFEED_API_KEY_CACHE_SECONDS."""
    from memfeed.platform.auth import revoke_api_key
    from memfeed.platform.storage.db import create_database

    settings = get_settings()
    database = create_database(settings.resolved_database_url)
    try:
        if not revoke_api_key(database, key_id):
            typer.echo(f"no active key {key_id}", err=True)
            raise typer.Exit(1)
    finally:
        database.dispose()
    typer.echo(f"revoked {key_id}")


@app.command()
def token(
    user: Annotated[str, typer.Option(help="the end user's id (the token's sub)")],
    ttl: Annotated[int | None, typer.Option(min=1, help="lifetime in seconds")] = None,
) -> None:
    """Print an end-user JWT signed with the configured secret, alone on the last line (development)."""
    from memfeed.platform.auth import issue_token
    from memfeed.platform.signing import jwt_secret

    settings = get_settings()
    if settings.jwt_public_key:
        typer.echo(
            "tokens are verified with MEMFEED_JWT_PUBLIC_KEY: issue them with the app's own auth", err=True
        )
        raise typer.Exit(1)
    typer.echo(
        issue_token(
            jwt_secret(settings),
            user,
            ttl or settings.token_ttl_seconds,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        )
    )


@app.command()
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
    _migrate(settings)
    runtime = build_runtime(settings)
    try:
        # The simulated weeks end at today's midnight (UTC): re-seeding the same day adds nothing.
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        summary = seed_demo(
            runtime.catalog,
            runtime.events,
            runtime.feeds,
            runtime.upsert_user,
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
        _prefect_defaults()
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
        _serve(settings, host, port, 1)


@app.command("import")
def import_(
    events: Annotated[
        Path,
        typer.Option(help="events, .csv or .parquet: user_id,item_id,timestamp[,type][,value][,event_id]"),
    ],
    items: Annotated[
        Path | None,
        typer.Option(
            help="items, imported first, .csv or .parquet: "
            "item_id,title[,text][,tags][,category][,published_at][,available]"
        ),
    ] = None,
) -> None:
    """Import items, then events, through the API's validation; bad rows are listed by line, good ones kept."""
    from memfeed.bulk.importer import import_events, import_items
    from memfeed.platform.errors import InvalidInput
    from memfeed.runtime import build_runtime

    settings = get_settings()
    _migrate(settings)
    runtime = build_runtime(settings)
    try:
        if items is not None:
            report = import_items(runtime.catalog, items)
            typer.echo(
                f"items: {report.rows} rows, {report.accepted} upserted, {len(report.rejected)} rejected "
                f"({report.seconds:.1f} s, {report.rate():.0f} rows/s)"
            )
            for line in report.details():
                typer.echo(line)
        report = import_events(runtime.events, events)
        typer.echo(
            f"events: {report.rows} rows, {report.accepted} accepted, {report.duplicates} duplicates, "
            f"{len(report.rejected)} rejected ({report.seconds:.1f} s, {report.rate():.0f} rows/s)"
        )
        for line in report.details():
            typer.echo(line)
    except (InvalidInput, OSError) as exc:
        typer.echo(f"import failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    finally:
        runtime.close()


@app.command("eval")
def eval_(
    k: Annotated[int, typer.Option(min=1, max=100, help="list length K")] = 10,
    out: Annotated[
        Path | None, typer.Option(help="write JSON here (and the markdown beside it, .md)")
    ] = None,
) -> None:
    """Temporal hold-out evaluation of memfeed against baselines, side by side, in one run."""
    import json

    from memfeed.catalog.embedding import load_embedder
    from memfeed.platform.storage.db import create_database
    from memfeed.training.reports import run_eval
    from memfeed.training.retrain import load_training_data

    settings = get_settings()
    _migrate(settings)
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    database = create_database(settings.resolved_database_url)
    try:
        data = load_training_data(database, embedder.embedder_id, embedder.dim)
    finally:
        database.dispose()
    if not data.events:
        typer.echo("no events to evaluate: import or send some first", err=True)
        raise typer.Exit(1)
    report = run_eval(data, settings, k)
    markdown = report.markdown()
    typer.echo(markdown)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report.to_dict(), indent=2))
        out.with_suffix(".md").write_text(markdown + "\n")
        typer.echo(f"wrote {out} and {out.with_suffix('.md')}")


@app.command()
def recommend(
    users: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="one user_id per line")],
    out: Annotated[Path, typer.Option(help="CSV user_id,rank,item_id,score")],
    k: Annotated[int, typer.Option(min=1, max=100)] = 10,
) -> None:
    """Batch recommendations through the same code path as the feed."""
    from memfeed.bulk.recommend import read_user_ids, write_csv
    from memfeed.bulk.recommend import recommend as recommend_batch
    from memfeed.runtime import build_runtime

    settings = get_settings()
    _migrate(settings)
    runtime = build_runtime(settings)
    try:
        count = write_csv(recommend_batch(runtime.feeds, read_user_ids(users), k), out)
    finally:
        runtime.close()
    typer.echo(f"wrote {count} users to {out} (model {runtime.feeds.model_version})")


def _prefect_defaults() -> None:
    """No telemetry (there is no network) and quiet ephemeral servers; explicit settings still win."""
    import os

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


@app.command()
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
    _migrate(settings)
    _prefect_defaults()
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
    _migrate(settings)
    _prefect_defaults()
    from pipelines.deployments import serve_pipelines

    serve_pipelines(settings)


if __name__ == "__main__":
    app()
