"""The HTTP API over the sample data on the embedded engine."""

from __future__ import annotations

from bench.relevance.run import load_queries
from tests.conftest import LISTED, SAMPLE_SIZE

RELEVANT_ANTREAN = {  # innovations about queues at health centres / clinics
    "kipp-2015-prov-dki-gendis-system-sigareng",
    "kipp-2019-prov-jateng-tele-apik",
}
# Turning waste into energy: landfill methane, biogas from tofu waste, TOSS pellets.
WASTE_TO_ENERGY = {
    "kipp-2015-kab-malang-tpa-wisata-edukasi-talangagung",
    "iga-2025-kab-pamekasan-pelita-biogas",
    "kipp-2018-kab-klungkung-toss-gema-santi",
    "kipp-2022-kab-klungkung-toss-gema-santi",
}


def _ids(body):
    return [r["id"] for r in body["results"]]


def test_search_finds_queue_practices_with_facets(client):
    resp = client.get("/api/v1/search?q=antrean%20panjang%20di%20puskesmas")
    assert resp.status_code == 200
    body = resp.json
    assert set(body) >= {"total", "page", "size", "took_ms", "results", "facets"}
    assert RELEVANT_ANTREAN & set(_ids(body)[:5])
    assert body["total"] >= len(body["results"]) > 0
    assert sum(f["count"] for f in body["facets"]["sector"]) == body["total"]
    first = body["results"][0]
    assert set(first) >= {
        "id",
        "title",
        "agency",
        "agency_level",
        "province",
        "regency_city",
        "sector",
        "year",
        "source_program",
        "award",
        "digital",
        "snippet",
        "score",
    }


def test_problem_query_counts_what_is_relevant_not_every_shared_word(client):
    """The total, the facet counts and the pages describe one match set: the queue
    practices, not the ~120 records sharing a word such as "di" or "panjang"."""
    body = client.get("/api/v1/search?q=antrean%20panjang%20di%20puskesmas&size=100").json
    assert set(_ids(body)) >= RELEVANT_ANTREAN
    assert len(body["results"]) == body["total"]
    everything = client.get("/api/v1/search").json["total"]
    assert body["total"] < everything / 5


def test_english_query_finds_indonesian_practices(client):
    """An English problem finds the Indonesian records about it: by meaning, with the
    query moved toward its best match."""
    # Judged relevant (bench/relevance) to "ibu hamil meninggal saat melahirkan ...".
    maternal = set(load_queries()[0]["judgments"])
    for mode in ("semantic", "hybrid"):
        body = client.get(f"/api/v1/search?q=maternal%20mortality%20reduction&mode={mode}").json
        assert len(set(_ids(body)[:4]) & maternal) >= 3, (mode, _ids(body))
        body = client.get(f"/api/v1/search?q=waste%20to%20energy&mode={mode}").json
        assert WASTE_TO_ENERGY & set(_ids(body)[:3]), (mode, _ids(body))


def test_facet_count_is_what_choosing_that_value_returns(client):
    """The threshold of the match set does not move with the filters."""
    query = "q=sampah%20plastik%20di%20laut&size=100"
    body = client.get(f"/api/v1/search?{query}").json
    for facet in ("province", "sector"):
        for value in body["facets"][facet][:3]:
            chosen = client.get(f"/api/v1/search?{query}&{facet}={value['value']}").json
            assert chosen["total"] == value["count"] == len(chosen["results"])


def test_typo_query_still_finds_them(client):
    body = client.get("/api/v1/search?q=antrian%20puskesms").json
    assert body["corrections"] == {"puskesms": "puskesmas"}
    assert RELEVANT_ANTREAN & set(_ids(body)[:5])


def test_snippet_marks_query_terms_and_escapes_html(client):
    body = client.get("/api/v1/search?q=sampah&mode=lexical&size=3").json
    assert all("<mark>" in r["snippet"].lower() for r in body["results"])
    assert "<script" not in client.get("/api/v1/search?q=<script>alert(1)</script>").text


def test_modes_all_answer(client):
    for mode in ("lexical", "semantic", "hybrid"):
        body = client.get(f"/api/v1/search?q=stunting%20balita&mode={mode}").json
        assert body["results"], mode


def test_filters_and_disjunctive_facets(client):
    base = client.get("/api/v1/search?q=desa&mode=lexical").json
    one = client.get("/api/v1/search?q=desa&mode=lexical&province=Jawa%20Timur").json
    two = client.get("/api/v1/search?q=desa&mode=lexical&province=jatim&province=Bali").json
    assert {r["province"] for r in one["results"]} == {"Jawa Timur"}
    assert one["total"] < two["total"] < base["total"]
    assert one["facets"]["province"] == base["facets"]["province"]
    counts = {f["value"]: f["count"] for f in base["facets"]["province"]}
    assert two["total"] == counts["Jawa Timur"] + counts["Bali"]


def test_paging_and_sort_by_year(client):
    first = client.get("/api/v1/search?q=desa&mode=lexical&size=5").json
    second = client.get("/api/v1/search?q=desa&mode=lexical&size=5&page=2").json
    assert not set(_ids(first)) & set(_ids(second))
    newest = client.get("/api/v1/search?q=desa&mode=lexical&sort=year&size=20").json
    years = [r["year"] for r in newest["results"]]
    assert years == sorted(years, reverse=True)


def test_bad_parameters_get_clear_400s(client):
    for query, param in [
        ("size=101", "size"),
        ("mode=fuzzy", "mode"),
        ("page=0", "page"),
        ("page=200&size=10", "page"),
        ("digital=maybe", "digital"),
        ("year_from=2022&year_to=2020", "year_from"),
        ("q=" + "a" * 501, "q"),
    ]:
        resp = client.get(f"/api/v1/search?{query}")
        assert resp.status_code == 400, query
        assert resp.json["error"]["details"]["parameter"] == param


def test_get_one_and_unknown_id(client):
    record = client.get("/api/v1/innovations/kipp-2015-prov-dki-gendis-system-sigareng").json
    assert record["province"] == "Daerah Khusus Ibukota Jakarta"
    assert record["province_code"] == "31"
    resp = client.get("/api/v1/innovations/does-not-exist")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"


def test_similar_never_returns_itself_and_explains(client):
    url = "/api/v1/innovations/kipp-2015-prov-dki-gendis-system-sigareng/similar?size=5"
    body = client.get(url).json
    assert len(body["results"]) == 5
    assert "kipp-2015-prov-dki-gendis-system-sigareng" not in _ids(body)
    assert any(r["same_sector"] for r in body["results"])
    for result in body["results"]:
        reason = result["reason"]
        assert reason[0].isupper() and reason.endswith(".") and reason.count(".") == 1
        if result["same_sector"]:  # the sector's label, never its code
            assert f"di sektor {result['sector'].capitalize()}" in reason
        assert all(term in reason for term in result["shared_terms"])
        assert not {"warga", "sekitar", "wilayah", "dan", "di"} & set(result["shared_terms"])
    elsewhere = client.get(url + "&other_regions=true").json
    assert all(r["province"] != "Daerah Khusus Ibukota Jakarta" for r in elsewhere["results"])
    assert client.get("/api/v1/innovations/nope/similar").status_code == 404


def test_facets_endpoint_counts_everything(client):
    body = client.get("/api/v1/facets").json
    assert body["total"] == len(LISTED)  # each practice once
    health = sum(r["sector"] == "kesehatan" for r in LISTED)
    assert {f["value"]: f["count"] for f in body["facets"]["sector"]}["kesehatan"] == health


def test_openapi_document_describes_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    assert {"/api/v1/search", "/api/v1/innovations/{id}", "/api/v1/facets"} <= set(doc["paths"])


def test_health(client):
    health = client.get("/healthz").json
    assert health == {"status": "ok", "engine": "embedded", "records": SAMPLE_SIZE}
