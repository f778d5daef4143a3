"""The per-user protocols of `memfeed eval` on small generated histories: who is held out, what is relevant,
that validation never touches a held-out event, and that new items have no training interaction."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from memfeed.events.records import Interaction
from memfeed.training.protocols import (
    choose_new_items,
    histories,
    leave_last_one,
    new_items,
    per_user_temporal,
    validation_of,
)

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def event(item: str, day: float, kind: str = "like", value: float | None = None) -> Interaction:
    return Interaction(item, kind, value, T0 + timedelta(days=day))


def test_histories_sort_by_time_and_keep_insertion_order_on_ties() -> None:
    events = [("u", event("late", 5)), ("u", event("b", 1)), ("u", event("a", 1)), ("v", event("x", 0))]
    by_user = histories(events)
    assert [e.item_id for e in by_user["u"]] == ["b", "a", "late"]


def test_per_user_temporal_holds_out_each_users_last_fifth() -> None:
    by_user = {
        # 10 events: 8 train, the last 2 held out (one like, one dislike)
        "ten": [event(f"i{n}", n) for n in range(8)] + [event("liked", 8), event("hated", 9, "dislike")],
        # 2 events: round(1.6) = 2 train, nothing held out: not evaluated
        "two": [event("a", 0), event("b", 1)],
        # 5 events: 4 train, the held-out positive is on an item already seen in training: unreachable
        "again": [event("a", 0, "view"), event("b", 1), event("c", 2), event("d", 3), event("a", 4)],
        # 5 events: the held-out one is only a view (weight 0.3 < 0.5): no positive, not evaluated
        "viewer": [event(f"i{n}", n) for n in range(4)] + [event("z", 4, "view")],
    }
    split = per_user_temporal(
        by_user, [f"i{n}" for n in range(8)] + ["liked", "hated", "a", "b", "c", "d", "z"]
    )
    assert split.relevant == {"ten": {"liked"}}
    assert len(split.train["ten"]) == 8 and len(split.train["two"]) == 2 and len(split.train["again"]) == 4
    assert split.held_out_events == 2 + 0 + 1 + 1
    assert split.users == ["ten"]


def test_ties_at_the_cut_follow_insertion_order() -> None:
    # five events at one instant: the first four (as inserted) train, the fifth is held out
    by_user = histories([("u", event(name, 1)) for name in "qwert"])
    split = per_user_temporal(by_user, list("qwert"))
    assert [e.item_id for e in split.train["u"]] == list("qwer") and split.relevant == {"u": {"t"}}


def generated(users: int = 40, seed: int = 3) -> dict[str, list[Interaction]]:
    rng = random.Random(seed)
    kinds = ["like", "like", "view", "click", "dislike"]
    out = []
    for u in range(users):
        for _ in range(rng.randint(1, 25)):
            out.append((f"u{u}", event(f"i{rng.randint(0, 59)}", rng.randint(0, 400), rng.choice(kinds))))
    return histories(out)


def test_validation_is_carved_from_training_and_never_sees_a_held_out_event() -> None:
    by_user = generated()
    items = [f"i{n}" for n in range(60)]
    test = per_user_temporal(by_user, items)
    validation = validation_of(test)
    for user, events in by_user.items():
        train = test.train.get(user, [])
        held_out = events[len(train) :]
        val_train = validation.train.get(user, [])
        assert events[: len(train)] == train
        # validation's training and validation's held-out events are both a prefix of the test training side
        assert val_train == train[: len(val_train)]
        for e in held_out:
            assert not any(e is t for t in train)
        if user in validation.relevant:
            assert validation.relevant[user] <= {e.item_id for e in train[len(val_train) :]}
    assert validation.users and set(validation.users) <= set(test.train)


def test_leave_last_one_holds_out_the_last_positive_and_what_came_after() -> None:
    by_user = {
        "u": [
            event("a", 0),
            event("target", 1, "view"),  # an earlier event on the target: dropped from training
            event("b", 2),
            event("target", 3, "like"),  # the last positive: held out
            event("c", 4, "dislike"),  # after it: dropped
        ],
        "only_negative": [event("a", 0, "dislike")],
        "single": [event("a", 0)],  # one positive and nothing before it: not evaluated
    }
    split = leave_last_one(by_user, ["a", "b", "c", "target"])
    assert split.relevant == {"u": {"target"}}
    assert [e.item_id for e in split.train["u"]] == ["a", "b"]
    assert "only_negative" in split.train and "single" not in split.train


def test_new_items_lose_every_training_interaction_and_stay_in_the_catalog() -> None:
    by_user = generated(80)
    items = [f"i{n}" for n in range(60)]
    split = new_items(by_user, items, share=0.15, seed=7)
    assert len(split.new_items) == 9 and split.new_items == choose_new_items(items, 0.15, 7)
    assert split.items == items  # still candidates, with their text (the catalog is unchanged)
    assert not any(e.item_id in split.new_items for events in split.train.values() for e in events)
    base = leave_last_one(by_user, items)
    # same held-out targets as leave-last-one, for the users who keep a training event
    assert all(split.relevant[u] == base.relevant[u] for u in split.relevant)
    assert any(split.relevant[u] & split.new_items for u in split.relevant)
    assert any(not (split.relevant[u] & split.new_items) for u in split.relevant)
    assert choose_new_items(items, 0.15, 8) != split.new_items


def test_sampling_keeps_training_for_everyone_and_is_reproducible() -> None:
    split = per_user_temporal(generated(), [f"i{n}" for n in range(60)])
    sample = split.sample(5, seed=1)
    assert len(sample.users) == 5 and sample.sampled_from == len(split.users)
    assert sample.train is split.train and sample.users == split.sample(5, seed=1).users
    assert split.sample(None) is split


@pytest.mark.parametrize("name", ["temporal", "last_one", "new_items"])
def test_build_knows_every_protocol(name: str) -> None:
    from memfeed.training.protocols import build

    assert build(name, generated(), [f"i{n}" for n in range(60)]).name == name
    with pytest.raises(ValueError):
        build("global", generated(), [])
