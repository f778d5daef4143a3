"""When a new memory restates one already held (merge) and when it only looks like one (keep both).

MiniLM rates a contradiction ("I love horror films" / "I don't like horror films", 0.83) and a changed
number ("I have two kids" / "I have three kids", 0.93) as close as a paraphrase, so a cosine threshold alone
would overwrite facts. Two guards run first: polarity (exactly one side carries a negation or aversion cue)
and quantities (the numbers differ). The threshold and the labelled pairs are in tests/memory/test_memory.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from memfeed.memory.normalize import normalize_text
from memfeed.memory.records import NewMemory
from memfeed.memory.snapshots import UserMemories

NEGATION_CUES = frozenset(
    {
        "not",
        "no",
        "never",
        "none",
        "nobody",
        "nothing",
        "neither",
        "nor",
        "cannot",
        "without",
        "hate",
        "hates",
        "hated",
        "dislike",
        "dislikes",
        "disliked",
        "detest",
        "loathe",
        "stopped",
        "quit",
        "avoid",
        "avoids",
        "refuse",
        "refuses",
    }
)
"""Single words that flip a statement; contractions are expanded first (don't -> do not)."""
NEGATION_PHRASES = ("no longer", "any more", "anymore", "gave up", "given up", "can not")

_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty"
)
_ORDINALS = "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth"
NUMBER_WORDS = {word: str(n) for n, word in enumerate(_CARDINALS.split())}
ORDINAL_WORDS = {word: str(n) for n, word in enumerate(_ORDINALS.split())}
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"^(\d+)(?:st|nd|rd|th|am|pm|s|k)?$")


def is_negative(text: str) -> bool:
    """True when the text carries a negation or aversion cue (after normalization)."""
    normalized = normalize_text(text)
    if any(phrase in normalized for phrase in NEGATION_PHRASES):
        return True
    return any(word in NEGATION_CUES for word in _WORD.findall(normalized))


def quantities(text: str) -> tuple[str, ...]:
    """The numbers a text states (digits, number words, ordinals), sorted: "two kids" and "2 kids" agree."""
    found: list[str] = []
    for word in _WORD.findall(normalize_text(text)):
        match = _NUMBER.match(word)
        if match:
            found.append(str(int(match.group(1))))
        elif word in NUMBER_WORDS:
            found.append(NUMBER_WORDS[word])
        elif word in ORDINAL_WORDS:
            found.append(ORDINAL_WORDS[word])
    return tuple(sorted(found))


def restates(new_text: str, old_text: str, cosine: float, threshold: float) -> bool:
    """Whether `new_text` says the same as `old_text`: same normalized text, or close enough in meaning
    with the same polarity and the same numbers."""
    if normalize_text(new_text) == normalize_text(old_text):
        return True
    if cosine < threshold:
        return False
    return is_negative(new_text) == is_negative(old_text) and quantities(new_text) == quantities(old_text)


@dataclass
class Pending:
    """A memory written earlier in the same batch, so a batch dedups against itself too. A merge into it
    updates `text` and `digest` (the vector stays the one it was written with)."""

    memory_id: str
    kind: str
    session_id: str | None
    text: str
    digest: str
    vector: np.ndarray


def restated_target(
    snapshot: UserMemories,
    pending: list[Pending],
    memory: NewMemory,
    vector: np.ndarray,
    digest: str,
    threshold: float,
    now: datetime,
) -> str | None:
    """The id of what `memory` restates among this batch's earlier rows or the user's live memories of the
    same session and kind: the same normalized text first, else the closest that `restates`."""
    for item in pending:
        if item.kind == memory.kind and item.session_id == memory.session_id:
            cosine = float(item.vector @ vector)
            if item.digest == digest or restates(memory.text, item.text, cosine, threshold):
                return item.memory_id
    if not len(snapshot):
        return None
    scope = (
        snapshot.live(now.timestamp())
        & (snapshot.kinds == memory.kind)
        & (snapshot.sessions == memory.session_id)
    )
    candidates = np.flatnonzero(scope)
    for i in candidates:
        if snapshot.hashes[i] == digest:
            return snapshot.ids[i]
    if not len(candidates):
        return None
    cosines = snapshot.matrix[candidates] @ vector
    for j in np.argsort(-cosines):
        if cosines[j] < threshold:
            break
        best = int(candidates[j])
        if restates(memory.text, snapshot.texts[best], float(cosines[j]), threshold):
            return snapshot.ids[best]
    return None
