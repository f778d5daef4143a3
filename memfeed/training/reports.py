"""`memfeed eval`: every protocol with memfeed and the baselines side by side, with bootstrap 95% intervals over
users, as markdown tables and JSON.

Intervals are percentile bootstraps over the evaluated users (`options.resamples`, seeded by `options.seed`);
within one protocol (or one segment of it) every model is resampled on the same user indices, so the ratio
memfeed / baseline has a paired interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from memfeed.platform.settings import Settings
from memfeed.training.benchmark import Benchmark, EvalOptions, ProtocolRun, run_benchmark
from memfeed.training.bootstrap import Interval, interval, ratio_interval, resample_indices
from memfeed.training.protocols import LAST_ONE, NEW_ITEMS, TEMPORAL
from memfeed.training.retrain import TrainingData

LABELS = {
    "memfeed": "**memfeed** (served ranking)",
    "most_popular": "most-popular",
    "item_knn": "item-kNN (cosine)",
    "als": "implicit ALS (library defaults)",
    "ease": "EASE",
    "content_only": "content-only (MiniLM profile, cosine)",
}
TITLES = {
    TEMPORAL: "Per-user temporal: each user's last {pct} of events held out",
    LAST_ONE: "Leave-last-one: each user's last positive event held out",
    NEW_ITEMS: "New items: leave-last-one, {share} of items (fixed seed) without any training interaction",
}


@dataclass
class EvalReport:
    benchmark: Benchmark

    @property
    def options(self) -> EvalOptions:
        return self.benchmark.options

    def intervals(self, run: ProtocolRun, segment: str | None = None) -> dict[str, dict[str, Interval]]:
        """model -> metric -> interval, over the protocol's users or one segment of them."""
        mask = run.segments[segment] if segment else np.ones(len(run.users), dtype=bool)
        indices = resample_indices(int(mask.sum()), self.options.resamples, self.options.seed)
        return {
            model: {metric: interval(values[mask], indices) for metric, values in metrics.items()}
            for model, metrics in run.per_user.items()
        }

    def ratios(self, run: ProtocolRun, metric: str, segment: str | None = None) -> dict[str, Interval]:
        """memfeed's mean / each baseline's mean of `metric`, paired bootstrap over the same users."""
        if "memfeed" not in run.per_user:
            return {}
        mask = run.segments[segment] if segment else np.ones(len(run.users), dtype=bool)
        indices = resample_indices(int(mask.sum()), self.options.resamples, self.options.seed)
        mine = run.per_user["memfeed"][metric][mask]
        return {
            model: ratio_interval(mine, metrics[metric][mask], indices)
            for model, metrics in run.per_user.items()
            if model != "memfeed"
        }

    def to_dict(self) -> dict[str, Any]:
        b = self.benchmark
        k = self.options.k
        protocols: dict[str, Any] = {}
        for run in b.protocols:
            entry: dict[str, Any] = {
                "users": len(run.users),
                "sampled_from": run.sampled_from,
                "train_users": run.train_users,
                "train_events": run.train_events,
                "held_out_events": run.held_out_events,
                "items": run.items,
                "new_items": run.new_items,
                "seconds": run.seconds,
                "models": _as_dict(self.intervals(run)),
                "memfeed_ratio": {m: i.to_dict() for m, i in self.ratios(run, f"ndcg@{k}").items()},
            }
            for segment, mask in run.segments.items():
                entry[segment] = {
                    "users": int(mask.sum()),
                    "models": _as_dict(self.intervals(run, segment)),
                    "memfeed_ratio": {
                        m: i.to_dict() for m, i in self.ratios(run, f"hit_rate@{k}", segment).items()
                    },
                }
            protocols[run.name] = entry
        return {
            "options": {
                "k": k,
                "protocols": list(self.options.protocols),
                "models": list(self.options.models),
                "max_users": self.options.max_users,
                "seed": self.options.seed,
                "resamples": self.options.resamples,
                "holdout_fraction": self.options.holdout_fraction,
                "new_item_share": self.options.new_item_share,
                "interval": "95% percentile bootstrap over users",
            },
            "ease": {
                "lambda": b.ease_lambda,
                "validation_users": b.validation_users,
                "validation_ndcg": {str(lam): round(v, 5) for lam, v in b.ease_validation.items()},
            },
            "protocols": protocols,
        }

    def markdown(self) -> str:
        b = self.benchmark
        k = self.options.k
        lines: list[str] = []
        if b.ease_validation:
            tried = ", ".join(f"{lam:g}: {v:.4f}" for lam, v in b.ease_validation.items())
            lines += [
                f"EASE lambda {b.ease_lambda:g}, chosen on validation carved from the per-user temporal training "
                f"side ({b.validation_users} users; NDCG@{k} by lambda: {tried}).",
                "",
            ]
        for run in b.protocols:
            title = TITLES[run.name].format(
                pct=f"{self.options.holdout_fraction:.0%}", share=f"{self.options.new_item_share:.0%}"
            )
            sampled = f", a fixed-seed sample of {run.sampled_from}" if run.sampled_from else ""
            lines += [
                f"### {title}",
                "",
                f"{len(run.users)} users evaluated{sampled}; {run.train_events} training events of "
                f"{run.train_users} users, {run.held_out_events} held out; ranking over every one of the "
                f"{run.items} items the user has not seen in training; 95% bootstrap intervals over users.",
                "",
            ]
            if run.name == NEW_ITEMS:
                lines += self._new_items_table(run)
            else:
                lines += self._table(run, [f"ndcg@{k}", f"hit_rate@{k}", f"recall@{k}"])
                ratios = self.ratios(run, f"ndcg@{k}")
                if ratios:
                    lines += ["", f"memfeed NDCG@{k} / baseline (paired): " + _ratio_text(ratios, b)]
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def _table(self, run: ProtocolRun, metrics: list[str]) -> list[str]:
        header = ["model", *(_metric_label(m) for m in metrics)]
        intervals = self.intervals(run)
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for model in _ordered(run.per_user):
            cells = [str(intervals[model][m]) for m in metrics]
            lines.append(f"| {_label(model, self.benchmark)} | " + " | ".join(cells) + " |")
        return lines

    def _new_items_table(self, run: ProtocolRun) -> list[str]:
        k = self.options.k
        hr = f"hit_rate@{k}"
        new = self.intervals(run, "new")
        warm = self.intervals(run, "warm")
        everyone = self.intervals(run)
        n_new, n_warm = int(run.segments["new"].sum()), int(run.segments["warm"].sum())
        header = [
            "model",
            f"HR@{k}, held-out item new ({n_new} users)",
            f"HR@{k}, held-out item warm ({n_warm} users)",
            f"HR@{k}, all",
            f"NDCG@{k}, all",
        ]
        lines = [
            f"{run.new_items} new items.",
            "",
            "| " + " | ".join(header) + " |",
            "|" + " --- |" * len(header),
        ]
        for model in _ordered(run.per_user):
            cells = [
                str(new[model][hr]),
                str(warm[model][hr]),
                str(everyone[model][hr]),
                str(everyone[model][f"ndcg@{k}"]),
            ]
            lines.append(f"| {_label(model, self.benchmark)} | " + " | ".join(cells) + " |")
        for segment in ("new", "warm"):
            ratios = self.ratios(run, hr, segment)
            if ratios and run.segments[segment].any():
                lines += [
                    "",
                    f"memfeed HR@{k} ({segment}) / baseline (paired): " + _ratio_text(ratios, self.benchmark),
                ]
        return lines


def _as_dict(intervals: dict[str, dict[str, Interval]]) -> dict[str, dict[str, dict[str, float]]]:
    return {model: {m: i.to_dict() for m, i in metrics.items()} for model, metrics in intervals.items()}


def _ordered(models: dict[str, Any]) -> list[str]:
    order = list(LABELS)
    return sorted(models, key=lambda m: order.index(m) if m in order else len(order))


def _label(model: str, benchmark: Benchmark) -> str:
    if model == "ease" and benchmark.ease_lambda is not None:
        return f"EASE (lambda {benchmark.ease_lambda:g})"
    return LABELS.get(model, model)


def _metric_label(metric: str) -> str:
    name, _, k = metric.partition("@")
    return {"ndcg": "NDCG", "hit_rate": "HR", "recall": "recall"}.get(name, name) + f"@{k}"


def _ratio_text(ratios: dict[str, Interval], benchmark: Benchmark) -> str:
    return "; ".join(
        f"{_label(m, benchmark)} {ratios[m].mean:.3f} [{ratios[m].low:.3f}, {ratios[m].high:.3f}]"
        for m in _ordered(ratios)
        if np.isfinite(ratios[m].mean)
    )


def run_eval(data: TrainingData, settings: Settings, options: EvalOptions | None = None) -> EvalReport:
    return EvalReport(run_benchmark(data, settings, options))
