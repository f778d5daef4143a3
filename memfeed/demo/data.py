"""Self-generated demo data: a multi-topic catalog, users with tastes, and sessions of behaviour events.

The project may not ship third-party datasets, so the demo builds its own. Items are composed from per-topic
vocabularies (memfeed.demo.vocabulary) so each topic reads like its own section of a content app and embeds apart
from the others, while angles and templates keep titles within a topic varied. Events follow sessions over a
simulated period so the feed has realistic signal: mostly taste topics, some exploration, negative feedback on
disliked topics, and nothing that happens before an item exists or after `now`. Everything derives from
`seed` (and `now`), so two calls with the same arguments return equal datasets.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from memfeed.demo.vocabulary import ALIASABLE, GENERIC_TITLES, LEADS, NUMBERS, VOCAB, TopicVocab

__all__ = ["TOPICS", "EVENT_TYPES", "DemoDataset", "DemoEvent", "DemoItem", "DemoUser", "generate_demo"]

TOPICS: tuple[str, ...] = tuple(VOCAB)
EVENT_TYPES = (
    "view",
    "click",
    "like",
    "dislike",
    "share",
    "save",
    "purchase",
    "dwell",
    "rating",
    "skip",
    "hide",
)

DAY = 86_400.0
ANGLE_TAGS = {"howto": "how-to"}
# Mild topic popularity so taste distributions are uneven, as in a real app.
TOPIC_POPULARITY = {
    "football": 1.5,
    "cooking": 1.4,
    "film": 1.3,
    "gaming": 1.3,
    "travel": 1.2,
    "ai": 1.2,
    "fitness": 1.1,
    "jazz": 0.6,
    "history": 0.8,
    "photography": 0.8,
    "gardening": 0.8,
}
TASTE_SHARE = (0.6, 0.27, 0.13)  # share of taste-driven visits going to the 1st, 2nd and 3rd taste
EXPLORE_RATE = 0.15
MAX_VIEWS_PER_ITEM = 3
POSITIVE_TYPES = frozenset({"click", "dwell", "like", "save", "share", "purchase"})
OFF_TASTE_MAX = 6  # click, dwell, like, save, share, purchase
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 4, 3, 3, 3, 5, 5, 3, 3, 3, 4, 6, 7, 7, 7, 5, 3)
_FIELD = re.compile(r"{(\w+)}")
_AN = re.compile(r"\b([Aa]) (8|11|18)\b")


@dataclass(frozen=True)
class DemoItem:
    item_id: str
    title: str
    text: str
    tags: tuple[str, ...]
    category: str
    published_at: datetime


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    tastes: tuple[str, ...]
    dislikes: tuple[str, ...]


@dataclass(frozen=True)
class DemoEvent:
    event_id: str
    user_id: str
    item_id: str
    type: str
    value: float | None
    timestamp: datetime


@dataclass(frozen=True)
class DemoDataset:
    items: tuple[DemoItem, ...]
    users: tuple[DemoUser, ...]
    events: tuple[DemoEvent, ...]
    now: datetime


def _rng(seed: int, part: str) -> random.Random:
    """An independent stream per part, so e.g. changing n_users leaves the catalog untouched."""
    digest = hashlib.sha256(f"memfeed-demo:{seed}:{part}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


# --------------------------------------------------------------------------------------------- catalog text


def _fill(template: str, vocab: TopicVocab, values: dict[str, str], rng: random.Random) -> str:
    """Fill {slot}s from the topic vocabulary; values are shared by title and text so they stay consistent."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        key = name.lower()
        if key not in values:
            base = key.rstrip("0123456789")
            pool = NUMBERS if base == "n" else vocab.slots[base]
            taken = {v for k, v in values.items() if k.rstrip("0123456789") == base}
            values[key] = rng.choice([p for p in pool if p not in taken] or pool)
        return _capital(values[key]) if name[0].isupper() else values[key]

    return _capital(_AN.sub(r"\1n \2", _FIELD.sub(value, template)))


def _capital(text: str) -> str:
    return text if text[1:2].isupper() else text[:1].upper() + text[1:]  # leaves "iPhone" alone


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", " ", ascii_text).split()
    while words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return "-".join(words[:4])


def _tags(
    topic: str, angle: str, template: str, values: dict[str, str], vocab: TopicVocab, rng: random.Random
) -> tuple[str, ...]:
    tags = [topic, ANGLE_TAGS.get(angle, angle)]
    for name in _FIELD.findall(template):
        if name.lower().rstrip("0123456789") not in ("n", "person", "aud", "place"):
            slug = _slug(values[name.lower()])
            if 2 < len(slug) <= 40:
                tags.append(slug)
            break
    extra = rng.sample(vocab.tags, 2)
    tags.extend(extra[: 1 + (len(tags) < 3 or rng.random() < 0.35)])
    return tuple(dict.fromkeys(tags))[:5]


@dataclass
class _Draft:
    topic: str
    title: str
    text: str
    tags: tuple[str, ...]
    published: float
    popularity: float
    item_id: str = ""


def _topic_drafts(
    topic: str, count: int, rng: random.Random, taken: set[str], start: float, end: float
) -> list[_Draft]:
    vocab = VOCAB[topic]
    # Generic templates are a seasoning (about a fifth of titles); usage damping spreads the rest evenly.
    templates = [(a, t, 1.0) for a, t in vocab.titles] + [(a, t, 0.2) for a, t in GENERIC_TITLES]
    uses = [0] * len(templates)
    drafts = []
    for _ in range(count):
        for _attempt in range(80):
            weights = [w / (1 + u) for (_, _, w), u in zip(templates, uses, strict=True)]
            index = rng.choices(range(len(templates)), weights)[0]
            angle, template, _ = templates[index]
            values: dict[str, str] = {}
            title = _fill(template, vocab, values, rng)
            shape = re.sub(r"\d+", "#", title.lower())  # "7 ways ..." and "9 ways ..." count as one title
            if title not in taken and shape not in taken:
                break
        base_title, suffix = title, 2
        while title in taken:  # only reachable for catalogs far larger than the vocabulary
            title, suffix = f"{base_title}, part {suffix}", suffix + 1
        taken.update((title, shape))
        uses[index] += 1
        sentences = []
        fields = [f.lower() for f in _FIELD.findall(template)]
        alias = [values[f] for f in fields if f.rstrip("0123456789") in ALIASABLE]
        if "s" not in values and alias:
            values["s"] = alias[0]
        # Only leads whose slots the headline already fixed (plus an audience where addressing one is natural:
        # guides and lists), so the text never drifts to another subject.
        known = set(values) | ({"aud"} if angle in ("howto", "list") else set())
        leads = [s for s in LEADS[angle] if {f.lower() for f in _FIELD.findall(s)} <= known]
        if leads and rng.random() < 0.55:
            sentences.append(rng.choice(leads))
        sentences.extend(rng.sample(vocab.details, 1 if sentences and rng.random() < 0.45 else 2))
        text = " ".join(_fill(s, vocab, values, rng) for s in sentences)
        # A quarter of the catalog predates the simulated period, so early sessions have something to read.
        early = rng.random() < 0.25
        published = start - rng.uniform(0, 21 * DAY) if early else rng.uniform(start, end - 900)
        drafts.append(
            _Draft(
                topic,
                title,
                text,
                _tags(topic, angle, template, values, vocab, rng),
                float(int(published) // 60 * 60),
                rng.paretovariate(1.8),
            )
        )
    drafts.sort(key=lambda d: d.published)
    for number, draft in enumerate(drafts):
        draft.item_id = f"{topic}-{number:04d}"
    return drafts


def _catalog(n_items: int, rng: random.Random, start: float, end: float) -> dict[str, list[_Draft]]:
    taken: set[str] = set()
    base, extra = divmod(n_items, len(TOPICS))
    return {
        topic: _topic_drafts(topic, base + (i < extra), rng, taken, start, end)
        for i, topic in enumerate(TOPICS)
    }


# --------------------------------------------------------------------------------------------- users


def _pick_topics(rng: random.Random, count: int, exclude: set[str]) -> list[str]:
    pool = [t for t in TOPICS if t not in exclude]
    chosen: list[str] = []
    for _ in range(min(count, len(pool))):
        topic = rng.choices(pool, [TOPIC_POPULARITY.get(t, 1.0) for t in pool])[0]
        pool.remove(topic)
        chosen.append(topic)
    return chosen


def _users(n_users: int, rng: random.Random) -> list[DemoUser]:
    users = []
    for number in range(1, n_users + 1):
        tastes = _pick_topics(rng, rng.choices((1, 2, 3), (0.42, 0.43, 0.15))[0], set())
        dislikes = _pick_topics(rng, rng.choices((0, 1, 2), (0.45, 0.38, 0.17))[0], set(tastes))
        users.append(DemoUser(f"user-{number:04d}", tuple(tastes), tuple(dislikes)))
    return users


def _activity(rng: random.Random) -> int:
    """Target event count: a long tail with a few light users, most moderate, a few very heavy."""
    roll = rng.random()
    if roll < 0.12:
        return rng.randint(3, 14)
    if roll < 0.92:
        return int(20 + 70 * rng.random() ** 1.4)
    return rng.randint(150, 320)


# --------------------------------------------------------------------------------------------- behaviour


@dataclass(frozen=True)
class _Profile:
    click: float
    dwell: float
    dwell_median: float
    like: float
    save: float
    share: float
    rating: float
    purchase: float
    dislike_after_click: float
    skip: float  # the remaining probabilities apply when the item was not clicked
    hide: float
    dislike: float
    ratings: tuple[float, ...]
    rating_weights: tuple[int, ...]
    rate_unopened: float = 0.0  # star ratings straight from the feed card, without opening the item


PROFILES = {
    "taste": _Profile(
        click=0.65,
        dwell=0.8,
        dwell_median=95.0,
        like=0.35,
        save=0.12,
        share=0.05,
        rating=0.07,
        purchase=0.015,
        dislike_after_click=0.0,
        skip=0.08,
        hide=0.0,
        dislike=0.0,
        ratings=(3.0, 3.5, 4.0, 4.5, 5.0),
        rating_weights=(1, 2, 4, 4, 4),
    ),
    "neutral": _Profile(
        click=0.12,
        dwell=0.65,
        dwell_median=30.0,
        like=0.07,
        save=0.02,
        share=0.01,
        rating=0.12,
        purchase=0.002,
        dislike_after_click=0.01,
        skip=0.5,
        hide=0.015,
        dislike=0.01,
        ratings=(1.5, 2.0, 2.5, 3.0, 3.5, 4.0),
        rating_weights=(1, 2, 3, 3, 2, 1),
        rate_unopened=0.015,
    ),
    "dislike": _Profile(
        click=0.05,
        dwell=0.5,
        dwell_median=8.0,
        like=0.0,
        save=0.0,
        share=0.0,
        rating=0.3,
        purchase=0.0,
        dislike_after_click=0.4,
        skip=0.4,
        hide=0.3,
        dislike=0.25,
        ratings=(0.5, 1.0, 1.5, 2.0),
        rating_weights=(2, 3, 2, 1),
        rate_unopened=0.08,
    ),
}


@dataclass
class _Pair:
    views: int = 0
    last: float = 0.0
    done: set[str] = field(default_factory=set)  # one-off actions already taken: like, save, dislike, ...

    @property
    def blocked(self) -> bool:
        return self.views >= MAX_VIEWS_PER_ITEM or bool(self.done & {"hide", "dislike"})


Raw = tuple[float, str, str, float | None]  # (timestamp, item_id, type, value)


def _visit(
    item_id: str, kind: str, pair: _Pair, t: float, rng: random.Random, curious: bool = True
) -> list[Raw]:
    """One look at an item: a view, then what this kind of user plausibly does next (no click unless curious)."""
    p = PROFILES[kind]
    out: list[Raw] = [(t, item_id, "view", None)]

    def add(kind_: str, value: float | None = None, gap: tuple[float, float] = (2.0, 15.0)) -> None:
        out.append((out[-1][0] + rng.uniform(*gap), item_id, kind_, value))

    def once(kind_: str, chance: float, value: float | None = None) -> None:
        if kind_ not in pair.done and rng.random() < chance:
            pair.done.add(kind_)
            add(kind_, value)

    first = pair.views == 0
    pair.views, pair.last = pair.views + 1, t
    if curious and rng.random() < p.click * (1.0 if first else 0.5):
        add("click", gap=(1.0, 12.0))
        if rng.random() < p.dwell:
            seconds = round(min(1800.0, max(3.0, rng.lognormvariate(math.log(p.dwell_median), 0.7))), 1)
            add("dwell", seconds, gap=(seconds, seconds + 1.0))
        if "dislike" not in pair.done:
            once("like", p.like)
        once("save", p.save)
        once("share", p.share)
        once("rating", p.rating, rng.choices(p.ratings, p.rating_weights)[0])
        once("purchase", p.purchase)
        if "like" not in pair.done:
            once("dislike", p.dislike_after_click)
    else:
        roll = rng.random()
        if roll < p.hide:
            once("hide", 1.0)
        elif roll < p.hide + p.dislike and "like" not in pair.done:
            once("dislike", 1.0)
        elif roll < p.hide + p.dislike + p.skip:
            add("skip", gap=(1.0, 4.0))
        once("rating", p.rate_unopened, rng.choices(p.ratings, p.rating_weights)[0])
    return out


class _Shelf:
    """Items per topic ordered by publication, so 'published before t' is a bisect."""

    def __init__(self, catalog: dict[str, list[_Draft]]) -> None:
        self.items = catalog
        self.times = {topic: [d.published for d in drafts] for topic, drafts in catalog.items()}

    def pick(self, topic: str, t: float, pairs: dict[str, _Pair], rng: random.Random) -> _Draft | None:
        available = bisect.bisect_left(self.times[topic], t)
        best = None
        for _ in range(2):  # the more popular of two recency-biased candidates
            if not available:
                return None
            draft = self.items[topic][available - 1 - int(available * rng.random() ** 2.2)]
            pair = pairs.get(draft.item_id)
            if pair and (pair.blocked or t - pair.last < 6 * 3600 or rng.random() > 0.2):  # re-reads are rare
                continue
            if best is None or draft.popularity > best.popularity:
                best = draft
        return best


def _session_start(rng: random.Random, lo: float, hi: float) -> float:
    t = rng.uniform(lo, hi)
    hour = rng.choices(range(24), HOUR_WEIGHTS)[0]
    candidate = t // DAY * DAY + hour * 3600 + rng.uniform(0, 3600)
    return candidate if lo <= candidate <= hi else t


def _user_events(
    user: DemoUser, target: int, shelf: _Shelf, rng: random.Random, start: float, now: float
) -> list[Raw]:
    tastes = list(user.tastes)
    taste_weights = list(TASTE_SHARE[: len(tastes)])
    others = [t for t in TOPICS if t not in user.tastes]
    other_weights = [3.0 if t in user.dislikes else 1.0 for t in others]
    join = start if rng.random() < 0.7 else rng.uniform(start, start + 0.6 * (now - start))
    sessions = max(1, round(target / rng.uniform(5.0, 9.0)))
    starts = sorted(_session_start(rng, join, now - 600) for _ in range(sessions))
    pairs: dict[str, _Pair] = {}
    raw: list[Raw] = []
    clock = start
    # Exploration is spread evenly over a user's visits rather than drawn independently, so even a light
    # user's history reflects the ~85/15 split instead of a lucky or unlucky streak.
    phase, visits = rng.random(), 0
    # Off-taste clicks are budgeted against on-taste engagement (a visit yields at most OFF_TASTE_MAX positives),
    # so no user's history is dominated by a streak of curiosity: taste topics keep >= 70% of positives.
    positives = {True: 0, False: 0}
    for index, session_start in enumerate(starts):
        remaining = target - len(raw)
        if remaining <= 0:
            break
        quota = max(1, math.ceil(remaining / (sessions - index) * rng.uniform(0.6, 1.4)))
        t = max(session_start, clock + 1800)
        produced = misses = 0
        while produced < quota and misses < 6 and t < now:
            explore = math.floor((visits + 1) * EXPLORE_RATE + phase) > math.floor(
                visits * EXPLORE_RATE + phase
            )
            visits += 1
            if explore:
                topic = rng.choices(others, other_weights)[0]
            else:
                topic = rng.choices(tastes, taste_weights)[0]
            draft = shelf.pick(topic, t, pairs, rng)
            if draft is None:
                misses += 1
                continue
            kind = "taste" if topic in user.tastes else "dislike" if topic in user.dislikes else "neutral"
            curious = kind == "taste" or 0.7 * (positives[False] + OFF_TASTE_MAX) <= 0.3 * positives[True]
            pair = pairs.setdefault(draft.item_id, _Pair())
            visit = [e for e in _visit(draft.item_id, kind, pair, t, rng, curious) if e[0] <= now]
            positives[kind == "taste"] += sum(e[2] in POSITIVE_TYPES for e in visit)
            raw.extend(visit)
            produced += len(visit)
            t = visit[-1][0] + rng.uniform(5.0, 90.0)
        clock = t
    return raw


# --------------------------------------------------------------------------------------------- entry point


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(int(ts), UTC)


def generate_demo(
    n_items: int = 1200, n_users: int = 200, weeks: int = 6, seed: int = 7, now: datetime | None = None
) -> DemoDataset:
    """Build the demo catalog, users and events; deterministic for a given seed and `now`."""
    if now is None:
        now = datetime.now(UTC).replace(second=0, microsecond=0)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    now = now.astimezone(UTC)
    end = now.timestamp()
    start = end - max(1, weeks) * 7 * DAY

    catalog = _catalog(n_items, _rng(seed, "catalog"), start, end)
    items = tuple(
        DemoItem(d.item_id, d.title, d.text, d.tags, d.topic, _utc(d.published))
        for topic in TOPICS
        for d in catalog[topic]
    )
    users = _users(n_users, _rng(seed, "users"))

    shelf = _Shelf(catalog)
    events = []
    for user in users:
        rng = _rng(seed, f"events:{user.user_id}")
        raw = _user_events(user, _activity(rng), shelf, rng, start, end)
        for number, (ts, item_id, kind, value) in enumerate(raw, start=1):
            events.append(
                DemoEvent(f"demo-{user.user_id}-{number:04d}", user.user_id, item_id, kind, value, _utc(ts))
            )
    events.sort(key=lambda e: (e.timestamp, e.event_id))
    return DemoDataset(items, tuple(users), tuple(events), now)
