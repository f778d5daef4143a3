"""`memfeed eval`: memfeed against the baselines on one temporal split, as a markdown table and JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memfeed.platform.settings import Settings
from memfeed.training.retrain import Evaluation, TrainingData, evaluate, train_params

ORDER = ("memfeed", "item_knn", "als_defaults", "content_only", "most_popular")


@dataclass
class EvalReport:
    protocol: dict[str, Any]
    metrics: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "metrics": self.metrics}

    def markdown(self) -> str:
        k = self.protocol["k"]
        columns = [
            f"recall@{k}",
            f"ndcg@{k}",
            f"map@{k}",
            f"hit_rate@{k}",
            "coverage",
            "diversity",
            f"recall_warm@{k}",
            f"recall_cold@{k}",
        ]
        lines = [
            f"Protocol: {self.protocol['split']} at {self.protocol['cut']} "
            f"(latest {self.protocol['holdout_fraction']:.0%} of events held out); "
            f"{self.protocol['evaluated_users']} users with >= 1 training event and a positive held-out event"
            f"{_sampled(self.protocol)}; "
            f"ranking over {self.protocol['candidates']}; relevant = {self.protocol['relevant']}. "
            f"Cold-start slice: {self.protocol['cold_items']} items first seen after the cut.",
            "",
            "| model | " + " | ".join(columns) + " |",
            "| --- |" + " --- |" * len(columns),
        ]
        for name in sorted(self.metrics, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
            row = self.metrics[name]
            lines.append(
                f"| {name} | " + " | ".join(f"{row.get(c, float('nan')):.4f}" for c in columns) + " |"
            )
        best = max((n for n in self.metrics if n != "memfeed"), key=lambda n: self.metrics[n][f"ndcg@{k}"])
        ratio = self.metrics["memfeed"][f"ndcg@{k}"] / max(self.metrics[best][f"ndcg@{k}"], 1e-12)
        lines += ["", f"memfeed NDCG@{k} / best baseline ({best}): {ratio:.3f}"]
        return "\n".join(lines)


def _sampled(protocol: dict[str, Any]) -> str:
    total = protocol.get("holdout_users", protocol["evaluated_users"])
    return f" (a fixed-seed sample of {total})" if total > protocol["evaluated_users"] else ""


def run_eval(data: TrainingData, settings: Settings, k: int = 10) -> EvalReport:
    evaluation: Evaluation = evaluate(data, train_params(settings), settings, None, k=k, baselines=True)
    return EvalReport(evaluation.protocol, evaluation.metrics)
