"""Schema migrations (Alembic), applied by `memfeed db upgrade`, `serve` and `demo`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from memfeed.platform.storage.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe to call on every start (a no-op when current)."""
    with database.engine.begin() as connection:
        config = alembic_config(str(database.engine.url))
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
