"""/metrics exposes the series operators alert on; the access log says who asked what, never a secret."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from memfeed.platform.logs import JsonFormatter
from tests.conftest import Api, topic_items


def scrape(api: Api) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    r = api.client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    series: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            series.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return series


def value(series: dict, name: str, **labels: str) -> float:
    return series.get(name, {}).get(tuple(sorted(labels.items())), 0.0)


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    """Every JSON log line the service writes while the test runs."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("memfeed")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(previous)


def test_metrics_expose_requests_events_feeds_caches_and_model(api: Api) -> None:
    api.put_items(topic_items())
    before = scrape(api)
    api.send([{"event_id": "e1", "user_id": "u1", "item_id": "space-00", "type": "like"}])
    api.send(
        [
            {"event_id": "e1", "user_id": "u1", "item_id": "space-00", "type": "like"},
            {"event_id": "e2", "user_id": "u1", "item_id": "no-such-item", "type": "like"},
        ]
    )
    api.feed("u1", limit=5)
    api.feed("nobody", limit=5)
    r = api.client.post("/v1/users/u9/memories", json={"text": "I follow rocket launches"}, headers=api.admin)
    assert r.status_code == 201
    for _ in range(2):  # the first search loads u9's memories (a miss), the second finds them cached (a hit)
        r = api.client.get("/v1/users/u9/memories/search", params={"q": "rockets"}, headers=api.admin)
        assert r.status_code == 200
    assert api.client.get("/v1/items/nope", headers=api.admin).status_code == 404
    after = scrape(api)

    feed_route = {"method": "GET", "route": "/v1/users/{user_id}/feed", "status": "200"}
    assert value(after, "memfeed_http_requests_total", **feed_route) == 2
    assert (
        value(after, "memfeed_http_requests_total", method="GET", route="/v1/items/{item_id}", status="404")
        == 1
    )
    assert (
        value(
            after,
            "memfeed_http_request_duration_seconds_count",
            method="GET",
            route="/v1/users/{user_id}/feed",
        )
        == 2
    )
    assert not any("u1" in str(labels) for labels in after["memfeed_http_requests_total"])  # templates only
    for outcome, n in (("accepted", 1), ("duplicate", 1), ("rejected", 1)):
        assert (
            value(after, "memfeed_events_total", outcome=outcome)
            - value(before, "memfeed_events_total", outcome=outcome)
            == n
        )
    assert value(after, "memfeed_feed_pages_total", kind="personal") == 1
    assert value(after, "memfeed_feed_pages_total", kind="cold") == 1
    assert value(after, "memfeed_feed_candidates_total") > 0
    assert value(after, "memfeed_cache_requests_total", cache="memory", result="hit") >= 1
    assert value(after, "memfeed_cache_requests_total", cache="memory", result="miss") >= 1
    assert value(after, "memfeed_model_info", version="content:all-MiniLM-L6-v2/384") == 1
    text = api.client.get("/metrics").text
    assert "# TYPE memfeed_retrain_runs gauge" in text
    assert "# TYPE memfeed_retrain_last_duration_seconds gauge" in text


def test_metrics_need_no_key(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 200


def test_access_log_has_request_id_route_status_latency_and_key_id_but_no_secrets(
    api: Api, log_lines: list[str]
) -> None:
    api.put_items(topic_items())
    token = api.token("u7")
    secret_text = "my bank PIN is 90210 and I live at 12 Elm Street"
    headers = {**api.as_user("u7"), "X-Request-ID": "req-observability-1"}
    r = api.client.post("/v1/users/u7/memories", json={"text": secret_text}, headers=headers)
    assert r.status_code == 201
    r = api.client.get(
        "/v1/users/u7/memories/search",
        params={"q": "bank PIN 90210"},
        headers={**headers, "X-Request-ID": "r2"},
    )
    assert r.status_code == 200
    api.client.get("/v1/users/u7/feed", headers={"X-API-Key": "mf_wrong_key_value"})

    joined = "\n".join(log_lines)
    for secret in (token, api.app_key, api.admin_key, "mf_wrong_key_value", "90210", "Elm Street"):
        assert secret not in joined
    access = [json.loads(line) for line in log_lines if '"logger": "memfeed.access"' in line]
    first = next(a for a in access if a["request_id"] == "req-observability-1")
    assert first["route"] == "/v1/users/{user_id}/memories"
    assert first["status"] == 201 and first["method"] == "POST"
    assert first["latency_ms"] >= 0
    assert first["key_id"] and first["key_id"] in api.app_key  # the id part of the key, not the key
    assert any(a["status"] == 401 for a in access)


def test_served_by_header_names_the_worker_only_when_enabled(api_factory) -> None:  # type: ignore[no-untyped-def]
    plain = api_factory("sqlite").client.get("/healthz")
    assert "x-served-by" not in plain.headers
    tagged = api_factory("sqlite", served_by_header=True).client.get("/v1/items/nope", headers={})
    assert tagged.status_code == 401 and tagged.headers["x-served-by"] == str(os.getpid())
