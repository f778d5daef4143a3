"""The pure parts of memory: normalization, polarity and numbers, the merge threshold (measured on labelled
pairs with the real model), BM25, fusion and recency."""

from __future__ import annotations

import numpy as np
import pytest

from memfeed.catalog.embedding import Embedder
from memfeed.memory.activity import render_event
from memfeed.memory.dedup import is_negative, quantities, restates
from memfeed.memory.fusion import FusionParams, best_eligible, fuse, ranks, recency_boost
from memfeed.memory.lexical import Bm25Index, stem, tokenize
from memfeed.memory.normalize import normalize_text, text_hash
from memfeed.platform.settings import Settings

PARAPHRASES = [
    ("I am allergic to peanuts", "I'm allergic to peanuts."),
    ("My wife's name is Sarah", "My wife is called Sarah"),
    ("I live in Berlin", "I live in Berlin, Germany"),
    ("I work as a nurse", "I'm a nurse by profession"),
    ("My favourite colour is blue", "Blue is my favourite colour"),
    ("I have two kids", "I have two children"),
    ("I prefer window seats on flights", "On flights I prefer a window seat"),
    ("My birthday is on March 3rd", "My birthday is March 3rd"),
    ("I'm vegetarian", "I am a vegetarian"),
    ("I drive a red Toyota", "I drive a red Toyota car"),
    ("I love horror films", "I really love horror movies"),
    ("My dog is named Max", "My dog's name is Max"),
    ("I usually wake up at 6am", "I typically wake up at 6 am"),
    ("I speak French and Spanish", "I speak Spanish and French"),
    ("I moved to Lisbon last year", "Last year I moved to Lisbon"),
]
DIFFERENT_FACTS = [
    ("I am allergic to peanuts", "I am allergic to shellfish"),
    ("My wife's name is Sarah", "My sister's name is Sarah"),
    ("I live in Berlin", "I live in Munich"),
    ("I work as a nurse", "I work as a teacher"),
    ("My favourite colour is blue", "My favourite colour is green"),
    ("I have two kids", "I have three kids"),
    ("I prefer window seats on flights", "I prefer aisle seats on flights"),
    ("My birthday is on March 3rd", "My birthday is on March 13th"),
    ("I drive a red Toyota", "I drive a blue Honda"),
    ("I love horror films", "I love romantic comedies"),
    ("My dog is named Max", "My cat is named Max"),
    ("I usually wake up at 6am", "I usually go to bed at 11pm"),
    ("I speak French and Spanish", "I speak German and Italian"),
    ("I moved to Lisbon last year", "I moved to Porto last year"),
    ("I play tennis on Sundays", "I play football on Sundays"),
]
CONTRADICTIONS = [
    ("I love horror films", "I don't like horror films"),
    ("I like coffee", "I hate coffee"),
    ("I eat meat", "I no longer eat meat"),
    ("I smoke", "I stopped smoking"),
    ("I enjoy running", "I never enjoy running"),
    ("I am a morning person", "I am not a morning person"),
    ("I like spicy food", "I dislike spicy food"),
    ("My boss is nice", "My boss isn't nice"),
    ("I drink alcohol", "I do not drink alcohol"),
    ("I want a dog", "I don't want a dog"),
]


def cosines(embedder: Embedder, pairs: list[tuple[str, str]]) -> np.ndarray:
    a = embedder.encode([p[0] for p in pairs])
    b = embedder.encode([p[1] for p in pairs])
    return (a * b).sum(axis=1)


def test_merge_threshold_separates_restatements_from_other_facts(embedder: Embedder) -> None:
    """Measured with MiniLM (docs/api.md): paraphrases 0.874-0.997; different facts 0.470-0.926 (0.880
    once changed numbers are guarded); contradictions 0.609-0.945 (all caught by polarity). So 0.90."""
    threshold = Settings(_env_file=None).memory_merge_threshold  # type: ignore[call-arg]
    para = cosines(embedder, PARAPHRASES)
    different = cosines(embedder, DIFFERENT_FACTS)
    contra = cosines(embedder, CONTRADICTIONS)
    merged_para = [restates(b, a, float(c), threshold) for (a, b), c in zip(PARAPHRASES, para, strict=True)]
    assert sum(merged_para) >= len(PARAPHRASES) - 1  # one paraphrase (0.874) stays a second memory
    for (a, b), c in zip(DIFFERENT_FACTS + CONTRADICTIONS, np.concatenate([different, contra]), strict=True):
        assert not restates(b, a, float(c), threshold), (a, b, float(c))
    # the guards carry weight: without them the threshold alone would merge these
    assert float(contra.max()) >= threshold and float(different.max()) >= threshold


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("I'm allergic to peanuts.", "i am allergic to peanuts"),
        ("  I   am Allergic\tto peanuts!!", "i am allergic to peanuts"),
        ("I don't like it’s colour", "i do not like it is colour"),
        ("We can't, we won't...", "we cannot, we will not"),
        ("My sister's car", "my sister's car"),
    ],
)
def test_normalization(text: str, normal: str) -> None:
    assert normalize_text(text) == normal


def test_restatements_share_a_hash() -> None:
    assert text_hash("I'm allergic to peanuts.") == text_hash("i am allergic to   peanuts")
    assert text_hash("I am allergic to peanuts") != text_hash("I am allergic to shellfish")


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        ("I love horror films", False),
        ("I don't like horror films", True),
        ("I no longer eat meat", True),
        ("I stopped smoking", True),
        ("I hate mornings", True),
        ("I know the answer", False),
        ("Nobody told me", True),
        ("I isn't sure", True),
    ],
)
def test_polarity(text: str, negative: bool) -> None:
    assert is_negative(text) is negative


def test_quantities() -> None:
    assert quantities("I have two kids") == quantities("I have 2 children") == ("2",)
    assert quantities("March 3rd") != quantities("March 13th")
    assert quantities("no numbers here") == ()


def test_tokenizer_and_stemming() -> None:
    assert tokenize("I liked the films, and she likes FILM") == ["lik", "film", "lik", "film"]
    assert stem("running") == "run" and stem("cities") == "city" and stem("glass") == "glass"
    assert tokenize("Zhdanovich 2019 Ünïcödé") == ["zhdanovich", "2019", "ünïcödé"]


def test_bm25_hand_computed() -> None:
    index = Bm25Index.build(["apple banana", "apple apple cherry", "durian"])
    scores = index.scores("apple")
    # n=3, df=2: idf = ln(1 + 1.5/2.5); lengths 2, 3, 1: avgdl = 2
    idf = np.log(1 + 1.5 / 2.5)

    def term(tf: float, dl: float) -> float:
        return idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * dl / 2))

    assert scores == pytest.approx([term(1, 2), term(2, 3), 0.0], rel=1e-5)
    assert index.scores("the of and").tolist() == [0.0, 0.0, 0.0]
    assert Bm25Index.build([]).scores("x").shape == (0,)


def test_rrf_fusion_ranks_and_modes() -> None:
    dense = np.array([0.9, 0.8, 0.1])
    lexical = np.array([0.0, 2.0, 0.0])
    params = FusionParams(fusion="rrf", rrf_k=60, recency_weight=0.0)
    assert ranks(dense, np.ones(3, bool)).tolist() == [1, 2, 3]
    score, eligible = fuse(dense, lexical, "hybrid", params)
    assert eligible.all()
    assert score[1] == pytest.approx((1 / 62 + 1 / 61) * 61 / 2)
    assert score[0] == pytest.approx((1 / 61) * 61 / 2)
    assert best_eligible(score, eligible, 2).tolist() == [1, 0]
    _, lexical_only = fuse(dense, lexical, "lexical", params)
    assert lexical_only.tolist() == [False, True, False]
    dense_score, _ = fuse(dense, lexical, "dense", params)
    assert best_eligible(dense_score, np.ones(3, bool), 3).tolist() == [0, 1, 2]
    blend, _ = fuse(dense, lexical, "hybrid", FusionParams(fusion="blend"))
    assert blend.tolist() == pytest.approx([0.45, 0.9, 0.05])


def test_recency_boost_is_small_and_halves() -> None:
    params = FusionParams(recency_weight=0.1, half_life_days=30)
    now = 1_000_000_000.0
    boost = recency_boost(np.array([now, now - 30 * 86400, now - 3650 * 86400]), now, params)
    assert boost.tolist() == pytest.approx([1.0, 1.05 / 1.1, 1 / 1.1], rel=1e-3)


def test_best_eligible_breaks_ties_by_position() -> None:
    scores = np.array([0.5, 0.7, 0.5, 0.7, 0.1])
    assert best_eligible(scores, np.ones(5, bool), 3).tolist() == [1, 3, 0]
    assert best_eligible(scores, np.array([True, False, True, False, True]), 10).tolist() == [0, 2, 4]


def test_activity_rendering() -> None:
    from datetime import UTC, datetime

    when = datetime(2026, 5, 2, 10, tzinfo=UTC)
    assert render_event("like", None, "Title", when) == "liked 'Title' on 2026-05-02"
    assert render_event("rating", 4, "Title", when) == "rated 'Title' 4/5 on 2026-05-02"
    assert render_event("dwell", 42.4, "Title", when) == "spent 42s on 'Title' on 2026-05-02"
    assert render_event("purchase", None, "T", when) == "bought 'T' on 2026-05-02"
    assert render_event("click", None, "T", when) == "opened 'T' on 2026-05-02"
