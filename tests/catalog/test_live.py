"""Items written through one process reach every other process's live catalog at its next sync (API workers
and pipelines share only the database), and a quiet catalog costs nothing to re-check."""

from __future__ import annotations

from pathlib import Path

import pytest

from memfeed.catalog.embedding import Embedder
from memfeed.catalog.records import ItemFields
from memfeed.runtime import build_runtime
from tests.conftest import BACKENDS, database_url_for, make_settings, migrated


@pytest.mark.parametrize("backend", BACKENDS)
def test_another_process_writes_reach_this_catalog(backend: str, tmp_path: Path, embedder: Embedder) -> None:
    settings = migrated(make_settings(tmp_path, database_url_for(backend, tmp_path)))
    writer = build_runtime(settings, embedder=embedder)
    reader = build_runtime(settings, embedder=embedder)
    try:
        for n in range(5):
            writer.catalog.upsert_item(f"old-{n}", ItemFields(title=f"Old story {n}", text="about gardening"))
        assert reader.catalog.sync() == 5

        version = reader.catalog.live.version
        assert reader.catalog.sync() == 0, "a quiet catalog reads nothing"
        assert reader.catalog.live.version == version, "and changes nothing the feed caches depend on"

        writer.catalog.upsert_item("new", ItemFields(title="A rocket launch tonight", text="space news"))
        assert reader.catalog.sync() == 1
        assert "new" in reader.catalog.live.index and reader.catalog.live.version > version
        near = [i for i, _ in reader.catalog.live.index.search(writer.catalog.live.index.get("new"), 1)]  # type: ignore[arg-type]
        assert near == ["new"], "with its vector"

        writer.catalog.upsert_item(
            "new", ItemFields(title="A rocket launch tonight", text="space news", available=False)
        )
        reader.catalog.sync()
        assert "new" not in reader.catalog.live.index, "a withdrawn item leaves every process's index"
        card = reader.catalog.card("new")
        assert card is not None and not card.available
    finally:
        writer.close()
        reader.close()
