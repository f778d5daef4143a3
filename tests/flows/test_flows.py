"""The Prefect flows under a test harness: incremental embedding, retrain, manifests, the gate, purge."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.schema import ItemVector
from memfeed.registry.versions import ModelRegistry
from tests.conftest import TrainedDemo, copy_trained, make_settings, memfeed_env, migrated, topic_items

MANIFEST_FIELDS = {
    "version",
    "created_at",
    "code",
    "data",
    "parameters",
    "metrics",
    "embedder",
    "files",
    "decision",
}


def test_embed_items_is_incremental(tmp_path: Path, api_factory, prefect_harness: None) -> None:  # type: ignore[no-untyped-def]
    from pipelines.flows import embed_items_flow

    api = api_factory("sqlite")
    api.put_items(topic_items())
    with open_database(api.settings) as database:
        with database.session() as session:
            session.execute(
                ItemVector.__table__.delete().where(ItemVector.item_id.in_(["space-00", "space-01"]))
            )
        with memfeed_env(api.settings):
            assert embed_items_flow() == 2
            assert embed_items_flow() == 0
            with database.session() as session:
                before = session.get(ItemVector, "cooking-04").updated_at  # type: ignore[union-attr]
            # The API re-embeds on write; an out-of-band text change (e.g. a bulk SQL import) leaves a stale hash:
            with database.session() as session:
                session.execute(
                    ItemVector.__table__.update()
                    .where(ItemVector.item_id == "cooking-05")
                    .values(content_hash="stale")
                )
            assert embed_items_flow() == 1
            with database.session() as session:
                assert session.get(ItemVector, "cooking-04").updated_at == before  # type: ignore[union-attr]
                hashes = dict(session.execute(select(ItemVector.item_id, ItemVector.content_hash)).all())
            assert hashes["cooking-05"] != "stale"


def test_retrain_writes_a_complete_verified_manifest(trained_demo: TrainedDemo) -> None:
    registry = ModelRegistry(trained_demo.directory / "models")
    manifest = registry.verify(trained_demo.champion)
    on_disk = json.loads((manifest.path / "manifest.json").read_text())
    assert set(on_disk) >= MANIFEST_FIELDS
    assert on_disk["data"]["events"] > 10_000 and on_disk["data"]["last_event_at"]
    assert on_disk["code"]["package_version"]
    assert {"factors/item_factors.npy", "model.json"} <= set(on_disk["files"])
    assert all(len(f["sha256"]) == 64 for f in on_disk["files"].values())
    assert on_disk["parameters"]["factors"] > 0 and on_disk["embedder"].startswith("all-MiniLM-L6-v2")
    for name in ("memfeed", "content_only", "most_popular"):
        assert {"recall@10", "ndcg@10", "coverage"} <= set(on_disk["metrics"][name])
    assert registry.champion() == trained_demo.champion


def test_trained_hybrid_beats_content_only_and_popularity_on_demo_holdout(trained_demo: TrainedDemo) -> None:
    metrics = trained_demo.reports[0]["metrics"]
    hybrid = metrics["memfeed"]["ndcg@10"]
    assert hybrid > metrics["content_only"]["ndcg@10"]
    assert hybrid > metrics["most_popular"]["ndcg@10"]


def test_challenger_is_recorded_but_not_promoted_with_never(trained_demo: TrainedDemo) -> None:
    registry = ModelRegistry(trained_demo.directory / "models")
    challenger = registry.get(trained_demo.challenger)
    assert challenger.decision["promoted"] is False
    assert "champion" in challenger.metrics  # evaluated against the champion on the same hold-out
    assert registry.champion() == trained_demo.champion


def test_gate_refuses_a_deliberately_worse_challenger(tmp_path: Path, trained_demo: TrainedDemo) -> None:
    from pipelines.flows import retrain_flow

    directory = copy_trained(trained_demo, tmp_path / "gate")
    worse = migrated(
        make_settings(
            directory,
            f"sqlite:///{directory / 'memfeed.db'}",
            als_factors=2,
            als_iterations=1,
            cf_weight=0.95,
        )
    )
    with memfeed_env(worse):
        report = retrain_flow(promote="auto")
    assert report["promoted"] is False, report["reason"]
    assert report["metrics"]["memfeed"]["ndcg@10"] < report["metrics"]["champion"]["ndcg@10"]
    registry = ModelRegistry(directory / "models")
    assert registry.champion() == trained_demo.champion
    assert registry.get(report["version"]).decision["promoted"] is False


def test_purge_keeps_champion_and_newest(tmp_path: Path, trained_demo: TrainedDemo) -> None:
    from pipelines.flows import purge_flow

    directory = copy_trained(trained_demo, tmp_path / "purge")
    settings = make_settings(directory, f"sqlite:///{directory / 'memfeed.db'}")
    with memfeed_env(settings):
        removed = purge_flow(keep=0)
    registry = ModelRegistry(directory / "models")
    assert trained_demo.challenger in removed
    assert [m.version for m in registry.versions()] == [trained_demo.champion]


def test_retrain_with_unchanged_configuration_is_promoted(tmp_path: Path, trained_demo: TrainedDemo) -> None:
    """Both configurations are fitted on the same split, so they tie and the fresher model wins."""
    from pipelines.flows import retrain_flow

    directory = copy_trained(trained_demo, tmp_path / "same")
    with memfeed_env(make_settings(directory, f"sqlite:///{directory / 'memfeed.db'}")):
        report = retrain_flow(promote="auto")
    assert report["metrics"]["memfeed"]["ndcg@10"] == report["metrics"]["champion"]["ndcg@10"]
    assert report["promoted"] is True, report["reason"]
    assert ModelRegistry(directory / "models").champion() == report["version"]
