"""A request's cost is bounded whatever its parameters: at most one query embedding and
MAX_ENGINE_CALLS engine calls per API or page request.

The engine and the embedder are the real ones, wrapped to count calls. Before this
bound, an empty page with several filters ran one extra full search (query embedding
included) per filter, and a page fetched its records one call each.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ranking.query import MAX_SIZE

# A search: the model check, the query resolved, the plan executed (lists, counts and
# records together). The home page and a practice page with "similar" cost more reads.
SEARCH_CALLS = 3
MAX_ENGINE_CALLS = 7
SOURCE = "kipp-2015-prov-dki-gendis-system-sigareng"


class Counting:
    """Delegates every method to ``target`` and counts the calls by name."""

    def __init__(self, target: Any, calls: Counter[str]) -> None:
        self._target, self._calls = target, calls

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return value(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def counted(sample_store, embedder):
    from tests.conftest import make_app

    app = make_app(sample_store, embedder)
    services = app.extensions["jippnas"]
    engine_calls: Counter[str] = Counter()
    embed_calls: Counter[str] = Counter()
    services.__dict__["engine"] = Counting(services.engine, engine_calls)
    services.__dict__["embedder"] = Counting(services.embedder, embed_calls)
    services.__dict__.pop("search", None)  # rebuilt on the counting parts
    return app.test_client(), engine_calls, embed_calls


def _cost(counted, path: str, params: dict | list) -> tuple[int, int, int]:
    client, engine_calls, embed_calls = counted
    engine_calls.clear()
    embed_calls.clear()
    status = client.get(path, query_string=params).status_code
    return status, sum(engine_calls.values()), embed_calls["encode_query"]


def test_empty_page_with_many_filters_costs_one_search(counted):
    params = [
        ("q", "sampah"),
        ("province", "Bali"),
        ("regency_city", "Kota Denpasar"),
        ("sector", "pendidikan"),
        ("agency_level", "kementerian"),
        ("source_program", "IGA"),
        ("year_from", "2015"),
        ("year_to", "2016"),
        ("digital", "true"),
    ]
    status, engine, embeddings = _cost(counted, "/", params)
    assert status == 200
    assert embeddings == 1 and engine <= SEARCH_CALLS
    _, engine_calls, _ = counted
    assert engine_calls["execute"] == 1


def test_a_full_page_is_fetched_in_one_call(counted):
    status, engine, _ = _cost(counted, "/api/v1/search", {"q": "", "size": MAX_SIZE})
    assert status == 200 and engine <= SEARCH_CALLS
    status, engine, _ = _cost(counted, "/api/v1/search", {"q": "layanan", "sort": "year"})
    assert status == 200 and engine <= SEARCH_CALLS


def test_detail_page_and_similar_are_bounded(counted):
    for path in (f"/inovasi/{SOURCE}", f"/api/v1/innovations/{SOURCE}/similar"):
        status, engine, embeddings = _cost(counted, path, {"size": 50} if "api" in path else {})
        assert status == 200 and embeddings == 0 and engine <= MAX_ENGINE_CALLS


WORDS = st.sampled_from(["sampah", "antrean", "puskesmas", "akta", "umkm", "xqzt", "dan"])
FILTER_VALUES = {
    "province": ["Bali", "Jawa Timur", "jatim", "Atlantis"],
    "sector": ["kesehatan", "pendidikan", "tidak ada"],
    "agency_level": ["kota", "kabupaten", "kementerian"],
    "source_program": ["KIPP", "IGA"],
    "digital": ["true", "false"],
    "year_from": ["2015", "2020"],
    "year_to": ["2019", "2024"],
    "mode": ["lexical", "semantic", "hybrid"],
    "sort": ["relevance", "year"],
    "page": ["1", "2", "10"],
    "size": ["1", "10", "100"],
}
PARAMS = st.lists(
    st.one_of(
        st.tuples(st.just("q"), st.lists(WORDS, max_size=6).map(" ".join)),
        *(st.tuples(st.just(k), st.sampled_from(v)) for k, v in FILTER_VALUES.items()),
    ),
    max_size=12,
)


@given(params=PARAMS, path=st.sampled_from(["/api/v1/search", "/"]))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_search_costs_at_most_one_embedding(counted, params, path):
    status, engine, embeddings = _cost(counted, path, params)
    assert status in (200, 400)
    home = path == "/" and not any(name == "q" and value for name, value in params)
    assert embeddings <= 1 and engine <= (MAX_ENGINE_CALLS if home else SEARCH_CALLS)
