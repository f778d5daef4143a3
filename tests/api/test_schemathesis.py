"""Schemathesis over every route of the published OpenAPI document, in-process, with an admin key.

Every generated request, valid or not, must get an answer in the documented shape: never a 5xx, a status
code listed for the route, and a body matching that status's schema (errors in the error shape).
Bounded and deterministic: 25 examples per operation (plus schemathesis's explicit examples and coverage
cases), derandomized.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import (  # resolved by name from schemathesis's registry of checks
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from api.app import create_app
from memfeed.catalog.embedding import Embedder
from memfeed.platform.auth import create_api_key
from memfeed.platform.storage.db import open_database
from memfeed.training.repository import RunRepository
from tests.conftest import make_settings, migrated, topic_items

# Every built-in response check but two that judge what the app accepts rather than how it answers:
# - positive_data_acceptance: some schema-valid strings are refused on purpose (an opaque `cursor` whose
#   signature does not match: 400; a `metadata` filter that is not a JSON object: 422), both documented.
# - negative_data_rejection: pydantic's lax mode takes `true` for an integer, "1.5" for a number and 0 for a
#   boolean, and the CSV importer relies on that (its cells are strings). Lenient, never a 5xx: the
#   contract's promise is "invalid input never gives a 500", which not_a_server_error checks.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]


@dataclass
class FuzzTarget:
    app: FastAPI
    headers: dict[str, str]


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> FuzzTarget:
    directory: Path = tmp_path_factory.mktemp("fuzz")
    fuzz_settings = migrated(
        make_settings(
            directory, f"sqlite:///{(directory / 'memfeed.db').as_posix()}", rate_limit_enabled=False
        )
    )
    with open_database(fuzz_settings) as database:
        _, admin_key = create_api_key(database, "admin", "fuzz")
        # POST /v1/admin/retrain is fuzzed like any route, but a run held open here makes every accepted call a
        # 409: otherwise the first valid request would start a real retrain process (minutes of CPU) mid-test.
        RunRepository(database).add("0" * 32, "never")
    headers = {"X-API-Key": admin_key}
    app = create_app(fuzz_settings, embedder=embedder)
    # Something to find: the topic catalog, plus the ids the schema's examples use.
    with TestClient(app) as client:
        items = topic_items() + [{"item_id": "article-1", "title": "How rockets land themselves"}]
        assert client.post("/v1/items", json={"items": items}, headers=headers).status_code == 200
        memory = {"text": "The user is vegetarian", "kind": "preference"}
        assert client.post("/v1/users/u-1/memories", json=memory, headers=headers).status_code == 201
    return FuzzTarget(app, headers)


def published_schema() -> schemathesis.BaseSchema:
    """The app's own /openapi.json, read at collection without starting it (no lifespan, no model load).

    A module-level schema rather than `schemathesis.pytest.from_fixture`: the lazy loader sets
    `Function._nodeid`, which pytest 9.2 no longer has. Requests go to the fixture's app (`app=` below).
    """
    placeholder = make_settings(Path("var/fuzz-unused"), "sqlite://", rate_limit_enabled=False)
    response = TestClient(create_app(placeholder)).get("/openapi.json")
    assert response.status_code == 200, response.text
    return schemathesis.openapi.from_dict(response.json())


schema = published_schema()


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_route_answers_in_its_documented_shape(
    case: schemathesis.Case, fuzz_target: FuzzTarget
) -> None:
    case.call_and_validate(app=fuzz_target.app, headers=fuzz_target.headers, checks=CHECKS)
