"""Text normalization shared by dedup and BM25: casefold, contractions expanded, whitespace collapsed."""

from __future__ import annotations

import hashlib
import re

CONTRACTIONS: dict[str, str] = {
    "can't": "cannot",
    "won't": "will not",
    "shan't": "shall not",
    "ain't": "is not",
    "i'm": "i am",
    "let's": "let us",
    "it's": "it is",
    "that's": "that is",
    "there's": "there is",
    "what's": "what is",
    "he's": "he is",
    "she's": "she is",
}
"""Irregular forms; the regular suffixes (n't, 're, 've, 'll, 'd) are handled by `_SUFFIXES`."""

_SUFFIXES = (("n't", " not"), ("'re", " are"), ("'ve", " have"), ("'ll", " will"), ("'d", " would"))
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_WORD_WITH_APOSTROPHE = re.compile(r"\b\w+'\w+\b")
_SPACE = re.compile(r"\s+")
_TRAILING_PUNCT = re.compile(r"[\s.!?,;:\u2026]+$")


def _expand(match: re.Match[str]) -> str:
    word = match.group(0)
    if word in CONTRACTIONS:
        return CONTRACTIONS[word]
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word


def expand_contractions(text: str) -> str:
    """Casefolded text with "I'm" -> "i am", "don't" -> "do not" (possessive 's is left alone)."""
    return _WORD_WITH_APOSTROPHE.sub(_expand, text.casefold().translate(_APOSTROPHES))


def normalize_text(text: str) -> str:
    """The form two restatements share: contractions expanded, whitespace collapsed, end punctuation gone."""
    collapsed = _SPACE.sub(" ", expand_contractions(text)).strip()
    return _TRAILING_PUNCT.sub("", collapsed)


def text_hash(text: str) -> str:
    """SHA-256 of the normalized text: the exact-restatement key stored as `content_hash`."""
    return hashlib.sha256(normalize_text(text).encode()).hexdigest()
