"""Counters the service keeps about itself, read by the metrics endpoint (no Prometheus in the core).

Plain integers behind one lock: increments are a few per request, and a scrape copies them at once.
"""

from __future__ import annotations

import threading
from collections import defaultdict


class Telemetry:
    """Named counters with optional labels, e.g. `count("events", outcome="accepted", n=3)`."""

    def __init__(self) -> None:
        self._counts: defaultdict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self._lock = threading.Lock()

    def count(self, name: str, n: float = 1, **labels: str) -> None:
        if n:
            with self._lock:
                self._counts[(name, tuple(sorted(labels.items())))] += n

    def snapshot(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        """name -> [(labels, value)], copied under the lock."""
        with self._lock:
            items = list(self._counts.items())
        out: dict[str, list[tuple[dict[str, str], float]]] = {}
        for (name, labels), value in items:
            out.setdefault(name, []).append((dict(labels), value))
        return out
