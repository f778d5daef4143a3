"""The generated demo data: deterministic, catalog-like, varied, topical, and behaviourally plausible."""

from __future__ import annotations

import math
import random
import re
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from memfeed.demo.data import EVENT_TYPES, TOPICS, DemoDataset, _fill, generate_demo
from memfeed.demo.vocabulary import GENERIC_TITLES, LEADS, VOCAB

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POSITIVE = {"like", "save", "share", "purchase", "click", "dwell"}
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


@pytest.fixture(scope="module")
def demo() -> DemoDataset:
    return generate_demo(now=NOW)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def max_skeleton_share(titles: list[str]) -> float:
    """Share of the most common title 'shape': words used by >= 2% of titles kept, everything else blanked.

    A template with words swapped in keeps its fixed words, so all its titles share one skeleton.
    """
    counts = Counter(w for t in titles for w in set(words(t)))
    common = {w for w, c in counts.items() if c >= 0.02 * len(titles)}
    shapes = Counter(
        re.sub(
            r"(_ )+", "_ ", " ".join(w if w in common else "_" for w in words(re.sub(r"\d+", "#", t))) + " "
        )
        for t in titles
    )
    return shapes.most_common(1)[0][1] / len(titles)


def kind_of(demo: DemoDataset) -> dict[tuple[str, str], str]:
    """(user, item) -> taste / dislike / neutral."""
    category = {i.item_id: i.category for i in demo.items}
    users = {u.user_id: u for u in demo.users}
    out = {}
    for e in demo.events:
        user, topic = users[e.user_id], category[e.item_id]
        out[e.user_id, e.item_id] = (
            "taste" if topic in user.tastes else "dislike" if topic in user.dislikes else "neutral"
        )
    return out


def test_same_seed_and_now_give_equal_datasets(demo: DemoDataset) -> None:
    assert generate_demo(now=NOW) == demo
    other = generate_demo(seed=8, now=NOW)
    assert [i.title for i in other.items] != [i.title for i in demo.items]
    assert [(e.item_id, e.type) for e in other.events] != [(e.item_id, e.type) for e in demo.events]


def test_default_now_is_current_utc_minute() -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    data = generate_demo(n_items=64, n_users=4, weeks=1)
    assert data.now.tzinfo is not None and data.now.utcoffset() == timedelta(0)
    assert data.now.second == 0 and data.now.microsecond == 0
    assert before <= data.now <= datetime.now(UTC)


def test_catalog_size_balance_and_identity(demo: DemoDataset) -> None:
    assert len(TOPICS) >= 15 and len(set(TOPICS)) == len(TOPICS)
    assert len(demo.items) >= 1000
    per_topic = Counter(i.category for i in demo.items)
    assert set(per_topic) == set(TOPICS)
    assert min(per_topic.values()) >= 40
    assert max(per_topic.values()) - min(per_topic.values()) <= 1
    assert len({i.item_id for i in demo.items}) == len(demo.items)
    assert len({i.title for i in demo.items}) == len(demo.items)
    for item in demo.items:
        assert ID_PATTERN.match(item.item_id), item.item_id
        assert 0 < len(item.title) <= 200 and 0 < len(item.text) <= 1000
        assert "{" not in item.title + item.text and "  " not in item.title + item.text
        assert item.title[0].isupper() or item.title[0].isdigit() or item.title[0] in '"i'
        assert 2 <= len(item.tags) <= 5 and len(set(item.tags)) == len(item.tags)
        assert all(t == t.lower() and t for t in item.tags)
        assert 1 <= len(re.split(r"(?<=[.!?])\s+(?=[A-Z\"])", item.text)) <= 3


def test_items_are_published_over_the_period_up_to_now(demo: DemoDataset) -> None:
    published = [i.published_at for i in demo.items]
    assert all(p.utcoffset() == timedelta(0) and p <= demo.now for p in published)
    assert sum(p >= demo.now - timedelta(days=3) for p in published) >= 20
    start = demo.now - timedelta(weeks=6)
    assert sum(p < start for p in published) >= 100  # a back catalog for the first sessions
    weekly = Counter(min((demo.now - p).days // 7, 5) for p in published if p >= start)
    assert len(weekly) == 6 and min(weekly.values()) >= 80


def test_titles_are_varied_not_one_template(demo: DemoDataset) -> None:
    titles = [i.title for i in demo.items]
    prefixes = Counter(" ".join(t.split()[:2]) for t in titles)
    assert len(prefixes) >= 0.25 * len(titles)
    assert prefixes.most_common(1)[0][1] <= 0.10 * len(titles)
    assert max_skeleton_share(titles) <= 0.10
    # The measure does catch a one-template generator.
    subjects = [s for vocab in VOCAB.values() for s in vocab.slots["s"]]
    assert max_skeleton_share([f"Why {s} matters more than you think" for s in subjects]) > 0.5
    for topic in TOPICS:
        topic_titles = [t for i, t in zip(demo.items, titles, strict=True) if i.category == topic]
        assert max_skeleton_share(topic_titles) <= 0.15, topic
        assert len({" ".join(t.split()[:3]) for t in topic_titles}) >= 0.4 * len(topic_titles), topic


def test_descriptions_vary(demo: DemoDataset) -> None:
    texts = [i.text for i in demo.items]
    assert len(set(texts)) >= 0.9 * len(texts)
    openings = Counter(" ".join(t.split()[:4]) for t in texts)
    assert openings.most_common(1)[0][1] <= 0.05 * len(texts)


def test_texts_are_recognisably_about_their_topic(demo: DemoDataset) -> None:
    """Leave-one-out naive Bayes on title and text words alone (no category, no tags) recovers the topic."""
    docs = [(i.category, words(f"{i.title} {i.text}")) for i in demo.items]
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for topic, ws in docs:
        counts[topic].update(ws)
    totals = {t: sum(c.values()) for t, c in counts.items()}
    vocab_size = len({w for c in counts.values() for w in c})
    correct = 0
    for topic, ws in docs:
        own = Counter(ws)

        def score(t: str, ws: list[str] = ws, topic: str = topic, own: Counter[str] = own) -> float:
            held = own if t == topic else Counter()
            total = totals[t] - (len(ws) if t == topic else 0) + vocab_size
            return sum(math.log((counts[t][w] - held[w] + 1) / total) for w in ws)

        correct += max(TOPICS, key=score) == topic
    assert correct / len(docs) >= 0.95


def test_every_template_and_sentence_fills_from_its_topic() -> None:
    rng = random.Random(0)
    for topic, vocab in VOCAB.items():
        assert {"s", "person", "place", "aud"} <= set(vocab.slots), topic
        assert len(vocab.slots["s"]) >= 20 and len(vocab.titles) >= 10 and len(vocab.details) >= 8, topic
        sentences = [t for _, t in vocab.titles + GENERIC_TITLES] + list(vocab.details)
        sentences += [s for leads in LEADS.values() for s in leads]
        for template in sentences:
            text = _fill(template, vocab, {}, rng)
            assert "{" not in text and "}" not in text and text[0] != " ", (topic, template)
    assert {angle for vocab in VOCAB.values() for angle, _ in vocab.titles} <= set(LEADS)


def test_users_have_tastes_and_some_dislikes(demo: DemoDataset) -> None:
    assert len({u.user_id for u in demo.users}) == len(demo.users) == 200
    for user in demo.users:
        assert ID_PATTERN.match(user.user_id)
        assert 1 <= len(user.tastes) <= 3 and len(user.dislikes) <= 2
        assert set(user.tastes) <= set(TOPICS) and set(user.dislikes) <= set(TOPICS)
        assert not set(user.tastes) & set(user.dislikes)
        assert len(set(user.tastes)) == len(user.tastes)
    assert sum(len(u.tastes) <= 2 for u in demo.users) >= 0.7 * len(demo.users)
    assert sum(bool(u.dislikes) for u in demo.users) >= 0.3 * len(demo.users)


def test_events_happen_after_publication_and_before_now(demo: DemoDataset) -> None:
    published = {i.item_id: i.published_at for i in demo.items}
    start = demo.now - timedelta(weeks=6)
    stamps = [e.timestamp for e in demo.events]
    assert stamps == sorted(stamps)
    for event in demo.events:
        assert event.timestamp.utcoffset() == timedelta(0)
        assert start <= event.timestamp <= demo.now
        assert event.timestamp >= published[event.item_id]
    assert len({e.event_id for e in demo.events}) == len(demo.events)
    assert all(ID_PATTERN.match(e.event_id) for e in demo.events)


def test_activity_has_a_long_tail(demo: DemoDataset) -> None:
    per_user = Counter(e.user_id for e in demo.events)
    counts = [per_user[u.user_id] for u in demo.users]
    assert sum(c >= 20 for c in counts) >= 0.6 * len(counts)
    assert any(c < 20 for c in counts)
    assert sum(c >= 150 for c in counts) >= 3
    assert sum(20 <= c <= 80 for c in counts) >= 0.4 * len(counts)


def test_engagement_follows_tastes(demo: DemoDataset) -> None:
    kinds = kind_of(demo)
    by_user: dict[str, list[str]] = defaultdict(list)
    for e in demo.events:
        if e.type in POSITIVE:
            by_user[e.user_id].append(kinds[e.user_id, e.item_id])
    per_user = Counter(e.user_id for e in demo.events)
    for user in demo.users:
        if per_user[user.user_id] >= 20:
            positives = by_user[user.user_id]
            assert positives.count("taste") >= 0.7 * len(positives), user
    views = Counter(kinds[e.user_id, e.item_id] for e in demo.events if e.type == "view")
    assert 0.78 <= views["taste"] / sum(views.values()) <= 0.92


def test_event_types_and_values_are_plausible(demo: DemoDataset) -> None:
    kinds = kind_of(demo)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    for e in demo.events:
        assert e.type in EVENT_TYPES
        by_type[e.type][kinds[e.user_id, e.item_id]] += 1
        if e.type == "dwell":
            assert e.value is not None and 0 < e.value <= 1800
        elif e.type == "rating":
            assert e.value is not None and 0.5 <= e.value <= 5.0
        else:
            assert e.value is None
    totals = {t: sum(c.values()) for t, c in by_type.items()}
    assert set(totals) == set(EVENT_TYPES)
    assert max(totals, key=lambda t: totals[t]) == "view"
    assert totals["click"] > totals["like"] > totals["purchase"] > 0
    for kind in ("like", "save", "share", "purchase"):
        assert by_type[kind]["taste"] >= 0.9 * totals[kind], kind
    assert by_type["skip"]["taste"] < 0.5 * totals["skip"]
    for kind in ("hide", "dislike"):
        assert by_type[kind]["taste"] == 0 and by_type[kind]["dislike"] >= 0.5 * totals[kind], kind
    ratings: dict[bool, list[float]] = defaultdict(list)
    for e in demo.events:
        if e.type == "rating" and e.value is not None:
            ratings[kinds[e.user_id, e.item_id] == "taste"].append(e.value)
    assert sum(ratings[True]) / len(ratings[True]) > sum(ratings[False]) / len(ratings[False]) + 1


def test_per_item_behaviour_is_consistent(demo: DemoDataset) -> None:
    per_pair: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for e in demo.events:
        per_pair[e.user_id, e.item_id][e.type] += 1
    for pair, types in per_pair.items():
        assert not (types["like"] and types["dislike"]), pair
        assert 1 <= types["view"] <= 3, pair
        assert all(
            types[k] <= 1 for k in ("like", "dislike", "save", "share", "rating", "purchase", "hide")
        ), pair
    assert sum(types["view"] == 1 for types in per_pair.values()) >= 0.8 * len(per_pair)


def test_small_and_custom_parameters() -> None:
    data = generate_demo(n_items=80, n_users=10, weeks=2, seed=3, now=NOW)
    assert len(data.items) == 80 and len(data.users) == 10
    assert {i.category for i in data.items} == set(TOPICS)
    assert all(e.timestamp >= NOW - timedelta(weeks=2) for e in data.events)
    assert generate_demo(n_items=80, n_users=10, weeks=2, seed=3, now=NOW) == data


def test_generation_is_fast() -> None:
    started = time.perf_counter()
    generate_demo()
    assert time.perf_counter() - started < 2.0
