"""Tune memfeed's hybrid on validation carved from the training side only, then evaluate the choice once on test.

    python scripts/tune.py [--grid quick|lifecycle|slots|freshness|full] [--max-users N] [--out var/tune.json]

(run where `memfeed` finds the database: same MEMFEED_* settings as `memfeed eval`).

Protocol: the test split is `memfeed eval`'s per-user temporal hold-out (each user's last `holdout` share of
events). Tuning never sees it: validation is carved from each user's training events the same way (their last
`holdout` share of them; `protocols.validation_of`); every configuration is fitted on the validation's training
side and scored on its users (NDCG@10, beside the baselines on the same users), and the best configuration by
validation NDCG@10 is then evaluated once under every protocol of `memfeed eval`, beside the baselines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memfeed.catalog.embedding import load_embedder  # noqa: E402
from memfeed.platform.settings import Settings, get_settings  # noqa: E402
from memfeed.platform.storage.db import open_database  # noqa: E402
from memfeed.training.benchmark import EvalOptions, run_protocol  # noqa: E402
from memfeed.training.protocols import TEMPORAL, Holdout, build, histories, validation_of  # noqa: E402
from memfeed.training.reports import run_eval  # noqa: E402
from memfeed.training.retrain import TrainingData, load_training_data  # noqa: E402

BASELINES = ("most_popular", "item_knn", "als", "content_only")

GRIDS: dict[str, dict[str, list[Any]]] = {
    "quick": {
        "cf_weight": [0.6, 0.8],
        "feed_popularity_weight": [0.2, 0.4],
        "feed_popularity_window_days": [3650.0],
        "feed_freshness_weight": [0.1, 0.3],
        "feed_freshness_days": [7.0, 730.0],
    },
    "lifecycle": {
        "cf_weight": [0.4, 0.6],
        "feed_popularity_weight": [0.05, 0.2, 0.4],
        "feed_popularity_window_days": [7.0, 90.0, 3650.0],
        "feed_freshness_weight": [0.1, 0.3],
        "feed_freshness_days": [7.0, 730.0],
    },
    "slots": {"feed_new_item_slots": [0, 1, 2, 3]},
    "freshness": {"feed_freshness_quantile": [0.1, 0.25, 0.5], "feed_freshness_weight": [0.3, 0.5]},
    "full": {
        "cf_weight": [0.4, 0.6, 0.8, 0.9],
        "feed_popularity_weight": [0.05, 0.15, 0.3],
        "als_factors": [32, 64, 128],
        "als_regularization": [0.05, 0.5],
        "als_alpha": [5.0, 20.0],
        "feed_popularity_window_days": [7.0, 90.0, 3650.0],
    },
}


def validation_split(data: TrainingData, holdout: float, max_users: int | None, seed: int) -> Holdout:
    """Validation from the per-user temporal training side: all that tuning may look at."""
    test = build(TEMPORAL, histories(data.events), data.catalog.item_ids, fraction=holdout)
    return validation_of(test, holdout).sample(max_users, seed)


def ndcg(
    data: TrainingData, validation: Holdout, settings: Settings, models: tuple[str, ...]
) -> dict[str, float]:
    run = run_protocol(validation, data, settings, EvalOptions(models=models, k=10), None)
    return {name: float(metrics["ndcg@10"].mean()) for name, metrics in run.per_user.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holdout", type=float, default=None, help="test share (default: the setting)")
    parser.add_argument("--grid", choices=sorted(GRIDS), default="quick")
    parser.add_argument("--max-users", type=int, default=None, help="validation users (fixed-seed sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    base = get_settings()
    holdout = args.holdout if args.holdout is not None else base.holdout_fraction
    base = replace_settings(base, holdout_fraction=holdout)
    embedder = load_embedder(base.embedding_model, base.embedding_device, base.embedding_batch_size)
    with open_database(base) as database:
        data = load_training_data(database, embedder.embedder_id, embedder.dim)
    validation = validation_split(data, holdout, args.max_users, args.seed)
    print(
        f"{len(data.events)} events; tuning on {validation.train_events} validation-training events, "
        f"{len(validation.users)} validation users",
        flush=True,
    )
    baselines = ndcg(data, validation, base, BASELINES)
    best_baseline = max(baselines.values())
    print(f"validation baselines NDCG@10: {json.dumps(baselines)}", flush=True)

    grid = GRIDS[args.grid]
    rows: list[dict[str, Any]] = []
    for values in itertools.product(*grid.values()):
        overrides = dict(zip(grid, values, strict=True))
        started = time.perf_counter()
        score = ndcg(data, validation, replace_settings(base, **overrides), ("memfeed",))["memfeed"]
        row = {
            **overrides,
            "val_ndcg@10": round(score, 5),
            "val_ratio_to_best_baseline": round(score / best_baseline, 4) if best_baseline else None,
            "seconds": round(time.perf_counter() - started, 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    best = max(rows, key=lambda r: r["val_ndcg@10"])
    chosen = {k: best[k] for k in grid}
    print(f"best on validation: {chosen} (NDCG@10 {best['val_ndcg@10']:.4f})", flush=True)

    report = run_eval(
        data, replace_settings(base, **chosen), EvalOptions(holdout_fraction=holdout, seed=args.seed)
    )
    print(report.markdown())
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            json.dumps(
                {"validation_baselines": baselines, "grid": rows, "chosen": chosen, "test": report.to_dict()},
                indent=2,
            )
        )


def replace_settings(settings: Settings, **overrides: Any) -> Settings:
    return settings.model_copy(update=overrides)


if __name__ == "__main__":
    main()
