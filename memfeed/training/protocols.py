"""The evaluation protocols of `memfeed eval`: who is held out, what counts as relevant, what is a candidate.

Every protocol works on per-user histories (each user's events sorted by time, ties kept in insertion order)
and produces a `Holdout`: every user's training events, and for each evaluated user the held-out positive items
that a recommender could still show them (those not seen in that user's training events). Candidates are every
catalog item the user has not seen in training. Three protocols:

- `per_user_temporal`: each user's last `fraction` of events held out (`round(n x (1 - fraction))` train);
- `leave_last_one`: each user's last positive event held out, trained on what came before it;
- `new_items`: leave-last-one where a fixed-seed share of the catalog loses every training interaction (the
  items keep their text, so their content vectors), to measure how new items reach pages.

Validation for tuning is `per_user_temporal` applied to a holdout's training side (`validation_of`): it never
looks at a held-out event.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from memfeed.events.records import Interaction
from memfeed.events.weights import event_weight

POSITIVE_WEIGHT = 0.5
"""An event is positive (relevant when held out, a 1 in the baselines' matrix) when its weight reaches this:
like, save, share, purchase, click, dwell >= 23 s, rating >= 4 (MovieLens ratings >= 3.5 import as likes)."""

TEMPORAL = "temporal"
LAST_ONE = "last_one"
NEW_ITEMS = "new_items"
PROTOCOLS = (TEMPORAL, LAST_ONE, NEW_ITEMS)


def is_positive(event: Interaction) -> bool:
    return event_weight(event.type, event.value) >= POSITIVE_WEIGHT


@dataclass
class Holdout:
    """One protocol's split of every user's history."""

    name: str
    train: dict[str, list[Interaction]]
    """Every user with >= 1 training event -> those events, in time order."""
    relevant: dict[str, set[str]]
    """Evaluated users -> their held-out positive items not seen in their training events."""
    items: list[str]
    held_out_events: int = 0
    new_items: set[str] = field(default_factory=set)
    """Items that lost every training interaction (the new-items protocol); empty otherwise."""
    sampled_from: int | None = None

    @property
    def users(self) -> list[str]:
        return sorted(self.relevant)

    @property
    def train_events(self) -> int:
        return sum(len(h) for h in self.train.values())

    def sample(self, limit: int | None, seed: int = 0) -> Holdout:
        """At most `limit` evaluated users (fixed-seed sample; training keeps everyone)."""
        if limit is None or len(self.relevant) <= limit:
            return self
        keep = set(random.Random(seed).sample(self.users, limit))
        relevant = {u: r for u, r in self.relevant.items() if u in keep}
        return replace(self, relevant=relevant, sampled_from=len(self.relevant))


def histories(events: Iterable[tuple[str, Interaction]]) -> dict[str, list[Interaction]]:
    """Per user, their events sorted by time; ties stay in the order given (insertion order from the loader)."""
    grouped: dict[str, list[Interaction]] = {}
    for user, event in events:
        grouped.setdefault(user, []).append(event)
    for user_events in grouped.values():
        user_events.sort(key=lambda e: e.ts)  # stable
    return grouped


def _relevant(train: list[Interaction], held_out: Iterable[Interaction]) -> set[str]:
    seen = {e.item_id for e in train}
    return {e.item_id for e in held_out if is_positive(e) and e.item_id not in seen}


def per_user_temporal(
    by_user: dict[str, list[Interaction]], items: Sequence[str], fraction: float = 0.2, name: str = TEMPORAL
) -> Holdout:
    """Each user's last `fraction` of events (by time) held out; evaluated: >= 1 training event and a held-out
    positive on an item unseen in training."""
    train: dict[str, list[Interaction]] = {}
    relevant: dict[str, set[str]] = {}
    held = 0
    for user, events in by_user.items():
        n_train = int(round(len(events) * (1.0 - fraction)))
        if n_train <= 0:
            held += len(events)
            continue
        train[user] = events[:n_train]
        later = events[n_train:]
        held += len(later)
        positives = _relevant(train[user], later)
        if positives:
            relevant[user] = positives
    return Holdout(name, train, relevant, list(items), held)


def leave_last_one(
    by_user: dict[str, list[Interaction]], items: Sequence[str], name: str = LAST_ONE
) -> Holdout:
    """Each user's last positive event held out. Training: the user's events before it, without those on the
    held-out item (the question is whether it would be recommended); later events (never positive) are dropped.
    A user with no positive event keeps every event in training and is not evaluated."""
    train: dict[str, list[Interaction]] = {}
    relevant: dict[str, set[str]] = {}
    held = 0
    for user, events in by_user.items():
        last = next((i for i in range(len(events) - 1, -1, -1) if is_positive(events[i])), None)
        if last is None:
            train[user] = list(events)
            continue
        target = events[last].item_id
        before = [e for e in events[:last] if e.item_id != target]
        held += len(events) - len(before)
        if before:
            train[user] = before
            relevant[user] = {target}
    return Holdout(name, train, relevant, list(items), held)


def choose_new_items(items: Sequence[str], share: float = 0.15, seed: int = 0) -> set[str]:
    """A fixed-seed `share` of the catalog (uniform over items, whatever their popularity)."""
    ordered = sorted(items)
    return set(random.Random(seed).sample(ordered, int(round(len(ordered) * share))))


def new_items(
    by_user: dict[str, list[Interaction]],
    items: Sequence[str],
    share: float = 0.15,
    seed: int = 0,
    name: str = NEW_ITEMS,
) -> Holdout:
    """Leave-last-one where `share` of the items (fixed seed) lose every training interaction but stay in the
    catalog with their content vectors. Users left without training events are not evaluated."""
    base = leave_last_one(by_user, items, name)
    new = choose_new_items(items, share, seed)
    train: dict[str, list[Interaction]] = {}
    for user, events in base.train.items():
        kept = [e for e in events if e.item_id not in new]
        if kept:
            train[user] = kept
    relevant = {u: r for u, r in base.relevant.items() if u in train}
    return Holdout(name, train, relevant, list(items), base.held_out_events, new)


def build(
    protocol: str,
    by_user: dict[str, list[Interaction]],
    items: Sequence[str],
    *,
    fraction: float = 0.2,
    new_share: float = 0.15,
    seed: int = 0,
) -> Holdout:
    if protocol == TEMPORAL:
        return per_user_temporal(by_user, items, fraction)
    if protocol == LAST_ONE:
        return leave_last_one(by_user, items)
    if protocol == NEW_ITEMS:
        return new_items(by_user, items, new_share, seed)
    raise ValueError(f"unknown protocol {protocol!r}: one of {', '.join(PROTOCOLS)}")


def validation_of(holdout: Holdout, fraction: float = 0.2) -> Holdout:
    """Validation carved from a holdout's training side the same per-user way: each user's last `fraction` of
    their training events. Tuning on it never sees a held-out event."""
    return per_user_temporal(holdout.train, holdout.items, fraction, name=f"{holdout.name}/validation")
