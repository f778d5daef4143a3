"""Taste decays relative to the user's latest event: the same history weighs the same whether it happened
yesterday or ten years ago, in the feed's profile, its fold-in weights and training's confidence matrix."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from memfeed.events.records import Interaction
from memfeed.feed.profile import item_weights
from memfeed.feed.ranking import relative_strength
from memfeed.model.factors import build_matrix

RECENT = datetime(2026, 12, 1, tzinfo=UTC)
DECADE = timedelta(days=3652)


def history(end: datetime) -> list[Interaction]:
    """Newest first, as the feed reads them: a like at `end`, a save 14 days before, a view 28 days before."""
    return [
        Interaction("a", "like", None, end),
        Interaction("b", "save", None, end - timedelta(days=14)),
        Interaction("c", "view", None, end - timedelta(days=28)),
        Interaction("d", "dislike", None, end - timedelta(days=14)),
    ]


def test_profile_weights_do_not_depend_on_when_the_user_was_active() -> None:
    recent, _ = item_weights(history(RECENT), half_life_days=14.0)
    old, verbs = item_weights(history(RECENT - DECADE), half_life_days=14.0)
    assert old == pytest.approx(recent)
    assert old == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.3 / 4, "d": -0.5})  # one half-life per 14 days
    assert verbs["a"] == "liked"


def test_training_keeps_a_user_whose_events_are_years_before_the_data_end() -> None:
    rows = [("recent", it.item_id, it.type, it.value, it.ts) for it in history(RECENT)]
    rows += [("archivist", it.item_id, it.type, it.value, it.ts) for it in history(RECENT - DECADE)]
    data = build_matrix(rows, half_life_days=14.0)
    dense = data.matrix.toarray()
    recent, old = dense[data.user_index["recent"]], dense[data.user_index["archivist"]]
    assert old == pytest.approx(recent)
    assert old[data.item_index["a"]] == pytest.approx(1.0)
    assert old[data.item_index["d"]] == 0.0  # negatives never become confidences
    assert data.events == 8 and data.last_event_at == RECENT


def test_anchor_strengths_that_are_all_zero_rank_evenly_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert relative_strength(np.zeros(3)).tolist() == [1.0, 1.0, 1.0]
        assert relative_strength(np.array([4.0, 1.0, 0.0])).tolist() == pytest.approx([1.0, 0.5, 0.0])
        assert relative_strength(np.array([np.nan, 1e-300])).tolist() == pytest.approx([0.0, 1.0])
