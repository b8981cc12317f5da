"""The engine contract: same input, same filters -> same ids, counts and facets."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from indexer.embeddings import ModelInfo, ModelMismatch
from indexer.engines.base import Filters, MatchQuery, QueryPlan, Resolved, keyword_search
from indexer.text import analyzer
from indexer.validation import validate
from ranking.search import EPSILON
from tests.conftest import SAMPLE, SAMPLE_SIZE

GENDIS = "kipp-2015-prov-dki-gendis-system-sigareng"


def _record(**changes):
    base = {
        "id": "uji-1",
        "title": "Layanan Antar Obat Puskesmas",
        "agency": "Dinkes Kota Uji",
        "agency_level": "kota",
        "province": "Jawa Timur",
        "regency_city": "Kota Malang",
        "sector": "kesehatan",
        "year": 2021,
        "source_program": "KIPP",
        "problem": "Pasien lansia antre lama untuk mengambil obat.",
        "solution": "Obat diantar kurir puskesmas ke rumah pasien.",
    }
    record = validate(base | changes)
    assert not isinstance(record, list), record
    return record


WORDS = ("sampah", "plastik")


def test_exact_query_returns_matching_records_in_score_order(loaded_engine):
    result = keyword_search(loaded_engine, "puskesmas", Filters(), 200)
    assert result.total == len(result.hits) > 5
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits[:5]:
        record = loaded_engine.get(hit.id)
        text = " ".join(
            [
                record.title,
                record.problem,
                record.solution,
                record.impact or "",
                record.agency,
                *record.tags,
            ]
        ).lower()
        assert "puskesmas" in text or "pusat kesehatan masyarakat" in text


def test_typo_is_corrected_only_for_unknown_terms(loaded_engine):
    exact = keyword_search(loaded_engine, "antrean puskesmas", Filters(), 50)
    typo = keyword_search(loaded_engine, "antrean puskesms", Filters(), 50)
    assert typo.corrections == {"puskesms": "puskesmas"}
    assert exact.corrections == {}
    assert [h.id for h in typo.hits] == [h.id for h in exact.hits]


def test_a_query_searched_as_typed_keeps_its_typo_in_hits_and_counts(loaded_engine):
    typed = keyword_search(loaded_engine, "antrean puskesms", Filters(), 500, correct=False)
    antrean = keyword_search(loaded_engine, "antrean", Filters(), 500)
    assert typed.corrections == {}
    assert {h.id for h in typed.hits} == {h.id for h in antrean.hits}
    as_typed = loaded_engine.resolve("antrean puskesms", None, correct=False).terms
    match = MatchQuery("antrean puskesms", terms=as_typed)
    assert loaded_engine.facets(match, Filters()).total == antrean.total


def test_keyword_hits_say_how_much_of_the_query_they_hold(loaded_engine):
    """Coverage per hit and the share of the query's words the store holds at all (the
    made-up third word is in no record) are the same on every engine."""
    found = keyword_search(loaded_engine, "antrean puskesmas zyxwvut", Filters(), 200)
    assert found.known == pytest.approx(2 / 3)
    assert set(found.coverage) == {h.id for h in found.hits}
    assert {round(c, 6) for c in found.coverage.values()} <= {round(1 / 3, 6), round(2 / 3, 6)}
    both = keyword_search(loaded_engine, "antrean puskesmas", Filters(), 200).coverage
    assert {i for i, c in found.coverage.items() if c > 0.5} == {
        i for i, c in both.items() if c == 1.0
    }


PROVINCES = Counter(validate(raw).province for raw in SAMPLE)


def test_filters_or_within_field_and_across_fields(loaded_engine):
    jatim = Filters({"province": ("Jawa Timur",)})
    both = Filters({"province": ("Jawa Timur", "Bali")})
    narrowed = Filters({"province": ("Jawa Timur", "Bali"), "sector": ("kesehatan",)})
    n_jatim = loaded_engine.facets(MatchQuery(), jatim).total
    n_both = loaded_engine.facets(MatchQuery(), both).total
    n_narrow = loaded_engine.facets(MatchQuery(), narrowed).total
    assert (n_jatim, n_both) == (
        PROVINCES["Jawa Timur"],
        PROVINCES["Jawa Timur"] + PROVINCES["Bali"],
    )
    assert 0 < n_narrow < n_both
    for hit in loaded_engine.browse(narrowed, 100):
        record = loaded_engine.get(hit.id)
        assert record.province in ("Jawa Timur", "Bali") and record.sector == "kesehatan"


def test_year_and_digital_filters(loaded_engine):
    filters = Filters(year_from=2019, year_to=2020, digital=True)
    hits = loaded_engine.browse(filters, 200)
    assert hits
    assert loaded_engine.facets(MatchQuery(), filters).total == len(hits)
    for hit in hits:
        record = loaded_engine.get(hit.id)
        assert 2019 <= record.year <= 2020 and record.digital


def test_facets_are_disjunctive(loaded_engine):
    """Choosing one province keeps the other provinces' counts for the same query."""
    match = MatchQuery(text="sampah")
    unfiltered = loaded_engine.facets(match, Filters()).facets
    counts = loaded_engine.facets(match, Filters({"province": ("Bali",)}))
    filtered, total = counts.facets, counts.total
    assert filtered["province"] == unfiltered["province"]
    assert sum(c for _, c in filtered["sector"]) == total
    bali = dict(unfiltered["province"]).get("Bali", 0)
    assert total == bali


def test_totals_without_each_filter_are_what_dropping_it_would_give(loaded_engine):
    """An empty page's "drop this filter" hints are read from these, so they must be exact."""
    match = MatchQuery(text="sampah")
    filters = Filters({"province": ("Bali",), "sector": ("kesehatan",)}, year_from=2019)
    counts = loaded_engine.facets(match, filters)
    for name in ("province", "sector", "year", "digital"):
        dropped = loaded_engine.facets(match, filters.without(name)).total
        assert counts.without[name] == dropped
    assert counts.without["digital"] == counts.total  # no digital filter to drop


def test_match_set_counts_the_share_of_query_words(loaded_engine):
    """Half of a two-word query is not enough at a 0.75 threshold: both words are needed,
    through either of a word's terms (its stem or its surface form)."""
    lone = {w: {h.id for h in keyword_search(loaded_engine, w, Filters(), 500).hits} for w in WORDS}
    both = set.intersection(*lone.values())
    any_word = set.union(*lone.values())
    strict = loaded_engine.facets(MatchQuery(" ".join(WORDS), threshold=0.75), Filters())
    loose = loaded_engine.facets(MatchQuery(" ".join(WORDS)), Filters())
    assert 0 < strict.total == len(both) < loose.total == len(any_word)


def test_match_set_adds_word_share_to_cosine(loaded_engine):
    """A record closer than the threshold matches on meaning alone; one a little further
    needs the query's words too; candidates report which of them are in the set."""
    source = "kipp-2019-prov-dki-telor-dadar-112"
    vector = loaded_engine.get_vector(source)
    near = loaded_engine.knn(vector, Filters(), 40)
    cut = near[10].score - EPSILON  # engines add in float32 or float64: see EPSILON
    by_meaning = {h.id for h in near if h.score >= cut}
    meaning = loaded_engine.facets(MatchQuery(vector=vector, threshold=cut), Filters())
    assert meaning.total == len(by_meaning)
    text = "nomor darurat"
    words = {h.id for h in keyword_search(loaded_engine, text, Filters(), 500).hits}
    both = MatchQuery(text, vector, coverage_weight=0.05, threshold=cut)
    counts = loaded_engine.facets(both, Filters(), candidates=[h.id for h in near])
    assert counts.total >= meaning.total
    assert by_meaning <= counts.matched <= by_meaning | words
    below = [h.id for h in near if h.score < cut - 0.05]
    assert not counts.matched & set(below)  # too far for the words to make up


def test_a_rule_with_a_vector_matches_only_among_its_nearest_records(loaded_engine):
    """However low the threshold, only the rule's ``neighbours`` nearest records in the
    whole store can match (on OpenSearch each shard's nearest); words alone never reach
    a threshold that needs a cosine.

    The cap is as wide as a k-NN search explores (100): an HNSW search for fewer
    neighbours is approximate, and on a cluster a replica's graph differs from its
    primary's, so a narrower cap could miss one of the nearest on one copy only."""
    vector = loaded_engine.get_vector("kipp-2019-prov-dki-telor-dadar-112")
    shards = loaded_engine.shard_layout.shards if hasattr(loaded_engine, "shard_layout") else 1
    cap = 100
    nearest = {h.id for h in loaded_engine.knn(vector, Filters(), cap)}
    far = {h.id for h in loaded_engine.browse(Filters(), 1000)}
    far -= {h.id for h in loaded_engine.knn(vector, Filters(), cap * shards + 50)}
    anything = MatchQuery(vector=vector, threshold=-1.0, neighbours=cap)
    counts = loaded_engine.facets(anything, Filters(), candidates=sorted(nearest | far))
    assert cap <= counts.total <= cap * shards and counts.matched == nearest
    text = "nomor darurat"
    words = {h.id for h in keyword_search(loaded_engine, text, Filters(), 500).hits}
    both = MatchQuery(text, vector, coverage_weight=0.5, threshold=0.4, neighbours=cap)
    counts = loaded_engine.facets(both, Filters(), candidates=sorted(words | nearest))
    assert counts.matched & words & far == set() and len(words & far) > 3
    assert nearest <= counts.matched


def test_facet_counts_over_everything(loaded_engine):
    counts = loaded_engine.facets(MatchQuery(), Filters())
    total, facets = counts.total, counts.facets
    assert total == SAMPLE_SIZE
    regencies = sum(r["agency_level"] == "kabupaten" for r in SAMPLE)
    assert dict(facets["agency_level"])["kabupaten"] == regencies
    digital = sum(bool(r.get("digital")) for r in SAMPLE)
    assert dict(facets["digital"]) == {True: digital, False: SAMPLE_SIZE - digital}
    years = [v for v, _ in facets["year"]]
    assert years == sorted(years, reverse=True)


def test_knn_applies_filters_inside_the_search(loaded_engine):
    vector = loaded_engine.get_vector(GENDIS)
    assert vector is not None
    nearest = loaded_engine.knn(vector, Filters(), 3)
    assert nearest[0].id == GENDIS and nearest[0].score == pytest.approx(1.0, abs=1e-4)
    bali = loaded_engine.knn(vector, Filters({"province": ("Bali",)}), 100)
    assert len(bali) == PROVINCES["Bali"] < 100
    assert all(loaded_engine.get(h.id).province == "Bali" for h in bali)
    assert GENDIS not in [h.id for h in loaded_engine.knn(vector, Filters(), 5, exclude=[GENDIS])]


def test_upsert_reports_created_updated_unchanged(new_engine, embedder):
    engine = new_engine()
    record = _record()
    vectors = embedder.encode([record.embedding_text()])
    assert [r.status for r in engine.upsert([record], vectors, embedder.info)] == ["created"]
    first = engine.get("uji-1")
    assert [r.status for r in engine.upsert([record], vectors, embedder.info)] == ["unchanged"]
    changed = _record(title="Layanan Antar Obat Lansia")
    assert engine.upsert([changed], vectors, embedder.info)[0].status == "updated"
    stored = engine.get("uji-1")
    assert stored.title == "Layanan Antar Obat Lansia"
    assert stored.created_at == first.created_at
    assert [h.id for h in keyword_search(engine, "lansia", Filters(), 5).hits] == ["uji-1"]
    assert keyword_search(engine, "obat", Filters(), 5).total == 1


def test_delete_removes_text_facets_and_vector(new_engine, embedder):
    engine = new_engine()
    record = _record()
    engine.upsert([record], embedder.encode([record.embedding_text()]), embedder.info)
    assert engine.delete(["uji-1", "missing"]) == 1
    assert engine.get("uji-1") is None and engine.get_vector("uji-1") is None
    assert keyword_search(engine, "obat", Filters(), 5).total == 0
    assert engine.facets(MatchQuery(), Filters()).total == 0


def test_failed_batch_changes_nothing(new_engine, embedder):
    """A batch that cannot be written whole leaves every record as it was."""
    engine = new_engine()
    first = _record()
    engine.upsert([first], embedder.encode([first.embedding_text()]), embedder.info)
    second = _record(id="uji-2", title="Sampah Jadi Emas")
    vectors = embedder.encode([second.embedding_text()] * 2)
    with pytest.raises(ValueError, match="dimension"):
        engine.upsert([_record(title="Diubah"), second], vectors[:, :100], embedder.info)
    assert engine.get("uji-1").title == first.title
    assert engine.get("uji-2") is None
    assert engine.facets(MatchQuery(), Filters()).total == 1


def test_refuses_vectors_from_another_model(new_engine, embedder):
    engine = new_engine()
    record = _record()
    engine.upsert([record], embedder.encode([record.embedding_text()]), embedder.info)
    with pytest.raises(ModelMismatch, match="other-model"):
        engine.upsert(
            [_record(id="uji-3")], np.zeros((1, 8), np.float32), ModelInfo("other-model", 8)
        )
    assert engine.model_info() == embedder.info


def test_get_many_returns_the_stored_records_and_skips_unknown_ids(loaded_engine):
    ids = [h.id for h in loaded_engine.browse(Filters(), 600)]
    found = loaded_engine.get_many([*ids, "tidak-ada", ids[0]])
    assert list(found) != [] and set(found) == set(ids)
    assert all(found[i] == loaded_engine.get(i) for i in ids[:5])
    assert loaded_engine.get_many([]) == {}


def test_a_very_long_query_answers_like_its_first_terms(loaded_engine):
    """Past the term budget the rest of a query is ignored, on every engine alike (and
    OpenSearch stays under its clause limit)."""
    words = [f"{c}{i:02d}" for c in "qxzj" for i in range(100)]  # unknown, too short to fix
    long_query = "antrean puskesmas " + " ".join(words)
    found = keyword_search(loaded_engine, long_query, Filters(), 10)
    assert (
        found.total == keyword_search(loaded_engine, "antrean puskesmas", Filters(), 10).total > 0
    )


def test_completion_finds_titles_and_tags_by_the_word_being_typed(loaded_engine):
    """Autocomplete: the finished words must all be there, the last may be unfinished."""
    hits = loaded_engine.complete("antrean pusk", Filters(), 50)
    assert hits
    for hit in hits:
        record = loaded_engine.get(hit.id)
        words = analyzer().tokens(" ".join([record.title, *record.tags]))
        assert any(w.startswith("pusk") for w in words), hit.id
        assert {"antre", "antrean"} & set(words), hit.id
    one = loaded_engine.complete("puskes", Filters(terms={"province": ("Jawa Timur",)}), 50)
    assert one and all(loaded_engine.get(h.id).province == "Jawa Timur" for h in one)
    assert loaded_engine.complete("p", Filters(), 10) == []  # too short to complete
    assert loaded_engine.complete('pusk" OR * NEAR(', Filters(), 10) == []  # syntax is text


def test_counts_from_the_resolved_query_equal_counts_from_its_text(loaded_engine):
    resolved = loaded_engine.resolve("antrian puskesms", None)
    assert resolved.terms is not None
    assert resolved.terms.corrections == {"puskesms": "puskesmas"}
    reused = MatchQuery("antrian puskesms", terms=resolved.terms)
    assert loaded_engine.facets(reused, Filters()) == loaded_engine.facets(
        MatchQuery("antrian puskesms"), Filters()
    )


def test_resolve_finds_the_nearest_record_and_the_share_of_known_words(loaded_engine):
    vector = loaded_engine.get_vector(loaded_engine.browse(Filters(), 1)[0].id)
    resolved = loaded_engine.resolve("antrean puskesmas zyxwvut", vector)
    nearest = loaded_engine.knn(vector, Filters(), 1)[0]
    assert resolved.nearest is not None and resolved.nearest.id == nearest.id
    np.testing.assert_allclose(
        resolved.nearest_vector, loaded_engine.get_vector(nearest.id), atol=1e-6
    )
    assert resolved.known == pytest.approx(2 / 3)
    assert loaded_engine.resolve(None, None) == Resolved()


def test_a_plan_answers_as_the_primitives_do(loaded_engine):
    """One execute gives the keyword list, the meaning list, the counts, which hits are
    in the match set (as the engine's own count says) and exactly those hits' records."""
    filters = Filters({"sector": ("kesehatan", "pendidikan")})
    text = "antrean pasien puskesmas"
    vector = loaded_engine.get_vector(keyword_search(loaded_engine, text, Filters(), 1).hits[0].id)
    terms = loaded_engine.resolve(text, None).terms
    # Halfway between two neighbours of the meaning list: a cut exactly at a record's
    # cosine would test float rounding (HNSW's score against the exact script's), not rules.
    near = loaded_engine.knn(vector, filters, 30)
    mid = (near[15].score + near[16].score) / 2
    for weight, threshold in ((0.0, mid), (0.08, mid + 0.04), (1.0, mid + 0.5)):
        match = MatchQuery(text, vector, weight, threshold, terms)
        answer = loaded_engine.execute(QueryPlan(filters, 30, terms, vector, match))
        assert answer.keyword == keyword_search(loaded_engine, text, filters, 30).hits
        assert [h.id for h in answer.semantic] == [
            h.id for h in loaded_engine.knn(vector, filters, 30)
        ]
        expected = loaded_engine.facets(match, filters, candidates=answer.candidates)
        assert answer.counts == expected and 0 < len(expected.matched) < len(answer.candidates)
        assert set(answer.records) == expected.matched
        assert all(answer.records[i] == loaded_engine.get(i) for i in expected.matched)


def test_a_plan_without_query_browses_newest_first(loaded_engine):
    filters = Filters({"province": ("Jawa Timur",)})
    answer = loaded_engine.execute(QueryPlan(filters, 7))
    assert answer.keyword == loaded_engine.browse(filters, 7)
    assert answer.counts.total == loaded_engine.facets(MatchQuery(), filters).total > 7
    assert list(answer.records) and set(answer.records) == {h.id for h in answer.keyword}
