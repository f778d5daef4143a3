"""How much cold-start recall is reachable at all, measured on the validation split (never the test split).

    python scripts/cold_ceiling.py [--holdout 0.2]

(run where `memfeed` finds the database, as for `memfeed eval`). The tuning protocol of scripts/tune.py: the
validation split is the latest `holdout` share of the events before the test cut. With the default settings
it scores every validation user once, then ranks the page three ways:

- with a bonus `b` added to every item new to the model (no training event): the whole trade-off curve between
  warm and cold recall that a serving-time rule can reach (b = 0 is memfeed as served; a large b fills the page
  with new items, best first by memfeed's own score);
- among the items that will in fact be engaged with later only (an oracle no server has): an upper bound.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from tune import replace_settings, training_side  # noqa: E402

from memfeed.catalog.embedding import load_embedder  # noqa: E402
from memfeed.feed.ranking import serving_weights  # noqa: E402
from memfeed.platform.settings import get_settings  # noqa: E402
from memfeed.platform.storage.db import open_database  # noqa: E402
from memfeed.training.evaluation import ndcg_at_k, recall_at_k, temporal_split  # noqa: E402
from memfeed.training.offline import hybrid_scorer, recent_popularity_vector  # noqa: E402
from memfeed.training.retrain import fit, load_training_data, profile_settings, train_params  # noqa: E402

K = 10
BONUSES = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 10.0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--holdout", type=float, default=None)
    args = parser.parse_args()
    settings = get_settings()
    if args.holdout is not None:
        settings = replace_settings(settings, holdout_fraction=args.holdout)
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    with open_database(settings) as database:
        data = load_training_data(database, embedder.embedder_id, embedder.dim)
    train = training_side(data, settings.holdout_fraction)
    split = temporal_split(train.events, data.catalog.item_ids, settings.holdout_fraction)
    events = [(u, it) for u, its in split.train.items() for it in its]
    params = train_params(settings)
    factors = fit(events, data.catalog, params)
    popularity = recent_popularity_vector(
        data.catalog, split.train, split.cut, settings.feed_popularity_window_days
    )
    profile = profile_settings(split, data.catalog, settings)
    scorer = hybrid_scorer(
        data.catalog, factors, popularity, serving_weights(settings, params.cf_weight), profile, split.cut
    )
    ids = data.catalog.item_ids
    trained = {it.item_id for _, it in events}
    new_to_model = np.array([i not in trained for i in ids])
    will_be_engaged = np.array([i in split.cold_items for i in ids])
    users = []
    for user, relevant in split.test.items():
        scores = scorer(user, split.train[user])
        if scores is None:
            continue
        seen = [
            data.catalog.position[it.item_id]
            for it in split.train[user]
            if it.item_id in data.catalog.position
        ]
        scores = scores.copy()
        scores[seen] = -np.inf
        users.append((relevant, relevant & split.cold_items, scores))
    print(
        f"validation cut {split.cut:%Y-%m-%d}: {len(users)} users; {int(new_to_model.sum())} items new to the "
        f"model, of which {int(will_be_engaged.sum())} are engaged with after the cut\n"
    )
    print("| ranking | NDCG@10 | recall warm | recall cold | cold / warm |\n| --- | --- | --- | --- | --- |")
    for bonus in BONUSES:
        report(f"new-item bonus {bonus:g}", users, ids, lambda s, b=bonus: s + b * new_to_model)
    report(
        "oracle: only items engaged with later", users, ids, lambda s: np.where(will_be_engaged, s, -np.inf)
    )


def report(name: str, users: list, ids: list[str], rerank) -> None:  # type: ignore[type-arg]
    ndcg = warm = cold = 0.0
    n_warm = n_cold = 0
    for relevant, relevant_cold, scores in users:
        adjusted = rerank(scores)
        top = np.argpartition(-adjusted, K)[:K]
        ranked = [ids[i] for i in top[np.argsort(-adjusted[top])]]
        ndcg += ndcg_at_k(ranked, relevant, K)
        if relevant_cold:
            cold += recall_at_k(ranked, relevant_cold, K)
            n_cold += 1
        if relevant - relevant_cold:
            warm += recall_at_k(ranked, relevant - relevant_cold, K)
            n_warm += 1
    w, c = warm / max(n_warm, 1), cold / max(n_cold, 1)
    print(
        f"| {name} | {ndcg / max(len(users), 1):.4f} | {w:.4f} | {c:.4f} | {c / w if w else float('inf'):.2f} |"
    )


if __name__ == "__main__":
    main()
