"""Shared fixtures: real databases (a SQLite file; PostgreSQL when MEMFEED_TEST_POSTGRES_URL is set), the real
embedding model (loaded once per test process), and a client for the real app with real keys and tokens.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.app import create_app
from memfeed.catalog.embedding import Embedder, load_embedder
from memfeed.platform.auth import create_api_key, issue_token
from memfeed.platform.settings import Settings
from memfeed.platform.signing import jwt_secret
from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.migrate import upgrade
from memfeed.runtime import build_runtime

if TYPE_CHECKING:
    from memfeed.demo.data import DemoDataset

POSTGRES_URL = os.environ.get("MEMFEED_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MEMFEED_TEST_REDIS_URL")
"""When set, every app on PostgreSQL also keeps its rate limits and response cache in Redis: the production
pairing. SQLite apps keep the in-process defaults, so both paths run on every test of the `api` fixture."""
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


def reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def database_url_for(backend: str, directory: Path) -> str:
    if backend == "postgresql":
        assert POSTGRES_URL
        reset_postgres(POSTGRES_URL)
        return POSTGRES_URL
    return f"sqlite:///{(directory / 'memfeed.db').as_posix()}"


def make_settings(directory: Path, url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "var_dir": directory,
        "database_url": url,
        "models_dir": directory / "models",
        "jwt_secret": "test-secret-" + "x" * 32,
        "catalog_refresh_seconds": 0.5,
        "popularity_refresh_seconds": 0.0,
        # the limiter runs in every test, with budgets the suite's many requests on one key never reach
        # (tests/api/test_rate_limits.py sets small ones)
        **{
            name: 1_000_000
            for name in Settings.model_fields
            if name.startswith("rate_limit_") and name.endswith(("_per_minute", "_burst"))
        },
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def migrated(settings: Settings) -> Settings:
    with open_database(settings) as database:
        upgrade(database)
    return settings


@dataclass
class Api:
    """The real app over HTTP, with an admin key, an app key and a token factory."""

    client: TestClient
    settings: Settings
    admin_key: str
    app_key: str

    @property
    def admin(self) -> dict[str, str]:
        return {"X-API-Key": self.admin_key}

    def token(self, user_id: str, ttl: int = 600) -> str:
        return issue_token(jwt_secret(self.settings), user_id, ttl)

    def as_user(self, user_id: str) -> dict[str, str]:
        return {"X-API-Key": self.app_key, "Authorization": f"Bearer {self.token(user_id)}"}

    def put_items(self, items: list[dict[str, Any]]) -> None:
        for start in range(0, len(items), 1000):
            r = self.client.post("/v1/items", json={"items": items[start : start + 1000]}, headers=self.admin)
            assert r.status_code == 200 and not r.json()["errors"], r.text

    def send(self, events: list[dict[str, Any]]) -> dict[str, Any]:
        r = self.client.post("/v1/events", json={"events": events}, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()

    def feed(self, user_id: str, **params: Any) -> dict[str, Any]:
        r = self.client.get(f"/v1/users/{user_id}/feed", params=params, headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def api_factory(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[..., Api]]:
    """Builds a running app over a fresh database of the given backend."""
    clients: list[TestClient] = []

    def build(
        backend: str = "sqlite",
        *,
        database_file: Path | None = None,
        trained: TrainedDemo | None = None,
        **overrides: Any,
    ) -> Api:
        directory = tmp_path / f"{backend}-{len(clients)}"
        directory.mkdir()
        if trained is not None:
            copy_trained(trained, directory)
        elif database_file is not None:
            shutil.copyfile(database_file, directory / "memfeed.db")
        if backend == "postgresql" and REDIS_URL and "redis_url" not in overrides:
            isolation = uuid.uuid4().hex  # one app's buckets and pages never meet another test's
            overrides = {
                "redis_url": REDIS_URL,
                "rate_limit_redis_prefix": f"test:{isolation}:limits",
                "cache_redis_prefix": f"test:{isolation}:cache:",
                **overrides,
            }
        settings = migrated(make_settings(directory, database_url_for(backend, directory), **overrides))
        with open_database(settings) as database:
            _, admin_key = create_api_key(database, "admin", "tests")
            _, app_key = create_api_key(database, "app", "tests")
        client = TestClient(create_app(settings, embedder=embedder))
        client.__enter__()
        clients.append(client)
        return Api(client, settings, admin_key, app_key)

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> tuple[Path, DemoDataset]:
    """The generated demo data seeded once into a SQLite file through the real code; tests copy the file."""
    from memfeed.demo.data import generate_demo
    from memfeed.demo.seed import seed_demo

    directory = tmp_path_factory.mktemp("demo-template")
    settings = migrated(make_settings(directory, database_url_for("sqlite", directory)))
    runtime = build_runtime(settings, embedder=embedder)
    # The generator places events at hours of the day, so "now" is today's midnight (UTC): the same data,
    # shifted by whole days, whatever the time the suite runs (and never in the future).
    dataset = generate_demo(now=datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0))
    seed_demo(runtime.catalog, runtime.events, runtime.feeds, runtime.users.upsert, dataset)
    runtime.close()
    return directory / "memfeed.db", dataset


@pytest.fixture
def demo_api(api_factory: Callable[..., Api], demo_template: tuple[Path, DemoDataset]) -> Api:
    """The app over a fresh copy of the seeded demo database."""
    return api_factory("sqlite", database_file=demo_template[0])


@pytest.fixture
def demo_data(demo_template: tuple[Path, DemoDataset]) -> DemoDataset:
    return demo_template[1]


@pytest.fixture(params=BACKENDS)
def api(request: pytest.FixtureRequest, api_factory: Callable[..., Api]) -> Api:
    """The app over each configured database backend."""
    return api_factory(request.param)


TOPIC_TITLES: dict[str, list[str]] = {
    "space": [
        "NASA's Artemis crew prepares for the lunar flyby",
        "A new exoplanet found in its star's habitable zone",
        "How reusable rockets land themselves on a barge",
        "The James Webb telescope photographs an ancient galaxy",
        "Astronauts test a new spacesuit on the space station",
        "Why Mars once had rivers and lakes",
        "A solar flare lights up auroras across Europe",
        "The race to mine asteroids for water",
        "Saturn's moon Enceladus sprays ocean water into space",
        "Inside mission control during a satellite launch",
        "A comet visible to the naked eye this month",
        "Black holes merging detected by gravitational waves",
    ],
    "cooking": [
        "A weeknight pasta with garlic, lemon and chilli",
        "How to keep a sourdough starter alive",
        "The secret to crisp roast potatoes",
        "Braised short ribs for a slow Sunday dinner",
        "Five easy curries from one spice blend",
        "Knife skills every home cook should learn",
        "A foolproof recipe for French omelettes",
        "Baking flaky croissants at home",
        "Fermenting kimchi in your kitchen",
        "One-pan chicken thighs with roasted vegetables",
        "Homemade ramen broth, step by step",
        "Perfect chocolate chip cookies every time",
    ],
    "football": [
        "The striker who scored a hat-trick in the derby",
        "Tactics: why the high press wins the league",
        "A goalkeeper's penalty save sends the team to the final",
        "The transfer window's biggest signings",
        "Champions League quarter-final preview",
        "How a small club climbed three divisions",
        "The manager sacked after a run of defeats",
        "World Cup qualifiers: the group of death",
        "Youth academies that produce the best midfielders",
        "VAR controversy in Saturday's match",
        "The greatest comeback in cup final history",
        "Football fans protest ticket prices",
    ],
}


def topic_items(published_at: str = "2026-01-01T00:00:00Z") -> list[dict[str, Any]]:
    """A small catalog of three clearly separated topics, 12 items each."""
    return [
        {"item_id": f"{topic}-{n:02d}", "title": title, "category": topic, "published_at": published_at}
        for topic, titles in TOPIC_TITLES.items()
        for n, title in enumerate(titles)
    ]


@dataclass
class TrainedDemo:
    """A seeded demo database and a models folder holding two real versions (champion first, then a challenger)."""

    directory: Path
    champion: str
    challenger: str
    reports: list[dict[str, Any]]


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness

    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    with prefect_test_harness(server_startup_timeout=120):
        yield


@contextmanager
def memfeed_env(settings: Settings) -> Iterator[None]:
    """Point `get_settings()` (what flows and the CLI read) at these settings for the duration."""
    from memfeed.platform.settings import get_settings
    from memfeed.training.launch import settings_env

    patch = pytest.MonkeyPatch()
    for name, value in settings_env(settings).items():
        patch.setenv(name, value)
    get_settings.cache_clear()
    try:
        yield
    finally:
        patch.undo()
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def trained_demo(
    tmp_path_factory: pytest.TempPathFactory, demo_template: tuple[Path, DemoDataset], prefect_harness: None
) -> TrainedDemo:
    from pipelines.flows import retrain_flow

    directory = tmp_path_factory.mktemp("trained-demo")
    shutil.copyfile(demo_template[0], directory / "memfeed.db")
    settings = migrated(make_settings(directory, database_url_for("sqlite", directory)))
    with memfeed_env(settings):
        first = retrain_flow(promote="auto")
        second = retrain_flow(promote="never")
    return TrainedDemo(directory, first["version"], second["version"], [first, second])


def copy_trained(trained: TrainedDemo, target: Path) -> Path:
    """A private copy of the trained demo (database and models) for a test that changes things."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trained.directory / "memfeed.db", target / "memfeed.db")
    shutil.copytree(trained.directory / "models", target / "models", symlinks=False)
    return target


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory whose settings (read by the CLI through `get_settings`) point inside tmp_path."""
    from memfeed.platform.settings import get_settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEMFEED_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("MEMFEED_JWT_SECRET", "cli-secret-" + "z" * 32)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()
