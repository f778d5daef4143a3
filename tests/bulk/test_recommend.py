"""`memfeed recommend` as a data scientist runs it (`memfeed eval`: tests/training/test_eval_cli.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from memfeed.demo.data import DemoDataset
from tests.conftest import TrainedDemo, memfeed_env
from tests.feed.histories import heavy_catalog, heavy_events, send_in_batches, untouched_items

runner = CliRunner()


def test_recommend_equals_the_feed_endpoint(
    api_factory,
    trained_demo: TrainedDemo,
    demo_data: DemoDataset,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    api = api_factory("sqlite", trained=trained_demo)
    users = [u.user_id for u in demo_data.users[:12]] + ["someone-new"]
    users_file = tmp_path / "users.txt"
    users_file.write_text("user_id\n" + "\n".join(users) + "\n")
    out = tmp_path / "recs.csv"
    with memfeed_env(api.settings):
        result = runner.invoke(app, ["recommend", "--users", str(users_file), "--k", "10", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    batch: dict[str, list[str]] = {}
    for row in rows:
        batch.setdefault(row["user_id"], []).append(row["item_id"])
        assert int(row["rank"]) == len(batch[row["user_id"]])
    for user in users:
        served = [i["item_id"] for i in api.feed(user, limit=10)["items"]]
        assert batch[user] == served, user


def test_recommend_never_returns_an_item_the_user_interacted_with(
    api_factory,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    api = api_factory("sqlite")
    api.put_items(heavy_catalog())
    send_in_batches(api, heavy_events("collector"))
    users_file = tmp_path / "users.txt"
    users_file.write_text("user_id\ncollector\n")
    out = tmp_path / "recs.csv"
    with memfeed_env(api.settings):
        result = runner.invoke(
            app, ["recommend", "--users", str(users_file), "--k", "100", "--out", str(out)]
        )
    assert result.exit_code == 0, result.output
    recommended = [row["item_id"] for row in csv.DictReader(out.open()) if row["user_id"] == "collector"]
    assert sorted(recommended) == sorted(untouched_items())
