"""Copy a benchmark's SQLite database into PostgreSQL, so the same data and model can be served from both.

Run: python bench/copy_to_postgres.py <dir kept by bench_feed_http.py --keep> \
         --database-url postgresql+psycopg://postgres@127.0.0.1:5432/memfeed_feed_bench
then: python bench/bench_feed_http.py --reuse <dir> --database-url <the same URL>

The PostgreSQL database is dropped and re-created (never `test` or `postgres`), migrated, and filled with the
catalog, vectors, users and events through COPY. The kept models were trained on exactly these rows, so the
PostgreSQL server serves the same champion without a retrain. Not a benchmark; it prints how long it took.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import fresh_database_url  # noqa: E402

from memfeed.platform.storage import create_database  # noqa: E402
from memfeed.platform.storage.migrate import upgrade  # noqa: E402

TABLES = ("items", "item_vectors", "users", "events")
CHUNK = 50_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("directory", type=Path)
    parser.add_argument("--database-url", required=True)
    args = parser.parse_args()
    t0 = time.perf_counter()
    url = fresh_database_url(args.database_url, args.directory)
    target = create_database(url)
    upgrade(target)
    target.dispose()
    source = create_database(f"sqlite:///{(args.directory / 'bench.db').as_posix()}")
    metadata = MetaData()
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as pg, source.engine.connect() as sqlite:
        for name in TABLES:
            table = Table(name, metadata, autoload_with=sqlite)
            columns = [c.name for c in table.columns]
            result = sqlite.execution_options(stream_results=True).execute(select(table))
            copied = 0
            with pg.cursor().copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for rows in result.partitions(CHUNK):
                    for row in rows:
                        copy.write_row([Jsonb(v) if isinstance(v, dict | list) else v for v in row])
                    copied += len(rows)
            if "id" in columns:  # keep the identity sequence past the copied ids
                pg.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))"
                )
            print(f"{name}: {copied:,} rows", flush=True)
        pg.execute("ANALYZE")
    source.dispose()
    print(
        f"copied into {make_url(url).render_as_string(hide_password=True)} in {time.perf_counter() - t0:.1f} s"
    )


if __name__ == "__main__":
    main()
