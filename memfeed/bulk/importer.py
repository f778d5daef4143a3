"""Bulk import of items and events from CSV or Parquet files (`memfeed import`).

Rows stream in chunks (a CSV line by line, a Parquet file batch by batch), so a file of any size imports in
bounded memory. Each chunk goes through `CatalogService.upsert_items` / `EventService.ingest`, the same
validation path as the API, so a file row and an API request are judged alike. A bad row is reported with its line number and
never rejects its neighbours; a chunk is committed before the next one is read.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm

from memfeed.catalog.service import CatalogService
from memfeed.events.service import EventService
from memfeed.platform.errors import InvalidInput

CSV_SUFFIXES = frozenset({".csv"})
PARQUET_SUFFIXES = frozenset({".parquet", ".pq"})
DEFAULT_EVENT_TYPE = "view"
DERIVED_ID_PREFIX = "imp-"

_UNIX_TIME = re.compile(r"[+-]?\d+(\.\d*)?")
_FLAGS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class ImportReport:
    """What one file did. `accepted` counts upserted items or newly stored events; `rejected` holds
    (line number, reason) pairs, line numbers as `import_items` / `import_events` define them."""

    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def rate(self) -> float:
        """Rows per second (0 when nothing was timed)."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def details(self, limit: int = 20) -> list[str]:
        """Lines for a human: ignored columns, then up to `limit` rejected rows."""
        out = [f"ignored columns: {', '.join(self.ignored_columns)}"] if self.ignored_columns else []
        out += [f"line {line}: {reason}" for line, reason in self.rejected[:limit]]
        if len(self.rejected) > limit:
            out.append(f"... and {len(self.rejected) - limit} more")
        return out


@dataclass(frozen=True)
class _Schema:
    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


ITEMS = _Schema("items", ("item_id", "title"), ("text", "tags", "category", "published_at", "available"))
EVENTS = _Schema("events", ("user_id", "item_id", "timestamp"), ("type", "value", "event_id"))


@dataclass(frozen=True)
class _Row:
    """One data row: where it starts in the file, its cells by known column, or why it could not be read."""

    line: int
    cells: dict[str, Any]
    problem: str | None = None


class _BadRow(Exception):
    """A row the importer itself refuses before validation (the reason is the message)."""


# --- public entry points ------------------------------------------------------------------------------


def import_items(
    catalog: CatalogService, path: Path, *, chunk: int = 1000, progress: bool = True
) -> ImportReport:
    """Upsert the items of a CSV or Parquet file: `item_id,title[,text][,tags][,category][,published_at]
    [,available]`, tags separated by `|`. Empty cells mean absent.

    Line numbers: in a CSV the physical line where the row starts (the header is line 1); in a Parquet file
    the 1-based row number + 1, as if it had a header line. `duplicates` counts rows that repeat an item id
    within one chunk (the last one wins, as in the API's batch upsert).
    """

    def send(payload: list[dict[str, Any]], lines: list[int], report: ImportReport) -> None:
        outcome = catalog.upsert_items(payload)
        report.accepted += outcome.upserted
        report.duplicates += len(payload) - len(outcome.errors) - outcome.upserted
        report.rejected += [(lines[e.index], f"{e.code}: {e.message}") for e in outcome.errors]

    return _run(path, ITEMS, _item_payload, send, chunk=chunk, progress=progress)


def import_events(
    events: EventService, path: Path, *, chunk: int = 5000, progress: bool = True
) -> ImportReport:
    """Ingest the events of a CSV or Parquet file: `user_id,item_id,timestamp[,type][,value][,event_id]`.

    `type` defaults to `view`; a missing `event_id` is derived from the row (`derive_event_id`), so importing
    the same file again adds nothing. Timestamps are ISO-8601 with offset or Unix seconds; any past time is
    accepted. Line numbers are counted as in `import_items`. Each `events.ingest` call gets at most `chunk`
    rows.
    """

    def send(payload: list[dict[str, Any]], lines: list[int], report: ImportReport) -> None:
        result = events.ingest(payload)
        report.accepted += result.accepted
        report.duplicates += result.duplicates
        report.rejected += [(lines[r.index], f"{r.code}: {r.message}") for r in result.rejected]

    return _run(path, EVENTS, _event_payload, send, chunk=chunk, progress=progress)


def derive_event_id(
    user_id: Any, item_id: Any, timestamp: Any, event_type: Any = DEFAULT_EVENT_TYPE, value: Any = None
) -> str:
    """A stable id for an event that came without one: the same row always maps to the same id, whatever
    the file format (a timestamp and a value are hashed in canonical form: `1700000000`, `1700000000.0` and
    `2023-11-14T22:13:20Z` agree)."""
    key = json.dumps(
        [user_id, item_id, _canonical_time(timestamp), event_type, _canonical_number(value)], default=str
    )
    return DERIVED_ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:32]


# --- the chunk loop -------------------------------------------------------------------------------------

_Send = Callable[[list[dict[str, Any]], list[int], ImportReport], None]


def _run(
    path: Path,
    schema: _Schema,
    to_payload: Callable[[Mapping[str, Any]], dict[str, Any]],
    send: _Send,
    *,
    chunk: int,
    progress: bool,
) -> ImportReport:
    if chunk < 1:
        raise InvalidInput("chunk must be at least 1")
    started = time.perf_counter()
    report = ImportReport()
    for rows in _batched(_read_rows(path, schema, report, progress=progress, batch_size=chunk), chunk):
        report.rows += len(rows)
        payload: list[dict[str, Any]] = []
        lines: list[int] = []
        for row in rows:
            try:
                if row.problem is not None:
                    raise _BadRow(row.problem)
                payload.append(to_payload(row.cells))
                lines.append(row.line)
            except _BadRow as exc:
                report.rejected.append((row.line, str(exc)))
        if payload:
            send(payload, lines, report)
    report.rejected.sort(key=lambda r: r[0])
    report.seconds = time.perf_counter() - started
    return report


def _batched(rows: Iterable[_Row], size: int) -> Iterator[list[_Row]]:
    batch: list[_Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- reading files --------------------------------------------------------------------------------------


def _read_rows(
    path: Path, schema: _Schema, report: ImportReport, *, progress: bool, batch_size: int
) -> Iterator[_Row]:
    """The file's data rows. The header is checked before the first row is yielded, so a file with a
    missing column fails before anything is written."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | PARQUET_SUFFIXES:
        raise InvalidInput(f"{path}: unknown file type {suffix or '(none)'!r}: use .csv, .parquet or .pq")
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if suffix in CSV_SUFFIXES:
        return _csv_rows(path, schema, report, progress=progress)
    return _parquet_rows(path, schema, report, progress=progress, batch_size=batch_size)


def _column_map(path: Path, names: Sequence[str], schema: _Schema, report: ImportReport) -> list[str | None]:
    """Known column name for each position (None for ignored ones); refuses a header missing a required
    column or naming one twice."""
    normalized = [str(n).strip().lower() for n in names]
    missing = [c for c in schema.required if c not in normalized]
    if missing:
        raise InvalidInput(
            f"{path}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(an {schema.label} file has {', '.join(schema.required)}"
            f" and optionally {', '.join(schema.optional)})"
        )
    repeated = sorted({n for n in normalized if n in schema.columns and normalized.count(n) > 1})
    if repeated:
        raise InvalidInput(f"{path}: column {', '.join(repeated)} appears more than once")
    report.ignored_columns = [n for n in normalized if n not in schema.columns]
    return [n if n in schema.columns else None for n in normalized]


def _progress_bar(label: str, total: int, unit: str, enabled: bool) -> tqdm[Any]:
    return tqdm(
        total=total, unit=unit, unit_scale=True, desc=label, disable=not enabled, file=sys.stderr, leave=True
    )


def _csv_rows(path: Path, schema: _Schema, report: ImportReport, *, progress: bool) -> Iterator[_Row]:
    """CSV rows with the physical line each starts on; a quoted field may span lines (csv's `line_num`)."""
    with (
        path.open("rb") as raw,
        _progress_bar(schema.label, path.stat().st_size, "B", progress) as bar,
    ):
        undecodable: set[int] = set()
        reader = csv.reader(_decoded_lines(raw, bar, undecodable))
        header = next((record for record in reader if record), None)
        if header is None:
            raise InvalidInput(f"{path}: empty file (expected a header line)")
        columns = _column_map(path, header, schema, report)
        end = reader.line_num
        try:
            for record in reader:
                start, end = end + 1, reader.line_num
                if record:
                    yield _csv_row(start, end, record, columns, undecodable)
        except csv.Error as exc:
            raise InvalidInput(f"{path}: line {reader.line_num}: {exc}") from exc


def _decoded_lines(raw: IO[bytes], bar: tqdm[Any], undecodable: set[int]) -> Iterator[str]:
    """Physical lines as text, counting bytes for the progress bar; a line that is not UTF-8 is decoded
    with replacement characters and remembered so its row is rejected rather than stored garbled."""
    for number, data in enumerate(raw, start=1):
        bar.update(len(data))
        if number == 1 and data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.add(number)
            yield data.decode("utf-8", errors="replace")


def _csv_row(
    start: int, end: int, record: list[str], columns: list[str | None], undecodable: set[int]
) -> _Row:
    if undecodable and any(n in undecodable for n in range(start, end + 1)):
        return _Row(start, {}, "malformed_row: not valid UTF-8")
    if len(record) != len(columns):
        return _Row(start, {}, f"malformed_row: expected {len(columns)} fields, found {len(record)}")
    return _Row(start, {name: cell for name, cell in zip(columns, record, strict=True) if name is not None})


def _parquet_rows(
    path: Path, schema: _Schema, report: ImportReport, *, progress: bool, batch_size: int
) -> Iterator[_Row]:
    """Parquet rows numbered as lines: row n (1-based) is line n + 1, as if the file had a header line."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable Parquet file ({exc})") from exc
    with parquet:
        names = parquet.schema_arrow.names
        columns = _column_map(path, names, schema, report)
        wanted = {name: known for name, known in zip(names, columns, strict=True) if known is not None}
        line = 1
        with _progress_bar(schema.label, parquet.metadata.num_rows, "rows", progress) as bar:
            for batch in parquet.iter_batches(batch_size=batch_size, columns=list(wanted)):
                for record in batch.to_pylist():
                    line += 1
                    yield _Row(line, {wanted[name]: cell for name, cell in record.items()})
                bar.update(batch.num_rows)


# --- cells to the dicts the validators expect ----------------------------------------------------------


def _present(cell: Any) -> bool:
    """Empty strings (and nulls) mean absent."""
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _token(cell: Any) -> Any:
    """An id, type or number cell: surrounding spaces dropped; integer ids from Parquet become strings."""
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, int) and not isinstance(cell, bool):
        return str(cell)
    return cell


def _time(cell: Any) -> Any:
    """ISO-8601 passes through to the validator; Unix seconds (digits) become numbers. A Parquet timestamp
    without a zone is taken as UTC (Parquet's usual meaning); one with a zone keeps it."""
    if isinstance(cell, datetime):
        return cell if cell.tzinfo is not None else cell.replace(tzinfo=UTC)
    if isinstance(cell, str):
        text = cell.strip()
        if _UNIX_TIME.fullmatch(text):
            number = float(text)
            return int(number) if number.is_integer() else number
        return text
    return cell


def _flag(cell: Any) -> Any:
    if isinstance(cell, str):
        return _FLAGS.get(cell.strip().lower(), cell)
    return cell


def _tags(cell: Any) -> Any:
    if isinstance(cell, str):
        return [tag.strip() for tag in cell.split("|") if tag.strip()]
    return cell


def _item_payload(cells: Mapping[str, Any]) -> dict[str, Any]:
    converters: dict[str, Callable[[Any], Any]] = {
        "item_id": _token,
        "title": lambda c: c,
        "text": lambda c: c,
        "tags": _tags,
        "category": _token,
        "published_at": _time,
        "available": _flag,
    }
    return {name: convert(cells[name]) for name, convert in converters.items() if _present(cells.get(name))}


def _event_payload(cells: Mapping[str, Any]) -> dict[str, Any]:
    """The event as the API would receive it. A row without a timestamp is refused: an import is history,
    and stamping it with the import time would misplace it."""
    if not _present(cells.get("timestamp")):
        raise _BadRow("validation_error: timestamp: required in an import file")
    event: dict[str, Any] = {
        name: _token(cells[name]) for name in ("event_id", "user_id", "item_id") if _present(cells.get(name))
    }
    event["type"] = _token(cells["type"]) if _present(cells.get("type")) else DEFAULT_EVENT_TYPE
    if _present(cells.get("value")):
        event["value"] = _token(cells["value"])
    event["timestamp"] = _time(cells["timestamp"])
    if "event_id" not in event:
        event["event_id"] = derive_event_id(
            event.get("user_id"), event.get("item_id"), event["timestamp"], event["type"], event.get("value")
        )
    return event


def _canonical_time(value: Any) -> Any:
    """Unix seconds for anything that reads as an aware time; other values as they are."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return _canonical_number(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        value = value.timestamp()
    return _canonical_number(value)


def _canonical_number(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(value)
    return int(number) if number.is_integer() else number
