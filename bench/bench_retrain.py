"""Benchmark: a full retrain (load, evaluate, fit, publish) as memfeed runs it, phase by phase.

Run: python bench/bench_retrain.py [--events 1000000] [--items 50000] [--users 20000] [--quick]
                                   [--eval-users N]

Target: a full retrain on 1M events and 50k items in <= 120 s on a 2-core machine.

Generates a synthetic catalog (items in topics, 384-d unit content vectors clustered by topic; random vectors
stand in for MiniLM embeddings, whose cost bench_embed.py measures) and activity (Zipf-ish item popularity,
per-user topic tastes, timestamps over 8 weeks), writes it into a fresh SQLite database with SQLAlchemy bulk
inserts (not timed as part of the retrain), then times `load_training_data`, `evaluate` (challenger fit on
the training split + every ranker over the hold-out), and `publish` (fit on all events, `save_bundle`,
registry commit and promote). Sub-phases are timed by wrapping the functions `memfeed.training.retrain` calls, so each
step runs once, exactly as in production. Baseline in the same run: a bare `implicit` ALS fit with library
defaults (factors=100, iterations=15) on the same confidence matrix; the ratio memfeed fit / bare fit.

`evaluate` ranks every item for every hold-out user and has no sampling option; at full size that takes
tens of minutes. `--eval-users N` makes the bench hand `evaluate_rankers` a random N-user sample of the split
(everything else unchanged) and extrapolates the ranking time to all hold-out users, labelled as such.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import memfeed.training.retrain as retrain
from memfeed.catalog.embedding import content_hash
from memfeed.model.factors import InteractionMatrix
from memfeed.platform.settings import Settings
from memfeed.platform.storage import Event, Item, ItemVector, create_database
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.migrate import upgrade
from memfeed.registry.manifest import Manifest
from memfeed.registry.versions import ModelRegistry
from memfeed.training.evaluation import Ranker, Split

TARGET_SECONDS = 120.0
DIM = 384
EMBEDDER_ID = "bench-random-unit/384"  # a fake embedder id: vectors are random, not MiniLM
TASTE_SHARE = (0.6, 0.27, 0.13)  # share of taste-driven events going to a user's 1st, 2nd, 3rd topic
EXPLORE_RATE = 0.15
# (type, probability) for events on a taste topic and for exploration (more skips and negatives)
TASTE_TYPES = (
    ("view", 0.44),
    ("click", 0.20),
    ("dwell", 0.12),
    ("like", 0.10),
    ("save", 0.04),
    ("share", 0.02),
    ("purchase", 0.01),
    ("rating", 0.03),
    ("skip", 0.04),
)
EXPLORE_TYPES = (
    ("view", 0.50),
    ("click", 0.10),
    ("dwell", 0.05),
    ("like", 0.02),
    ("skip", 0.20),
    ("hide", 0.07),
    ("dislike", 0.06),
)
INSERT_CHUNK = 50_000


# ------------------------------------------------------------------------------------------- data


@dataclass
class Synthetic:
    item_topic: np.ndarray  # (items,) topic index
    vectors: np.ndarray  # (items, DIM) float32, unit rows
    published: np.ndarray  # (items,) unix seconds
    ev_user: np.ndarray  # (events,) user index, events sorted by time
    ev_item: np.ndarray
    ev_type: np.ndarray  # index into TYPES
    ev_value: np.ndarray  # float, nan = no value
    ev_ts: np.ndarray  # unix seconds (int64)
    types: list[str]


def make_data(
    n_items: int, n_users: int, n_events: int, n_topics: int, weeks: int, now: datetime, seed: int
) -> Synthetic:
    """Topic-clustered unit vectors, Zipf-ish popularity, users with 3 taste topics plus exploration."""
    rng = np.random.default_rng(seed)
    item_topic = rng.permutation(np.arange(n_items) % n_topics)
    centres = rng.standard_normal((n_topics, DIM)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors = centres[item_topic] + 0.07 * rng.standard_normal((n_items, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    popularity = 1.0 / (1.0 + rng.permutation(n_items)) ** 0.9  # Zipf-ish over a random global rank

    end = now.timestamp()
    start = end - weeks * 7 * 86_400.0
    published = (start - rng.uniform(0, 21 * 86_400.0, n_items)).astype(np.int64)

    activity = rng.lognormal(0.0, 1.0, n_users)  # a long tail of light and heavy users
    ev_user = rng.choice(n_users, n_events, p=activity / activity.sum())
    tastes = np.argsort(rng.random((n_users, n_topics)), axis=1)[:, :3]
    slot = np.searchsorted(np.cumsum(TASTE_SHARE), rng.random(n_events) * 0.999999)
    explore = rng.random(n_events) < EXPLORE_RATE
    ev_topic = np.where(explore, rng.integers(0, n_topics, n_events), tastes[ev_user, slot])

    ev_item = np.empty(n_events, dtype=np.int64)
    for topic in range(n_topics):
        members = np.flatnonzero(item_topic == topic)
        cdf = np.cumsum(popularity[members])
        mask = ev_topic == topic
        draws = rng.random(int(mask.sum())) * cdf[-1]
        ev_item[mask] = members[np.minimum(np.searchsorted(cdf, draws), len(members) - 1)]

    types = sorted({t for t, _ in TASTE_TYPES + EXPLORE_TYPES})
    ev_type = np.empty(n_events, dtype=np.int64)
    for table, mask in ((TASTE_TYPES, ~explore), (EXPLORE_TYPES, explore)):
        codes = np.array([types.index(t) for t, _ in table])
        probs = np.array([p for _, p in table])
        ev_type[mask] = codes[rng.choice(len(table), int(mask.sum()), p=probs / probs.sum())]
    ev_value = np.full(n_events, np.nan)
    dwell = ev_type == types.index("dwell")
    ev_value[dwell] = np.round(rng.uniform(3, 150, int(dwell.sum())), 1)
    rating = ev_type == types.index("rating")
    ev_value[rating] = rng.integers(1, 6, int(rating.sum()))

    ev_ts = rng.uniform(start, end, n_events).astype(np.int64)
    order = np.argsort(ev_ts, kind="stable")  # rows are inserted roughly in arrival order
    return Synthetic(
        item_topic,
        vectors,
        published,
        ev_user[order],
        ev_item[order],
        ev_type[order],
        ev_value[order],
        ev_ts[order],
        types,
    )


def item_id(i: int) -> str:
    return f"item-{i:06d}"


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


def write_database(database: Database, data: Synthetic, now: datetime) -> None:
    """Items, item_vectors (under EMBEDDER_ID) and events, in chunks of bulk INSERTs."""
    items: list[dict[str, Any]] = []
    vectors: list[dict[str, Any]] = []
    for i, topic in enumerate(data.item_topic.tolist()):
        title, text, tags, category = (
            f"Synthetic item {i} on topic {topic}",
            "",
            [f"t{topic}"],
            f"topic-{topic}",
        )
        digest = content_hash(title, text, tuple(tags), category)
        items.append(
            {
                "item_id": item_id(i),
                "title": title,
                "text": text,
                "tags": tags,
                "category": category,
                "available": True,
                "published_at": _utc(data.published[i]),
                "meta": {},
                "content_hash": digest,
                "created_at": now,
                "updated_at": now,
            }
        )
        vectors.append(
            {
                "item_id": item_id(i),
                "embedder": EMBEDDER_ID,
                "content_hash": digest,
                "dim": DIM,
                "vector": data.vectors[i].tobytes(),
                "updated_at": now,
            }
        )
    for model, rows in ((Item, items), (ItemVector, vectors)):
        for start in range(0, len(rows), INSERT_CHUNK):
            with database.session() as session:
                session.execute(insert(model), rows[start : start + INSERT_CHUNK])

    users, its, kinds = data.ev_user.tolist(), data.ev_item.tolist(), data.ev_type.tolist()
    values, stamps = data.ev_value.tolist(), data.ev_ts.tolist()
    for start in range(0, len(users), INSERT_CHUNK):
        rows = [
            {
                "event_id": f"ev-{n:08d}",
                "user_id": f"user-{users[n]:06d}",
                "item_id": item_id(its[n]),
                "type": data.types[kinds[n]],
                "value": None if math.isnan(values[n]) else values[n],
                "ts": _utc(stamps[n]),
                "received_at": now,
                "context": None,
            }
            for n in range(start, min(start + INSERT_CHUNK, len(users)))
        ]
        with database.session() as session:
            session.execute(insert(Event), rows)


# --------------------------------------------------------------------------------------- timing


class Clock:
    """Accumulates seconds per label; `phase` prefixes the labels of wrapped calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.phase = ""

    def wrap(self, fn: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            label = f"{self.phase}/{name}"
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t0

        return timed


class TimedRanker:
    """Wraps a ranker: total seconds, users ranked, and a progress line to stderr every `every` s."""

    def __init__(self, name: str, rank: Ranker, users: int, every: float = 20.0) -> None:
        self.name, self.rank, self.users, self.every = name, rank, users, every
        self.seconds, self.done = 0.0, 0
        self._last = time.perf_counter()

    def __call__(self, user: str, history: list[Any], exclude: set[str], k: int) -> list[str]:
        t0 = time.perf_counter()
        out = self.rank(user, history, exclude, k)
        now = time.perf_counter()
        self.seconds += now - t0
        self.done += 1
        if now - self._last > self.every:
            self._last = now
            per_user = self.seconds / self.done
            eta = per_user * (self.users - self.done)
            print(
                f"  ... evaluate/{self.name}: {self.done}/{self.users} users, "
                f"{1e3 * per_user:.1f} ms/user, ~{eta:.0f} s left for this ranker",
                file=sys.stderr,
                flush=True,
            )
        return out


class TimedRegistry(ModelRegistry):
    """Times `promote` (verify re-hashes every file, then the pointer write)."""

    promote_seconds = 0.0

    def promote(self, version: str) -> Manifest:
        t0 = time.perf_counter()
        try:
            return super().promote(version)
        finally:
            self.promote_seconds += time.perf_counter() - t0


@dataclass
class Captured:
    matrices: list[InteractionMatrix]
    rankers: list[TimedRanker]
    evaluated_users: int = 0
    sampled_users: int = 0
    evaluate_started: float = 0.0


@contextmanager
def instrument(clock: Clock, eval_users: int | None, seed: int) -> Iterator[Captured]:
    """Wrap what memfeed.training.retrain calls so each step is timed in place (restored on exit)."""
    captured = Captured([], [])
    names = ("fit", "temporal_split", "recent_popularity_vector", "fit_factors", "save_bundle")
    original_build = retrain.build_matrix
    original_eval = retrain.evaluate_rankers

    def build_matrix(*args: Any, **kwargs: Any) -> InteractionMatrix:
        matrix = original_build(*args, **kwargs)
        captured.matrices.append(matrix)
        return matrix

    def evaluate_rankers(split: Split, rankers: dict[str, Ranker], *args: Any, **kwargs: Any) -> Any:
        captured.evaluated_users = len(split.test)
        if eval_users is not None and eval_users < len(split.test):
            rng = np.random.default_rng(seed)
            keep = rng.choice(sorted(split.test), eval_users, replace=False).tolist()
            split = dataclasses.replace(split, test={u: split.test[u] for u in keep})
        captured.sampled_users = len(split.test)
        print(
            f"  ... evaluate: split, challenger fit and popularity took "
            f"{time.perf_counter() - captured.evaluate_started:.1f} s; ranking {len(split.test):,} of "
            f"{captured.evaluated_users:,} hold-out users with {', '.join(rankers)}",
            file=sys.stderr,
            flush=True,
        )
        timed = {name: TimedRanker(name, rank, len(split.test)) for name, rank in rankers.items()}
        captured.rankers.extend(timed.values())
        return original_eval(split, dict(timed), *args, **kwargs)

    with ExitStack() as stack:
        for name in names:
            if hasattr(retrain, name):
                wrapped = clock.wrap(getattr(retrain, name), name)
                stack.enter_context(mock.patch.object(retrain, name, wrapped))
        stack.enter_context(
            mock.patch.object(retrain, "build_matrix", clock.wrap(build_matrix, "build_matrix"))
        )
        stack.enter_context(
            mock.patch.object(retrain, "evaluate_rankers", clock.wrap(evaluate_rankers, "evaluate_rankers"))
        )
        yield captured


def bare_fit(matrix: Any, seed: int, **params: Any) -> float:
    """A plain `implicit` fit as its docs show it: no thread limits, progress bar off."""
    from implicit.cpu.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(random_state=seed, **params)
    t0 = time.perf_counter()
    model.fit(matrix, show_progress=False)
    return time.perf_counter() - t0


# ----------------------------------------------------------------------------------------- main


def run(args: argparse.Namespace, tmp: Path) -> None:
    """Setup, the timed retrain, the baseline fits and the report, with everything written under `tmp`."""
    url = f"sqlite:///{(tmp / 'bench.db').as_posix()}"
    now = datetime.now(UTC).replace(microsecond=0)

    t0 = time.perf_counter()
    data = make_data(args.items, args.users, args.events, args.topics, args.weeks, now, args.seed)
    gen_s = time.perf_counter() - t0
    database = create_database(url)
    upgrade(database)
    t0 = time.perf_counter()
    write_database(database, data, now)
    insert_s = time.perf_counter() - t0
    with database.session() as session:
        counts = {
            m.__tablename__: session.scalar(select(func.count()).select_from(m))
            for m in (Item, ItemVector, Event)
        }
    db_mb = (tmp / "bench.db").stat().st_size / 1e6
    print(
        f"setup (not part of the retrain): generate {gen_s:.1f} s, bulk insert {insert_s:.1f} s "
        f"-> {counts}, db {db_mb:.0f} MB"
    )

    settings = Settings(_env_file=None, database_url=url, models_dir=tmp / "models")  # type: ignore[call-arg]
    params = retrain.train_params(settings)
    registry = TimedRegistry(settings.models_dir)
    print(f"train params: {params.to_dict()}  holdout_fraction={settings.holdout_fraction}")
    if args.eval_users is not None:
        print(f"--eval-users {args.eval_users}: rankers run on a sample of hold-out users; time extrapolated")

    clock = Clock()
    phases: dict[str, float] = {}
    with instrument(clock, args.eval_users, args.seed) as captured:
        t0 = time.perf_counter()
        training = retrain.load_training_data(database, EMBEDDER_ID, DIM)
        phases["load_training_data"] = time.perf_counter() - t0
        print(
            f"load_training_data: {phases['load_training_data']:.1f} s ({len(training.events):,} events)",
            flush=True,
        )

        clock.phase = "evaluate"
        t0 = captured.evaluate_started = time.perf_counter()
        evaluation = retrain.evaluate(training, params, settings)
        phases["evaluate"] = time.perf_counter() - t0
        print(f"evaluate: {phases['evaluate']:.1f} s", flush=True)

        decision = retrain.decide(evaluation, retrain.PromoteMode.auto, settings.promotion_margin)
        clock.phase = "publish"
        t0 = time.perf_counter()
        manifest = retrain.publish(
            registry, training, params, evaluation, decision, embedder_id=EMBEDDER_ID, settings=settings
        )
        phases["publish"] = time.perf_counter() - t0
        print(f"publish: {phases['publish']:.1f} s -> {manifest.version} ({decision.reason})", flush=True)
    database.dispose()

    full_matrix = captured.matrices[-1]
    print(
        "\nbaseline: bare implicit ALS on the same matrix (the one publish fitted on all events)", flush=True
    )
    bare_default = bare_fit(full_matrix.matrix, args.seed)
    bare_same = bare_fit(
        full_matrix.matrix,
        args.seed,
        factors=params.factors,
        regularization=params.regularization,
        alpha=params.alpha,
        iterations=params.iterations,
    )

    s = clock.seconds
    rank_s = sum(r.seconds for r in captured.rankers)
    scale = captured.evaluated_users / max(captured.sampled_users, 1)
    eval_full = phases["evaluate"] + rank_s * (scale - 1)
    eval_known = ("temporal_split", "fit", "recent_popularity_vector")
    eval_other = phases["evaluate"] - sum(s[f"evaluate/{n}"] for n in eval_known) - rank_s
    publish_fit = s["publish/fit"]
    commit_s = phases["publish"] - publish_fit - s["publish/save_bundle"] - registry.promote_seconds
    total = phases["load_training_data"] + eval_full + phases["publish"]

    def fit_rows(phase: str, what: str) -> list[tuple[str, float]]:
        rest = s[f"{phase}/fit"] - s[f"{phase}/build_matrix"] - s[f"{phase}/fit_factors"]
        return [
            (f"  {what} fit()", s[f"{phase}/fit"]),
            ("    build_matrix", s[f"{phase}/build_matrix"]),
            ("    fit_factors (ALS)", s[f"{phase}/fit_factors"]),
            ("    rest of fit() (content map, ...)", rest),
        ]

    rows: list[tuple[str, float]] = [
        ("load_training_data (events + vectors)", phases["load_training_data"]),
        ("evaluate" + (" (ranking extrapolated to all users)" if scale > 1 else ""), eval_full),
        ("  temporal_split", s["evaluate/temporal_split"]),
        *fit_rows("evaluate", "challenger"),
        ("  recent_popularity_vector", s["evaluate/recent_popularity_vector"]),
    ]
    for r in captured.rankers:
        label = f"  rank {r.name} ({r.done:,} users, {1e3 * r.seconds / max(r.done, 1):.2f} ms/user)"
        rows.append((label + (f" x{scale:.1f}" if scale > 1 else ""), r.seconds * scale))
    rows += [
        ("  other (rankers' setup, metrics)", eval_other),
        ("publish", phases["publish"]),
        *fit_rows("publish", "all-events"),
        ("  save_bundle (factors + hybrid index)", s["publish/save_bundle"]),
        ("  registry commit (hash, manifest, rename)", commit_s),
        ("  registry promote (verify + pointer)", registry.promote_seconds),
    ]
    print(f"\n{'phase':<62} {'seconds':>9} {'share':>7}")
    for label, sec in rows:
        print(f"{label:<62} {sec:>9.2f} {sec / total:>7.1%}")
    print(f"{'total retrain':<62} {total:>9.2f}")
    print(f"{'target':<62} {TARGET_SECONDS:>9.2f}")
    verdict = "met" if total <= TARGET_SECONDS else f"NOT met ({total / TARGET_SECONDS:.1f}x the target)"
    print(f"target <= {TARGET_SECONDS:.0f} s: {verdict}  (loadavg(1m) now {os.getloadavg()[0]:.2f})")

    m = full_matrix.matrix
    kind = "hnsw" if (manifest.path / "hybrid_index" / "index.faiss").exists() else "flat"
    print(
        f"\ndata: {len(training.events):,} events, {training.users:,} users, {len(training.catalog.item_ids):,} "
        f"items, matrix {m.shape[0]:,}x{m.shape[1]:,} nnz={m.nnz:,}; hold-out users evaluated: "
        f"{captured.evaluated_users:,} (ranked here: {captured.sampled_users:,}); hybrid index: {kind} "
        f"(hnsw_threshold={settings.hnsw_threshold:,})"
    )
    print(f"metrics: { {k: v.get('ndcg@10') for k, v in evaluation.metrics.items()} } (ndcg@10)")

    fit_only = s["publish/fit_factors"]
    fits = [
        (f"memfeed fit() on all events (f={params.factors})", publish_fit),
        ("  of which fit_factors", fit_only),
        ("bare implicit, library defaults (f=100, it=15)", bare_default),
        (f"bare implicit, memfeed's hyper-parameters (f={params.factors})", bare_same),
    ]
    print("\nALS fit on all events, memfeed vs bare implicit (same matrix, same process):")
    for label, sec in fits:
        print(f"  {label:<60} {sec:>8.2f} s")
    print(f"  {'ratio memfeed fit() / bare default fit':<60} {publish_fit / bare_default:>8.2f}x")
    print(f"  {'ratio fit_factors / bare default fit':<60} {fit_only / bare_default:>8.2f}x")
    print(f"  {'ratio fit_factors / bare fit, same hyper-parameters':<60} {fit_only / bare_same:>8.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--topics", type=int, default=50)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="100k events, 5k items, 2k users")
    parser.add_argument(
        "--eval-users",
        type=int,
        default=None,
        help="rank only a random sample of N hold-out users and extrapolate the ranking time to all of them "
        "(memfeed's evaluate() has no sampling option: the bench restricts the split it passes on)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, models)")
    args = parser.parse_args()
    if args.quick:
        args.events, args.items, args.users = 100_000, 5_000, 2_000

    import implicit
    import implicit.cpu.als  # noqa: F401 - imported up front so no timed fit pays for the import
    import threadpoolctl

    blas = sorted({(p["internal_api"], p["num_threads"]) for p in threadpoolctl.threadpool_info()})
    print(
        f"events={args.events:,} items={args.items:,} users={args.users:,} topics={args.topics} "
        f"weeks={args.weeks} implicit={implicit.__version__} blas={blas} cpus={os.cpu_count()} "
        f"loadavg(1m)={os.getloadavg()[0]:.2f}"
    )
    print(
        f"content vectors: random unit vectors clustered by topic ({DIM}-d float32), stored under the fake "
        f"embedder id {EMBEDDER_ID!r}; embedding {args.items:,} texts with MiniLM is not part of this run "
        "(see bench/bench_embed.py)"
    )

    tmp = Path(tempfile.mkdtemp(prefix="memfeed-bench-retrain-"))
    try:
        run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
