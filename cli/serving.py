"""`memfeed serve` and `memfeed db upgrade`: the API process and its schema."""

from __future__ import annotations

from typing import Annotated

import typer

from memfeed.platform.settings import Settings, get_settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def migrate(settings: Settings) -> None:
    """Bring the schema to head; every command that opens the database runs it first (a no-op when current)."""
    from memfeed.platform.storage.db import open_database
    from memfeed.platform.storage.migrate import upgrade

    with open_database(settings) as database:
        upgrade(database)


def run_server(settings: Settings, host: str, port: int, workers: int) -> None:
    from memfeed.platform.threads import apply_serving_threads

    apply_serving_threads(settings)  # before uvicorn imports the app (and with it numpy, FAISS, torch)
    import uvicorn

    migrate(settings)
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


def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default MEMFEED_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default MEMFEED_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
) -> None:
    """Apply migrations and run the API."""
    settings = get_settings()
    run_server(settings, host or settings.host, port or settings.port, workers)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply database migrations (safe to repeat)."""
    settings = get_settings()
    migrate(settings)
    typer.echo(f"database at head: {settings.resolved_database_url}")
