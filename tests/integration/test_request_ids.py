"""Every request has an id: echoed in the response and stamped on its JSON log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from workers.logs import json_handler


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler, root = json_handler(stream), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def _requests(stream: io.StringIO) -> list[dict]:
    lines = [json.loads(line) for line in stream.getvalue().splitlines() if line]
    return [line for line in lines if line["message"] == "request"]


def test_a_given_request_id_is_echoed_and_logged(client, log_lines):
    response = client.get("/api/v1/search?q=puskesmas", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    (line,) = _requests(log_lines)
    assert line["request_id"] == "abc-123" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/v1/search", 200)
    assert line["duration_ms"] > 0


def test_a_missing_or_unsafe_id_is_replaced_by_a_new_one(client, log_lines):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz", headers={"X-Request-ID": 'x" {evil}'}).headers["X-Request-ID"]
    assert len(first) == len(second) == 32 and first != second
    assert [line["request_id"] for line in _requests(log_lines)] == [first, second]
