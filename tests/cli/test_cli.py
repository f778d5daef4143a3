"""The command line as operators use it: db upgrade, keys, tokens, and the demo seeding."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.app import app
from memfeed.catalog.embedding import Embedder
from memfeed.platform.settings import get_settings

runner = CliRunner()


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


def test_db_upgrade_is_repeatable(cli_env: Path) -> None:
    for _ in range(2):
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    assert (cli_env / "var" / "memfeed.db").exists()


def test_created_key_and_token_open_the_api(cli_env: Path, embedder: Embedder) -> None:
    created = runner.invoke(app, ["keys", "create", "--scope", "app", "--name", "ios"])
    assert created.exit_code == 0, created.output
    key = last_line(created.output)
    issued = runner.invoke(app, ["token", "--user", "alice", "--ttl", "120"])
    assert issued.exit_code == 0, issued.output
    token = last_line(issued.output)
    claims = jwt.decode(token, get_settings().jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == "alice" and claims["exp"] - claims["iat"] == 120
    with TestClient(create_app(get_settings(), embedder=embedder)) as client:
        headers = {"X-API-Key": key, "Authorization": f"Bearer {token}"}
        assert client.get("/v1/users/alice/feed", headers=headers).status_code == 200
        assert client.get("/v1/users/bob/feed", headers=headers).status_code == 403
    listed = runner.invoke(app, ["keys", "list"])
    assert "ios" in listed.output and key not in listed.output
    key_id = key.split("_")[1]
    rotated = runner.invoke(app, ["keys", "rotate", key_id])
    assert rotated.exit_code == 0, rotated.output
    new_key = last_line(rotated.output)
    assert new_key != key and new_key.split("_")[1] != key_id
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", key_id]).exit_code == 1
    assert runner.invoke(app, ["keys", "rotate", key_id]).exit_code == 1
    with TestClient(create_app(get_settings(), embedder=embedder)) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert client.get("/v1/users/alice/feed", headers={**headers, "X-API-Key": key}).status_code == 401
        assert (
            client.get("/v1/users/alice/feed", headers={**headers, "X-API-Key": new_key}).status_code == 200
        )
    listed = runner.invoke(app, ["keys", "list"]).output
    assert sum("\tapp\t" in line and "ios" in line for line in listed.splitlines()) == 2


def test_bad_scope_is_refused(cli_env: Path) -> None:
    result = runner.invoke(app, ["keys", "create", "--scope", "root"])
    assert result.exit_code != 0


def test_demo_seeds_trains_and_prints_working_credentials(
    cli_env: Path, embedder: Embedder, prefect_harness: None
) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--items", "300", "--users", "40"])
    assert result.exit_code == 0, result.output
    assert "trained model" in result.output
    lines = result.output.splitlines()
    admin_key = next(line.split(": ", 1)[1].strip() for line in lines if line.startswith("admin key:"))
    app_key = next(line.split(": ", 1)[1].strip() for line in lines if line.startswith("app key:"))
    token_line = next(line for line in lines if line.startswith("user token"))
    user = token_line.split("(")[1].split(",")[0]
    token = token_line.split(": ", 1)[1]
    assert sum("curl -s" in line for line in lines) == 3
    with TestClient(create_app(get_settings(), embedder=embedder)) as client:
        feed = client.get(
            f"/v1/users/{user}/feed", headers={"X-API-Key": app_key, "Authorization": f"Bearer {token}"}
        )
        assert feed.status_code == 200 and len(feed.json()["items"]) == 20
        assert any(i["reason"].startswith("because you") for i in feed.json()["items"])
        items = client.get("/v1/items/does-not-exist", headers={"X-API-Key": admin_key})
        assert items.status_code == 404
    again = runner.invoke(app, ["demo", "--no-serve", "--no-train", "--items", "300", "--users", "40"])
    assert again.exit_code == 0 and " 0 new events" in again.output


def summary(output: str) -> dict:
    """The one-line JSON summary `memfeed retrain` prints (log lines may come before it)."""
    return json.loads(next(line for line in output.splitlines() if line.startswith('{"version"')))


def test_retrain_and_models_commands(cli_env: Path, embedder: Embedder, prefect_harness: None) -> None:
    assert (
        runner.invoke(app, ["demo", "--no-serve", "--no-train", "--items", "300", "--users", "40"]).exit_code
        == 0
    )
    first = runner.invoke(app, ["retrain", "--promote", "always"])
    assert first.exit_code == 0, first.output
    v1 = summary(first.output)["version"]
    second = runner.invoke(app, ["retrain", "--promote", "always"])
    v2 = summary(second.output)["version"]
    listed = runner.invoke(app, ["models", "list"])
    assert v1 in listed.output and v2 in listed.output
    assert "champion" in next(line for line in listed.output.splitlines() if v2 in line)
    rolled = runner.invoke(app, ["models", "rollback"])
    assert rolled.exit_code == 0 and v1 in rolled.output
    assert runner.invoke(app, ["models", "promote", "no-such-version"]).exit_code == 1
    assert runner.invoke(app, ["retrain", "--promote", "sometimes"]).exit_code != 0


def test_pipelines_are_scheduled_from_settings(cli_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.deployments import deployments

    monkeypatch.setenv("MEMFEED_RETRAIN_CRON", "15 2 * * 1")
    get_settings.cache_clear()
    by_name = {d.name: d for d in deployments(get_settings())}
    assert set(by_name) == {"retrain", "embed-items", "purge"}
    assert by_name["retrain"].schedules[0].schedule.cron == "15 2 * * 1"
    assert by_name["embed-items"].schedules[0].schedule.interval.total_seconds() == 600
