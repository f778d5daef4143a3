"""BM25 over one user's memories: a tokenizer (casefold, unicode words, stopwords, light stemming) and
per-term postings built once per cache load, so a query costs one numpy scatter per query term.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from memfeed.memory.normalize import expand_contractions

BM25_K1 = 1.2
BM25_B = 0.75

_STOPWORD_TEXT = """a about above after again all also am an and any are as at be been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her
    here hers herself him himself his how i if in into is it its itself just let me more most my myself of
    off on once only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up us very
    was we were what when where which while who whom why will with would you your yours yourself"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Function words only: negations (not, no, never) are kept, they carry meaning in memories."""

_WORD = re.compile(r"\w+")
_SUFFIXES = (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
_NO_UNDOUBLE = frozenset("lsz")


def stem(word: str) -> str:
    """Light suffix stripping: likes/liked/liking/like -> lik, films -> film, running -> run."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)] + replacement
            if (
                suffix in ("ing", "ed")
                and len(word) > 3
                and word[-1] == word[-2]
                and word[-1] not in _NO_UNDOUBLE
            ):
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """Casefolded, contractions expanded, unicode word split, stopwords dropped, stemmed."""
    return [stem(w) for w in _WORD.findall(expand_contractions(text)) if w not in STOPWORDS]


@dataclass(frozen=True)
class Bm25Index:
    """Postings of a fixed document list: term -> (row indices int32, term frequencies float32)."""

    postings: dict[str, tuple[np.ndarray, np.ndarray]]
    length_norm: np.ndarray
    """k1 * (1 - b + b * length / average length) per document, precomputed."""

    @property
    def size(self) -> int:
        return len(self.length_norm)

    @classmethod
    def build(cls, texts: Sequence[str]) -> Bm25Index:
        rows: dict[str, list[int]] = {}
        freqs: dict[str, list[int]] = {}
        lengths = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            counts = Counter(tokenize(text))
            lengths[row] = sum(counts.values())
            for term, tf in counts.items():
                rows.setdefault(term, []).append(row)
                freqs.setdefault(term, []).append(tf)
        postings = {
            term: (np.asarray(rows[term], dtype=np.int32), np.asarray(freqs[term], dtype=np.float32))
            for term in rows
        }
        average = float(lengths.mean()) if len(texts) else 0.0
        norm = BM25_K1 * (1.0 - BM25_B + BM25_B * lengths / (average or 1.0))
        return cls(postings, norm.astype(np.float32))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every document for `query` (0 where no query term occurs); float32, shape (n,)."""
        scores = np.zeros(self.size, dtype=np.float32)
        n = self.size
        if not n:
            return scores
        for term, weight in Counter(tokenize(query)).items():
            posting = self.postings.get(term)
            if posting is None:
                continue
            rows, tf = posting
            idf = math.log(1.0 + (n - len(rows) + 0.5) / (len(rows) + 0.5))
            scores[rows] += weight * idf * tf * (BM25_K1 + 1.0) / (tf + self.length_norm[rows])
        return scores
