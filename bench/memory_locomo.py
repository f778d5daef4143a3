"""Evaluation: memory search on LoCoMo (long multi-session conversations), dense vs lexical vs hybrid.

Run: python bench/memory_locomo.py [--data PATH] [--out FILE.json] [--variants]

The dataset is read from `--data`, else `$MEMFEED_LOCOMO_PATH`, else ../shared/data/locomo/locomo-dev.json
(never copied into the repository). Every turn of a conversation becomes a memory of that conversation's user
through `MemoryService.add_many` (real SQLite file, real MiniLM): text "Speaker: what they said" (plus
"[shares a photo of <caption>]" when the turn shared an image), occurred-at = its session's date, the turn's
`dia_id` in metadata. Dedup is off so every turn stays addressable. Each question of categories 1-4 (single-hop,
temporal, open-domain, multi-hop; category 5 is adversarial, with no evidence) is asked of that user as of the
conversation's last session; evidence recall@K = share of the question's evidence turns among the top K.

Modes: `dense` (MiniLM cosine), `lexical` (BM25 over the user's memories) and `hybrid` (memfeed's fusion with
the settings' defaults). `--variants` adds a few fusion settings side by side, to see how flat the optimum is.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memfeed.catalog.embedding import load_embedder
from memfeed.memory.records import NewMemory
from memfeed.memory.service import MemoryService
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import open_database
from memfeed.platform.storage.migrate import upgrade

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "shared" / "data" / "locomo" / "locomo-dev.json"
CATEGORIES = {1: "multi-hop", 2: "temporal", 3: "open-domain", 4: "single-hop"}
KS = (5, 10)


@dataclass(frozen=True)
class Question:
    user_id: str
    text: str
    evidence: frozenset[str]
    category: int
    asked_at: datetime


def session_time(text: str) -> datetime:
    """LoCoMo writes '1:56 pm on 8 May, 2023'."""
    return datetime.strptime(text.strip(), "%I:%M %p on %d %B, %Y").replace(tzinfo=UTC)


def load_conversations(path: Path) -> tuple[list[tuple[str, NewMemory]], list[Question]]:
    memories: list[tuple[str, NewMemory]] = []
    questions: list[Question] = []
    for sample in json.loads(path.read_text()):
        user_id = re.sub(r"[^A-Za-z0-9_.:@-]", "_", str(sample["sample_id"]))
        conversation = sample["conversation"]
        last = datetime.min.replace(tzinfo=UTC)
        for key, turns in conversation.items():
            if not (key.startswith("session_") and isinstance(turns, list)):
                continue
            when = session_time(conversation[f"{key}_date_time"])
            last = max(last, when)
            for turn in turns:
                text = f"{turn['speaker']}: {turn['text']}"
                if turn.get("blip_caption"):
                    text += f" [shares a photo of {turn['blip_caption']}]"
                memory = NewMemory(text=text[:4000], kind="episode", metadata={"dia_id": turn["dia_id"]})
                memories.append((user_id, replace(memory, occurred_at=when)))
        for qa in sample["qa"]:
            if qa.get("category") in CATEGORIES and qa.get("evidence"):
                evidence = frozenset(e.strip() for e in qa["evidence"])
                questions.append(Question(user_id, str(qa["question"]), evidence, int(qa["category"]), last))
    return memories, questions


def evaluate(
    store: MemoryService, questions: list[Question], vectors: np.ndarray, mode: str
) -> dict[str, Any]:
    recalls = {k: [] for k in KS}  # type: dict[int, list[float]]
    by_category: dict[int, list[float]] = {c: [] for c in CATEGORIES}
    latencies = []
    for question, vector in zip(questions, vectors, strict=True):
        started = time.perf_counter()
        hits = store.search(
            question.user_id,
            question.text,
            vector,
            k=max(KS),
            mode=mode,  # type: ignore[arg-type]
            now=question.asked_at,
        )
        latencies.append(time.perf_counter() - started)
        ranked = [str(h.metadata.get("dia_id")) for h in hits]
        for k in KS:
            recalls[k].append(len(question.evidence & set(ranked[:k])) / len(question.evidence))
        by_category[question.category].append(recalls[max(KS)][-1])
    return {
        **{f"recall@{k}": round(float(np.mean(v)), 4) for k, v in recalls.items()},
        **{f"recall@10 {CATEGORIES[c]}": round(float(np.mean(v)), 4) for c, v in by_category.items() if v},
        "p50_ms": round(float(np.percentile(latencies, 50)) * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--variants", action="store_true", help="also try a few fusion settings")
    args = parser.parse_args()
    path = args.data or Path(os.environ.get("MEMFEED_LOCOMO_PATH", DEFAULT_PATH))
    if not path.exists():
        sys.exit(f"LoCoMo not found at {path}: pass --data or set MEMFEED_LOCOMO_PATH")
    memories, questions = load_conversations(path)
    print(f"{path.name}: {len(memories)} turns, {len(questions)} questions (categories 1-4)", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/locomo.db", models_dir=Path(tmp) / "models")
        with open_database(settings) as database:
            upgrade(database)
            embedder = load_embedder(
                settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
            )
            store = MemoryService(database, embedder, settings, b"locomo")
            started = time.perf_counter()
            store.add_many(memories, dedup=False)
            print(f"stored in {time.perf_counter() - started:.1f} s", flush=True)
            vectors = embedder.encode([q.text for q in questions])
            defaults = store.fusion
            runs: dict[str, dict[str, Any]] = {}
            for mode in ("dense", "lexical", "hybrid"):
                runs[mode] = evaluate(store, questions, vectors, mode)
            if args.variants:
                variants = {
                    "hybrid, no recency": replace(defaults, recency_weight=0.0),
                    "hybrid, lexical x0.5": replace(defaults, lexical_weight=0.5),
                    "hybrid, lexical x2": replace(defaults, lexical_weight=2.0),
                    "hybrid rrf k=60": replace(defaults, fusion="rrf", rrf_k=60),
                    "hybrid rrf k=20": replace(defaults, fusion="rrf", rrf_k=20),
                }
                for name, params in variants.items():
                    store.fusion = params
                    runs[name] = evaluate(store, questions, vectors, "hybrid")
                store.fusion = defaults

    columns = list(runs["dense"])
    print("\n| mode | " + " | ".join(columns) + " |")
    print("| --- " * (len(columns) + 1) + "|")
    for name, row in runs.items():
        print(f"| {name} | " + " | ".join(str(row[c]) for c in columns) + " |")
    gain = runs["hybrid"]["recall@10"] - runs["dense"]["recall@10"]
    print(f"\nhybrid - dense recall@10 = {gain * 100:+.1f} points (target +10)")
    if args.out:
        args.out.write_text(json.dumps({"fusion": defaults.__dict__, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
