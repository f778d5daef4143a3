"""`memfeed eval` as a data scientist runs it: on the demo database, every protocol and every baseline, with
intervals, as markdown on the terminal and JSON + markdown files."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.app import app
from tests.conftest import memfeed_env

runner = CliRunner()


def test_eval_reports_memfeed_beside_every_baseline_under_every_protocol(
    api_factory,
    demo_template,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    api = api_factory("sqlite", database_file=demo_template[0])
    out = tmp_path / "eval.json"
    args = ["eval", "--max-users", "60", "--resamples", "200", "--ease-lambda", "100", "--ease-lambda", "500"]
    with memfeed_env(api.settings):
        result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["ease"]["lambda"] in (100.0, 500.0) and set(report["ease"]["validation_ndcg"]) == {
        "100.0",
        "500.0",
    }
    assert set(report["protocols"]) == {"temporal", "last_one", "new_items"}
    for name, protocol in report["protocols"].items():
        assert protocol["users"] == 60 and protocol["sampled_from"] > 60, name
        assert set(protocol["models"]) == {
            "memfeed",
            "most_popular",
            "item_knn",
            "als",
            "ease",
            "content_only",
        }
        for metrics in protocol["models"].values():
            assert {"ndcg@10", "hit_rate@10", "recall@10"} <= set(metrics)
            for value in metrics.values():
                assert 0.0 <= value["low"] <= value["mean"] <= value["high"] <= 1.0
    new = report["protocols"]["new_items"]
    assert new["new_items"] == 180  # 15% of the demo's 1,200 items
    assert new["new"]["users"] + new["warm"]["users"] == 60
    markdown = out.with_suffix(".md").read_text()
    assert markdown in result.output
    for heading in ("Per-user temporal", "Leave-last-one", "New items"):
        assert heading in markdown
    assert (
        "| **memfeed** (served ranking) |" in markdown and "memfeed NDCG@10 / baseline (paired)" in markdown
    )


def test_eval_refuses_an_unknown_protocol(cli_env: Path) -> None:
    result = runner.invoke(app, ["eval", "--protocol", "global"])
    assert result.exit_code == 2 and "unknown: global" in result.output
