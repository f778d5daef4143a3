"""Prometheus metrics and the access log: one middleware times every request, one collector reads the
runtime's counters at scrape time.

Each app has its own registry (tests build many apps in one process). Labels are route templates
(`/v1/users/{user_id}/feed`), never raw paths, so user ids never reach the metrics and cardinality stays fixed.
The access log line holds the request id, route, status, latency and API key id: never a key, a token, a
query string or a body (memory text stays out of logs).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("memfeed.access")

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

COUNTERS: dict[str, tuple[str, str]] = {
    "events": (
        "memfeed_events",
        "Events received by POST /v1/events, by outcome (accepted, duplicate, rejected)",
    ),
    "feed_pages": ("memfeed_feed_pages", "Feed pages served, by kind (personal, cold)"),
    "feed_candidates": ("memfeed_feed_candidates", "Candidates scored for personal feed pages"),
    "feed_fold_ins": (
        "memfeed_feed_fold_ins",
        "Users folded into the model at request time (acted since training)",
    ),
    "cache_requests": ("memfeed_cache_requests", "Cache lookups, by cache and result (hit, miss)"),
}


class HttpMetrics:
    """Request count and latency by method, route template and status, in the app's own registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "memfeed_http_requests",
            "HTTP requests by method, route template and status",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "memfeed_http_request_duration_seconds",
            "HTTP request latency by method and route template",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )


class MetricsMiddleware:
    """Outermost layer: times the whole request, including the body cap and error handlers."""

    def __init__(self, app: ASGIApp, *, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            state: dict[str, Any] = scope.get("state") or {}
            access_log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "request_id": state.get("request_id"),
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 2),
                    "key_id": state.get("key_id"),
                },
            )


class RuntimeCollector(Collector):
    """The runtime's counters, the serving model and retrain runs, read when Prometheus scrapes."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        runtime = getattr(self.app.state, "runtime", None)
        if runtime is None:
            return
        counts = runtime.telemetry.snapshot()
        for key, (name, doc) in COUNTERS.items():
            rows = counts.get(key, [])
            labels = sorted({label for row_labels, _ in rows for label in row_labels})
            family = CounterMetricFamily(name, doc, labels=labels)
            for row_labels, value in rows:
                family.add_metric([row_labels.get(label, "") for label in labels], value)
            yield family
        info = InfoMetricFamily("memfeed_model", "The model version serving feeds")
        info.add_metric([], {"version": runtime.feeds.model_version})
        yield info
        cached = GaugeMetricFamily(
            "memfeed_memory_cached_users", "Users whose memories are cached in process"
        )
        cached.add_metric([], len(runtime.memories.cache))
        yield cached
        yield from self._runs(runtime)

    def _runs(self, runtime: Any) -> Iterator[Metric]:
        runs = GaugeMetricFamily("memfeed_retrain_runs", "Retrain runs recorded, by state", labels=["state"])
        for state, count in runtime.runs.counts_by_state().items():
            runs.add_metric([state], count)
        yield runs
        duration = GaugeMetricFamily(
            "memfeed_retrain_last_duration_seconds", "Wall time of the last finished retrain run"
        )
        last = runtime.runs.last_duration_seconds()
        if last is not None:
            duration.add_metric([], last)
        yield duration


def build_registry(app: Any) -> tuple[CollectorRegistry, HttpMetrics]:
    registry = CollectorRegistry(auto_describe=True)
    metrics = HttpMetrics(registry)
    registry.register(RuntimeCollector(app))
    return registry, metrics
