"""Bulk import from files: the same validation as the API, bad rows reported by line, good rows kept, and a
re-import that adds nothing. Real SQLite and the real embedding model; catalogs stay tiny to keep it fast."""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cli.app import app
from memfeed.bulk.importer import ImportReport, derive_event_id, import_events, import_items
from memfeed.catalog.embedding import Embedder
from memfeed.platform.errors import InvalidInput
from memfeed.platform.storage.schema import Event, Item
from memfeed.runtime import Runtime, build_runtime
from tests.conftest import database_url_for, make_settings, migrated

REPO = Path(__file__).resolve().parents[2]
MOVIELENS_DIR = Path(os.environ.get("MEMFEED_MOVIELENS_DIR", "../shared/data/ml-latest-small"))

ITEMS_CSV = """item_id,title,text,tags,category,published_at,available
space-1,Rockets land on barges,How reusable rockets land themselves,space|rockets,space,2026-01-01T00:00:00Z,true
space-2,A comet visible this month,,space | sky,space,1767225600,yes
cook-1,Crisp roast potatoes,The secret is semolina,cooking,cooking,,0
bad-1,,a row without a title,,,,
"""

# line 2-4 and 9 are good; 5-8 are each wrong in one way
EVENTS_CSV = """user_id,item_id,timestamp,type,value
alice,space-1,2024-05-01T10:00:00+02:00,like,
alice,space-2,1714550400,,
bob,cook-1,1714550400.5,rating,4.5
bob,space-1,1714550400,teleport,
carol,space-1,yesterday,view,
carol,nowhere,1714550400,view,
,space-1,1714550400,view,
carol,cook-1,631152000,dwell,12
"""
BAD_EVENT_LINES = {5: "type", 6: "timestamp", 7: "unknown_item", 8: "user_id"}


@pytest.fixture
def make_runtime(tmp_path: Path, embedder: Embedder) -> Iterator[Callable[[str], Runtime]]:
    """Fresh runtimes over their own SQLite files, closed at the end."""
    runtimes: list[Runtime] = []

    def build(name: str = "db") -> Runtime:
        directory = tmp_path / name
        directory.mkdir()
        settings = migrated(make_settings(directory, database_url_for("sqlite", directory)))
        runtimes.append(build_runtime(settings, embedder=embedder))
        return runtimes[-1]

    yield build
    for runtime in runtimes:
        runtime.close()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def stored_events(runtime: Runtime) -> dict[str, Event]:
    with runtime.database.session() as session:
        events = session.scalars(select(Event)).all()
        session.expunge_all()
    return {e.event_id: e for e in events}


def catalog(runtime: Runtime, tmp_path: Path) -> None:
    report = import_items(runtime.catalog, write(tmp_path / "items.csv", ITEMS_CSV), progress=False)
    assert report.accepted == 3, report


def test_items_csv_keeps_good_rows_and_reports_the_bad_line(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("db")
    report = import_items(runtime.catalog, write(tmp_path / "items.csv", ITEMS_CSV), progress=False)
    assert (report.rows, report.accepted, report.duplicates) == (4, 3, 0)
    assert [line for line, _ in report.rejected] == [5]
    assert "title" in report.rejected[0][1]
    space_1, space_2, cook_1 = (runtime.catalog.get_item(i) for i in ("space-1", "space-2", "cook-1"))
    assert space_1.tags == ["space", "rockets"] and space_2.tags == ["space", "sky"]
    assert space_1.published_at == space_2.published_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert space_1.available and space_2.available and not cook_1.available
    assert space_2.text == "" and cook_1.category == "cooking"
    assert runtime.feeds.similar("space-1", 5), "an imported item is recommendable at once through its text"


def test_events_csv_reports_each_bad_row_by_line_and_stores_the_rest(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("db")
    catalog(runtime, tmp_path)
    report = import_events(
        runtime.events, write(tmp_path / "events.csv", EVENTS_CSV), chunk=3, progress=False
    )
    assert (report.rows, report.accepted, report.duplicates) == (8, 4, 0)
    assert [line for line, _ in report.rejected] == sorted(BAD_EVENT_LINES)
    for line, reason in report.rejected:
        assert BAD_EVENT_LINES[line] in reason, (line, reason)
    events = stored_events(runtime)
    assert {(e.user_id, e.item_id, e.type) for e in events.values()} == {
        ("alice", "space-1", "like"),
        ("alice", "space-2", "view"),
        ("bob", "cook-1", "rating"),
        ("carol", "cook-1", "dwell"),
    }
    by_type = {e.type: e for e in events.values()}
    assert by_type["like"].ts == datetime(2024, 5, 1, 8, tzinfo=UTC)
    assert by_type["rating"].value == 4.5 and by_type["view"].value is None
    assert by_type["dwell"].ts == datetime(1990, 1, 1, tzinfo=UTC), "a long-past time is accepted"


def test_reimport_adds_nothing_and_derived_ids_are_stable(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("db")
    catalog(runtime, tmp_path)
    path = write(tmp_path / "events.csv", EVENTS_CSV)
    first = import_events(runtime.events, path, progress=False)
    again = import_events(runtime.events, path, progress=False)
    assert (again.accepted, again.duplicates) == (0, first.accepted)
    assert again.rejected == first.rejected
    assert len(stored_events(runtime)) == first.accepted

    view = derive_event_id("alice", "space-2", 1714550400, "view", None)
    assert view in stored_events(runtime) and view.startswith("imp-") and len(view) == 4 + 32
    assert view == derive_event_id("alice", "space-2", "2024-05-01T08:00:00Z")
    assert view == derive_event_id("alice", "space-2", 1714550400.0, "view")
    assert view != derive_event_id("alice", "space-2", 1714550401)
    assert derive_event_id("bob", "cook-1", 1, "rating", "4.5") == derive_event_id(
        "bob", "cook-1", 1, "rating", 4.5
    )
    assert derive_event_id("bob", "cook-1", 1, "rating", 4) != derive_event_id(
        "bob", "cook-1", 1, "rating", 4.5
    )


def test_given_event_ids_are_kept(make_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    runtime = make_runtime("db")
    catalog(runtime, tmp_path)
    path = write(
        tmp_path / "events.csv",
        "event_id,user_id,item_id,timestamp\nmine-1,dan,space-1,1714550400\nmine-1,dan,space-2,1714550400\n",
    )
    report = import_events(runtime.events, path, progress=False)
    assert (report.accepted, report.duplicates, report.rejected) == (1, 1, [])
    assert stored_events(runtime)["mine-1"].item_id == "space-1"


def parquet_events(path: Path) -> Path:
    """EVENTS_CSV as Parquet, with typed nulls and a float value column."""
    rows = list(csv.DictReader(EVENTS_CSV.splitlines()))
    table = pa.table(
        {
            "user_id": [r["user_id"] or None for r in rows],
            "item_id": [r["item_id"] for r in rows],
            "timestamp": [r["timestamp"] for r in rows],
            "type": [r["type"] or None for r in rows],
            "value": pa.array([float(r["value"]) if r["value"] else None for r in rows], pa.float64()),
        }
    )
    pq.write_table(table, path)
    return path


def parquet_items(path: Path) -> Path:
    """The good rows of ITEMS_CSV as Parquet with typed columns: list tags, bool flags, timestamps."""
    published = datetime(2026, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "item_id": ["space-1", "space-2", "cook-1"],
            "title": ["Rockets land on barges", "A comet visible this month", "Crisp roast potatoes"],
            "tags": [["space", "rockets"], ["space", "sky"], ["cooking"]],
            "category": ["space", "space", "cooking"],
            "published_at": pa.array([published, published, None], pa.timestamp("s", tz="UTC")),
            "available": [True, True, False],
        }
    )
    pq.write_table(table, path)
    return path


def test_parquet_gives_the_same_result_as_csv(make_runtime: Callable[[str], Runtime], tmp_path: Path) -> None:
    from_csv = make_runtime("csv")
    catalog(from_csv, tmp_path)
    csv_report = import_events(from_csv.events, write(tmp_path / "events.csv", EVENTS_CSV), progress=False)

    from_parquet = make_runtime("parquet")
    items = import_items(from_parquet.catalog, parquet_items(tmp_path / "items.parquet"), progress=False)
    assert (items.rows, items.accepted, items.rejected) == (3, 3, [])
    assert from_parquet.catalog.get_item("space-1").tags == ["space", "rockets"]
    assert not from_parquet.catalog.get_item("cook-1").available
    pq_report = import_events(from_parquet.events, parquet_events(tmp_path / "events.pq"), progress=False)

    def outcome(r: ImportReport) -> tuple[int, int, int, list[tuple[int, str]]]:
        return r.rows, r.accepted, r.duplicates, r.rejected

    assert outcome(pq_report) == outcome(csv_report)
    assert set(stored_events(from_parquet)) == set(stored_events(from_csv))
    crossed = import_events(from_csv.events, tmp_path / "events.pq", progress=False)
    assert (crossed.accepted, crossed.duplicates) == (0, csv_report.accepted)


def test_quoted_newlines_do_not_shift_later_line_numbers(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("db")
    path = write(
        tmp_path / "items.csv",
        'item_id,title,text\nq-1,Multi-line,"first line\nsecond line\nthird line"\n\nq-2,,no title\n'
        "q-3,Fine,one line\nq-4,Too,many,fields\n",
    )
    report = import_items(runtime.catalog, path, progress=False)
    assert report.rows == 4 and report.accepted == 2
    assert [line for line, _ in report.rejected] == [6, 8]
    assert "title" in report.rejected[0][1] and "expected 3 fields" in report.rejected[1][1]
    assert runtime.catalog.get_item("q-1").text == "first line\nsecond line\nthird line"


def test_unreadable_files_are_refused_before_anything_is_written(
    make_runtime: Callable[[str], Runtime], tmp_path: Path
) -> None:
    runtime = make_runtime("db")
    no_title = write(tmp_path / "items.csv", "item_id,text\nx-1,hello\n")
    with pytest.raises(InvalidInput, match="missing required column title"):
        import_items(runtime.catalog, no_title, progress=False)
    no_time = write(tmp_path / "events.csv", "user_id,item_id\nu,x-1\n")
    with pytest.raises(InvalidInput, match="timestamp"):
        import_events(runtime.events, no_time, progress=False)
    with pytest.raises(InvalidInput, match="unknown file type"):
        import_events(runtime.events, write(tmp_path / "events.json", "[]"), progress=False)
    with pytest.raises(InvalidInput, match="Parquet"):
        import_events(runtime.events, write(tmp_path / "events.parquet", "not parquet"), progress=False)
    with runtime.database.session() as session:
        assert session.scalars(select(Item)).first() is None


def test_cli_import_prints_a_summary_and_the_bad_lines(cli_env: Path) -> None:
    write(cli_env / "items.csv", ITEMS_CSV)
    write(cli_env / "events.csv", EVENTS_CSV)
    runner = CliRunner()
    result = runner.invoke(app, ["import", "--items", "items.csv", "--events", "events.csv"])
    assert result.exit_code == 0, result.output
    assert "items: 4 rows, 3 upserted, 1 rejected" in result.output
    assert "events: 8 rows, 4 accepted, 0 duplicates, 4 rejected" in result.output
    for line in (5, 6, 7, 8):
        assert f"line {line}: " in result.output
    missing = runner.invoke(app, ["import", "--events", "nowhere.csv"])
    assert missing.exit_code == 1 and "no such file" in missing.output


def load_adapter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("movielens_adapter", REPO / "scripts" / "movielens.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not MOVIELENS_DIR.exists(), reason="MovieLens ml-latest-small is not available")
def test_movielens_adapter_writes_generic_files(tmp_path: Path) -> None:
    out = tmp_path / "ml"
    assert load_adapter().main(["--src", str(MOVIELENS_DIR), "--out", str(out)]) == 0
    with (out / "items.csv").open(newline="", encoding="utf-8") as handle:
        items = {row["item_id"]: row for row in csv.DictReader(handle)}
    with (out / "events.csv").open(newline="", encoding="utf-8") as handle:
        events = list(csv.DictReader(handle))
    assert len(items) == 9_742 and len(events) == 100_836
    toy_story = items["ml-1"]
    assert toy_story["title"] == "Toy Story (1995)" and toy_story["category"] == "Adventure"
    assert toy_story["tags"].split("|")[:2] == ["Adventure", "Animation"]
    assert toy_story["text"].startswith("Genres: Adventure, Animation") and "Tags: pixar" in toy_story["text"]
    assert events[0] == {
        "event_id": "ml-1-1",
        "user_id": "u1",
        "item_id": "ml-1",
        "timestamp": "964982703",
        "type": "like",
        "value": "",
    }
    assert {e["type"] for e in events} == {"like", "rating"}
    assert all(float(e["value"]) < 3.5 for e in events if e["type"] == "rating")
    assert set(e["item_id"] for e in events) <= set(items)
