"""Property-based: arbitrary Unicode, numbers, nulls and odd JSON in every record field,
every id and every query parameter, through the API and through each file format.

Whatever comes in: never a 5xx or a crash, every untouched valid record in the same
batch is stored, every record is accounted for, and every rejection names its position,
a field and a reason.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import write_rejections
from indexer import fields as registry
from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import read_bytes
from ranking.query import search_params

# Every field a record can be given (codes and timestamps are derived, never read).
FIELDS = tuple(f.name for f in registry.FIELDS if f.is_input)
REPORTED_FIELDS = {*FIELDS, "record"}
STORED = {"created", "updated", "unchanged"}
SPECIAL = st.sampled_from(
    ["\ud800", "\udfff", "a\u200bb", "\x00", "\u00ad", "NaN", " ", "", "٣", "²", "𝟘", "\ufeff"]
)
# Arbitrary text, with the characters that broke the service before mixed in often.
TEXT = st.lists(
    SPECIAL | st.text(st.characters(exclude_categories=()), max_size=20) | st.just("antrean "),
    max_size=4,
).map("".join)
SCALARS = st.one_of(
    TEXT,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
EXAMPLES = settings(
    max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
_numbers = itertools.count()


def _fresh(record: dict) -> dict:
    return record | {"id": f"prop-{next(_numbers)}"}


FREE_TEXT = ("title", "agency", "award", "problem", "solution", "impact", "source_program")


@st.composite
def hostile_records(draw, sample: list[dict]) -> dict:
    """A valid record with arbitrary text in one free-text field (often still valid, so it
    reaches the analyser, the model and the store), or with any fields replaced by
    arbitrary values or removed."""
    record = _fresh(sample[draw(st.integers(0, len(sample) - 1))])
    if draw(st.booleans()):
        name = draw(st.sampled_from(FREE_TEXT))
        record[name] = f"{record.get(name) or ''} {draw(TEXT)}"
        record["tags"] = draw(st.lists(TEXT, max_size=3))
        return record
    for name in draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=4, unique=True)):
        if draw(st.booleans()):
            record[name] = draw(VALUES)
        else:
            record.pop(name, None)
    return record


def _check_rejection(rejection: dict) -> None:
    assert rejection["errors"], rejection
    for error in rejection["errors"]:
        assert error["field"] in REPORTED_FIELDS and error["reason"].strip()


# -- through the API ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def api(sample_store, embedder, tmp_path_factory):
    import shutil

    from tests.conftest import make_app

    store = tmp_path_factory.mktemp("property") / "store"
    shutil.copytree(sample_store, store)
    return make_app(store, embedder).test_client()


@given(data=st.data())
@EXAMPLES
def test_api_batches_store_the_valid_and_report_the_rest(api, auth, sample_records, data):
    batch: list = data.draw(
        st.lists(hostile_records(sample_records) | VALUES, min_size=1, max_size=4)
    )
    position = data.draw(st.integers(0, len(batch)))
    batch.insert(position, _fresh(sample_records[position]))
    resp = api.post("/api/v1/innovations", json=batch, headers=auth)
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    results = resp.json["results"]
    assert [r["index"] for r in results] == list(range(len(batch)))
    assert results[position]["status"] in STORED
    for result in results:
        if result["status"] in STORED:
            assert api.get(f"/api/v1/innovations/{result['id']}").status_code == 200
        else:
            _check_rejection(result)


# -- through each file format ---------------------------------------------------------------
def _file(records: list, fmt: str) -> bytes:
    if fmt == "jsonl":
        return "\n".join(json.dumps(r) for r in records).encode()
    if fmt == "json":
        return json.dumps(records).encode()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore")
    writer.writeheader()
    for record in records:
        row = record if isinstance(record, dict) else {"title": record}
        writer.writerow({k: _cell(v) for k, v in row.items() if isinstance(k, str)})
    return out.getvalue().encode("utf-8", "surrogatepass")  # lone surrogates -> bad bytes


def _cell(value: object) -> str:
    if isinstance(value, list):
        return ";".join(map(str, value))
    return "" if value is None else str(value)


@pytest.fixture(scope="module")
def file_engine(tmp_path_factory) -> EmbeddedEngine:
    return EmbeddedEngine(tmp_path_factory.mktemp("property-files"))


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
@given(data=st.data())
@EXAMPLES
def test_files_store_the_valid_and_report_the_rest(
    file_engine, embedder, sample_records, tmp_path_factory, fmt, data
):
    records: list = data.draw(
        st.lists(hostile_records(sample_records) | VALUES, min_size=1, max_size=4)
    )
    position = data.draw(st.integers(0, len(records)))
    records.insert(position, _fresh(sample_records[position]))
    report = Ingestor(file_engine, embedder).run(read_bytes(_file(records, fmt), fmt))
    assert file_engine.get(records[position]["id"]) is not None
    rejected = [r.to_dict() for r in report.rejections]
    for rejection in rejected:
        _check_rejection(rejection)
    if fmt != "csv":  # in CSV a cell may hold a line break, so rows and lines differ
        label = "line" if fmt == "jsonl" else "record"
        seen = [r[label] for r in rejected] + [p for p, _ in report.written]
        assert sorted(seen) == list(range(1, len(records) + 1))
    folder = tmp_path_factory.mktemp("reports")
    written = write_rejections(report, folder, Path(f"hostile.{fmt}"))
    if written:
        assert len(written.read_text("utf-8").splitlines()) == len(rejected)


def _quoted(text: str) -> str:
    """Percent-encoded bytes of any text, lone surrogates included (as broken UTF-8)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


# -- query parameters and ids ---------------------------------------------------------------
PARAM_NAMES = st.sampled_from(sorted(search_params())) | TEXT
PARAM_VALUES = TEXT | st.integers().map(str) | st.sampled_from(["-1", "0", "1e3", "9" * 30])


@given(
    params=st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES), max_size=8),
    record_id=TEXT,
    path=st.sampled_from(
        ["/api/v1/search", "/", "/api/v1/innovations/{id}/similar", "/api/v1/innovations/{id}"]
    ),
)
@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_query_parameters_and_ids_never_fail(api, params, record_id, path):
    query = "&".join(f"{_quoted(k)}={_quoted(v)}" for k, v in params)
    target = path.format(id=_quoted(record_id) or "x")
    resp = api.get(f"{target}?{query}")
    assert resp.status_code < 500, (target, params, resp.get_data(as_text=True)[:300])
    if target.startswith("/api/") and resp.status_code >= 400:
        assert set(resp.json["error"]) == {"code", "message", "details"}
