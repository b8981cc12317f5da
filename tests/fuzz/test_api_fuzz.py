"""Property-based fuzzing of the HTTP API from its own OpenAPI document (schemathesis).

Runs against the real app served over HTTP on a copy of the sample data, with the write
token, so writes and deletes are fuzzed too. Every response must be below 500 and match
the documented status codes, content types and schemas.

A second, stateful run follows the document's links: create (POST /innovations) -> read
-> similar -> delete, with the id the previous response named, so sequences on one
record are fuzzed too (schemathesis' stateful checks: a created record can be read, a
deleted one is gone).

Not checked: that every schema-valid request is accepted. Cross-field limits (page x size
<= 1000, year_from <= year_to) cannot be expressed in OpenAPI 3.0, and answering them
with a documented 400 is deliberate.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import ensure_resource_availability, positive_data_acceptance
from schemathesis.generation.modes import GenerationMode

from app.openapi import openapi_document
from tests.conftest import TOKEN, make_app, serve

CASES_PER_OPERATION = 60
# Stateful run: scenarios (sequences) and the most steps (requests) in each.
SCENARIOS = 60
STEPS_PER_SCENARIO = 10


@pytest.fixture(scope="module")
def api_url(sample_store: Path, embedder, tmp_path_factory) -> Iterator[str]:
    store = tmp_path_factory.mktemp("fuzz") / "store"
    shutil.copytree(sample_store, store)
    with serve(make_app(store, embedder)) as url:
        yield f"{url}/api/v1/openapi.json"


@pytest.fixture(scope="module")
def api_schema(api_url: str):
    return schemathesis.openapi.from_url(api_url)


def fuzz(operation, calls: dict[str, int]) -> None:
    """Run CASES_PER_OPERATION generated requests against one operation."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=CASES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        calls[operation.label] = calls.get(operation.label, 0) + 1
        case.call_and_validate(
            headers={"Authorization": f"Bearer {TOKEN}"}, excluded_checks=[positive_data_acceptance]
        )

    check()


def test_api_never_fails_and_matches_its_schema(api_schema):
    calls: dict[str, int] = {}
    for result in api_schema.get_all_operations():
        fuzz(result.ok(), calls)
    documented = sum(len(methods) for methods in openapi_document()["paths"].values())
    assert len(calls) == documented and all(n > 0 for n in calls.values())
    print(f"schemathesis: {sum(calls.values())} cases over {len(calls)} operations: {calls}")


def test_linked_sequences_never_fail_and_match_the_schema(api_url):
    """Create -> read -> similar -> delete through the OpenAPI links, on one record.

    Schema-valid requests only, as above: invalid records in a valid array are answered
    200 with per-record rejections by design, which negative fuzzing would flag.
    """
    schema = schemathesis.openapi.from_url(api_url)
    schema.config.generation.update(modes=[GenerationMode.POSITIVE])
    followed: Counter[str] = Counter()
    steps: Counter[str] = Counter()

    class Workflow(schema.as_state_machine()):
        def step(self, input):
            output = super().step(input)
            steps[output.case.operation.label] += 1
            if input.transition is not None and input.is_applied:
                followed[f"{input.transition.id} -> {output.response.status_code}"] += 1
            return output

        def follows_a_rejected_record(self, case) -> bool:
            """The links name results[0].id, which is stored only if that record was: a
            rejected one keeps the id it was sent with, so its 404 proves nothing."""
            parent = self.recorder.find_parent(case_id=case.id)
            if parent is None or parent.operation.label != "POST /api/v1/innovations":
                return False
            created = self.recorder.find_response(case_id=parent.id)
            results = created.json().get("results") if created is not None else None
            return bool(results) and results[0].get("status") == "rejected"

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {TOKEN}"}}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            excluded = [positive_data_acceptance]
            if self.follows_a_rejected_record(case):
                excluded.append(ensure_resource_availability)
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=excluded,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    started = time.monotonic()
    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=STEPS_PER_SCENARIO,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    elapsed = time.monotonic() - started
    print(f"schemathesis stateful: {sum(steps.values())} requests in {elapsed:.1f} s")
    print(f"  steps: {dict(steps)}")
    print(f"  links followed: {dict(followed)}")
    from_created = [
        name
        for name in followed
        if name.startswith("POST /api/v1/innovations -> [200]") and name.endswith(("200", "204"))
    ]
    assert from_created, "no link from a created record was followed to that record"
