"""The model registry on real files: manifests and checksums, champion pointer with rollback history, purge,
the code version recorded in manifests, and the `models` CLI."""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import memfeed
from cli.models import models_app
from memfeed.platform.settings import get_settings
from memfeed.registry.codeversion import code_version
from memfeed.registry.manifest import Manifest, ModelCorrupt
from memfeed.registry.service import ModelService
from memfeed.registry.versions import ModelRegistry, NoPreviousChampion, VersionNotFound

VERSION_ID = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]{6}")
runner = CliRunner()


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "models")


def make_version(registry: ModelRegistry, vectors: bytes = b"vectors-1", **metrics: Any) -> Manifest:
    """A version with a top-level file and a nested folder, like the real vectors + FAISS index layout."""
    with registry.begin() as writer:
        (writer.path / "item_vectors.npy").write_bytes(vectors)
        (writer.path / "index").mkdir()
        (writer.path / "index" / "checksums.json").write_text('{"files": {}}')
        return writer.commit(
            parameters={"dim": 8, "half_life_days": 14.0},
            metrics=metrics or {"ndcg@10": 0.31, "recall@10": 0.42, "baseline_popular": {"ndcg@10": 0.2}},
            data={"last_event_at": "2026-01-01T00:00:00Z", "events": 10, "users": 3, "items": 5},
            embedder="all-MiniLM-L6-v2",
            decision={"promoted": False, "reason": "test"},
        )


def flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[0] ^= 0xFF
    path.write_bytes(bytes(raw))


def pointer(registry: ModelRegistry) -> dict[str, Any]:
    return json.loads((registry.root / "champion").read_text())


def test_commit_writes_manifest_with_every_field_and_every_file_checksum(registry: ModelRegistry) -> None:
    manifest = make_version(registry)
    assert VERSION_ID.fullmatch(manifest.version)
    assert manifest.path == registry.root / manifest.version
    on_disk = json.loads((manifest.path / "manifest.json").read_text())
    assert on_disk == manifest.to_dict()
    assert set(on_disk) == {
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
    assert set(on_disk["code"]) == {"commit", "dirty", "package_version"}
    assert on_disk["data"]["events"] == 10 and on_disk["embedder"] == "all-MiniLM-L6-v2"
    assert on_disk["metrics"]["baseline_popular"] == {"ndcg@10": 0.2}
    expected = {
        rel: {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
        for rel, content in {
            "item_vectors.npy": b"vectors-1",
            "index/checksums.json": b'{"files": {}}',
        }.items()
    }
    assert on_disk["files"] == expected
    assert [p.name for p in registry.root.iterdir() if p.name.startswith(".staging-")] == []
    assert registry.get(manifest.version) == manifest
    assert registry.verify(manifest.version) == manifest


def test_corrupt_artifact_is_refused_and_champion_keeps_serving(registry: ModelRegistry) -> None:
    first = make_version(registry)
    registry.promote(first.version)
    second = make_version(registry, b"vectors-2")
    flip_byte(second.path / "index" / "checksums.json")
    before = registry.pointer_mtime()
    with pytest.raises(ModelCorrupt, match="index/checksums.json") as caught:
        registry.verify(second.version)
    assert caught.value.code == "conflict" and caught.value.details["file"] == "index/checksums.json"
    with pytest.raises(ModelCorrupt, match="index/checksums.json"):
        registry.promote(second.version)
    assert registry.champion() == first.version
    assert registry.pointer_mtime() == before


def test_missing_artifact_is_refused(registry: ModelRegistry) -> None:
    manifest = make_version(registry)
    (manifest.path / "item_vectors.npy").unlink()
    with pytest.raises(ModelCorrupt, match="item_vectors.npy"):
        registry.promote(manifest.version)
    assert registry.champion() is None


def test_unreadable_manifest_is_corrupt_and_skipped_by_versions(
    registry: ModelRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    good = make_version(registry)
    broken = make_version(registry)
    (broken.path / "manifest.json").write_text("{not json")
    with pytest.raises(ModelCorrupt, match="manifest.json"):
        registry.verify(broken.version)
    with caplog.at_level(logging.WARNING, logger="memfeed.registry.versions"):
        assert [m.version for m in registry.versions()] == [good.version]
    assert broken.version in caplog.text


def test_versions_are_oldest_first_and_ignore_non_versions(registry: ModelRegistry) -> None:
    made = [make_version(registry).version for _ in range(3)]
    (registry.root / "README.md").write_text("notes")
    pending = registry.begin()
    assert [m.version for m in registry.versions()] == made
    pending.abort()


def test_promote_rollback_rollback_walks_the_history_back(registry: ModelRegistry) -> None:
    v1, v2, v3 = (make_version(registry).version for _ in range(3))
    assert registry.champion() is None and registry.champion_manifest() is None
    assert registry.pointer_mtime() is None
    mtimes: list[float] = []
    for version in (v1, v2, v3):
        assert registry.promote(version).version == version
        mtimes.append(registry.pointer_mtime() or 0.0)
    assert 0 < mtimes[0] < mtimes[1] < mtimes[2]  # every pointer write is visible to mtime pollers
    assert pointer(registry)["history"] == [v1, v2]
    registry.promote(v3)  # the current champion again: a no-op
    assert pointer(registry)["history"] == [v1, v2] and registry.pointer_mtime() == mtimes[-1]
    assert registry.rollback().version == v2
    assert registry.champion() == v2 and pointer(registry)["history"] == [v1]
    assert registry.rollback().version == v1
    champion = registry.champion_manifest()
    assert champion is not None and champion.version == v1
    with pytest.raises(NoPreviousChampion):
        registry.rollback()
    assert registry.champion() == v1


def promote_each(root: str, versions: list[str]) -> None:
    registry = ModelRegistry(Path(root))
    for version in versions:
        registry.promote(version)


def test_concurrent_promotes_from_processes_lose_no_history(registry: ModelRegistry) -> None:
    versions = [make_version(registry).version for _ in range(20)]
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=promote_each, args=(str(registry.root), versions[i::4])) for i in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=20)
        assert worker.exitcode == 0
    state = pointer(registry)
    assert sorted([*state["history"], state["version"]]) == sorted(versions)


def test_rollback_without_history_raises(registry: ModelRegistry) -> None:
    with pytest.raises(NoPreviousChampion):
        registry.rollback()
    registry.promote(make_version(registry).version)
    with pytest.raises(NoPreviousChampion) as caught:
        registry.rollback()
    assert caught.value.code == "conflict"


def test_rollback_to_a_corrupt_version_is_refused(registry: ModelRegistry) -> None:
    old, new = make_version(registry), make_version(registry)
    registry.promote(old.version)
    registry.promote(new.version)
    flip_byte(old.path / "item_vectors.npy")
    with pytest.raises(ModelCorrupt, match="item_vectors.npy"):
        registry.rollback()
    assert registry.champion() == new.version and pointer(registry)["history"] == [old.version]


def test_purge_keeps_champion_newest_and_rollback_target(registry: ModelRegistry) -> None:
    v = [make_version(registry).version for _ in range(6)]
    for version in v[:3]:
        registry.promote(version)  # champion v2, history [v0, v1]: rollback would return to v1
    stale = registry.root / ".staging-20200101T000000Z-abcdef"
    (stale / "sub").mkdir(parents=True)
    live = registry.begin()  # a training run still writing
    hour_ago = time.time() - 7200
    for folder in (stale, live.path):
        os.utime(folder, (hour_ago, hour_ago))

    assert registry.purge(keep=1) == [v[0], v[3], v[4]]
    assert [m.version for m in registry.versions()] == [v[1], v[2], v[5]]
    assert pointer(registry)["history"] == [v[1]]  # deleted versions leave the rollback stack
    assert not stale.exists() and live.path.is_dir()
    assert registry.purge(keep=0) == [v[5]]  # keep=0 still spares champion and rollback target
    live.abort()
    assert registry.rollback().version == v[1]


def test_get_refuses_names_that_are_not_plain_folders(registry: ModelRegistry, tmp_path: Path) -> None:
    outside = tmp_path / "x"
    outside.mkdir()
    (outside / "manifest.json").write_text("{}")
    for name in ("../x", "..", ".", "", "a/b", "/etc", ".staging-x", "champion", "x\x00"):
        with pytest.raises(VersionNotFound):
            registry.get(name)
    with pytest.raises(VersionNotFound) as caught:
        registry.promote("../x")
    assert caught.value.code == "not_found"


def test_aborted_writer_leaves_nothing(registry: ModelRegistry) -> None:
    writer = registry.begin()
    (writer.path / "item_vectors.npy").write_bytes(b"x")
    writer.abort()
    with pytest.raises(RuntimeError), registry.begin() as failing:
        (failing.path / "item_vectors.npy").write_bytes(b"x")
        raise RuntimeError("training failed")
    assert sorted(p.name for p in registry.root.iterdir()) == []
    assert registry.versions() == []


def test_code_version_names_this_checkout_from_any_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = Path(memfeed.__file__).resolve().parent.parent
    code_version.cache_clear()
    try:
        here = code_version()
        assert re.fullmatch(r"[0-9a-f]{40}", here["commit"] or "")
        assert isinstance(here["dirty"], bool)
        assert here["package_version"] == memfeed.__version__
        monkeypatch.chdir(tmp_path)
        code_version.cache_clear()
        assert code_version()["commit"] == here["commit"]
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True)
        assert head.stdout.strip() == here["commit"]
    finally:
        code_version.cache_clear()


@pytest.fixture
def models_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MEMFEED_MODELS_DIR", str(tmp_path / "cli-models"))
    get_settings.cache_clear()
    yield tmp_path / "cli-models"
    get_settings.cache_clear()


def test_cli_lists_promotes_and_rolls_back(models_dir: Path) -> None:
    listed = runner.invoke(models_app, ["list"])
    assert listed.exit_code == 0 and "no versions yet" in listed.output
    registry = ModelRegistry(models_dir)
    old = make_version(registry)
    new = make_version(registry, **{"memfeed": {"ndcg@10": 0.31, "recall@10": 0.42}, "most_popular": {}})
    for version in (old.version, new.version):
        promoted = runner.invoke(models_app, ["promote", version])
        assert promoted.exit_code == 0 and f"champion is now {version}" in promoted.output

    lines = runner.invoke(models_app, ["list"]).output.strip().splitlines()
    assert [line.split()[0] for line in lines] == [old.version, new.version]
    assert lines[1].endswith("champion") and "ndcg@10=0.3100" in lines[1] and "recall@10=0.4200" in lines[1]
    assert "champion" not in lines[0] and "ndcg@10=0.3100" in lines[0]  # flat metrics and the "memfeed" row

    shown = runner.invoke(models_app, ["show", old.version])
    assert shown.exit_code == 0 and json.loads(shown.output) == old.to_dict()

    unknown = runner.invoke(models_app, ["promote", "no-such-version"])
    assert unknown.exit_code == 1 and "no-such-version" in unknown.stderr
    assert registry.champion() == new.version

    rolled = runner.invoke(models_app, ["rollback"])
    assert rolled.exit_code == 0 and f"champion is now {old.version}" in rolled.output
    again = runner.invoke(models_app, ["rollback"])
    assert again.exit_code == 1 and "no previous champion" in again.stderr
    assert registry.champion() == old.version


def test_cli_promote_of_corrupt_version_exits_1(models_dir: Path) -> None:
    registry = ModelRegistry(models_dir)
    manifest = make_version(registry)
    flip_byte(manifest.path / "item_vectors.npy")
    result = runner.invoke(models_app, ["promote", manifest.version])
    assert result.exit_code == 1 and "item_vectors.npy" in result.stderr
    assert registry.champion() is None


def test_cli_list_shows_versions_despite_an_unreadable_pointer(models_dir: Path) -> None:
    registry = ModelRegistry(models_dir)
    manifest = make_version(registry)
    (models_dir / "champion").write_text("{not json")
    result = runner.invoke(models_app, ["list"])
    assert result.exit_code == 0 and result.stdout.split()[0] == manifest.version
    assert "champion pointer" in result.stderr and "champion" not in result.stdout


def test_model_service_lists_newest_first_and_refuses_an_unreadable_pointer(registry: ModelRegistry) -> None:
    old, new = make_version(registry), make_version(registry)
    service = ModelService(registry, None, lambda: "content:test")
    assert service.promote(old.version).version == old.version
    listing = service.list()
    assert [m.version for m in listing.manifests] == [new.version, old.version]
    assert (listing.champion, listing.serving, listing.pointer_error) == (old.version, "content:test", None)
    assert service.show(new.version) == new
    (registry.root / "champion").write_text("{not json")
    with pytest.raises(ModelCorrupt):
        service.list()
    tolerated = service.list(tolerate_bad_pointer=True)
    assert tolerated.champion is None and tolerated.pointer_error and len(tolerated.manifests) == 2
