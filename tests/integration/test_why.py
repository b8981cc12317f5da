"""Every search result says why it is there, and its title and tags mark the query's
words: in the API as structured data, on the page as one Indonesian line."""

from __future__ import annotations

import re

from indexer.text import analyzer

GENDIS = "kipp-2015-prov-dki-gendis-system-sigareng"


def _result(body: dict, record_id: str) -> dict:
    return next(r for r in body["results"] if r["id"] == record_id)


def test_why_names_the_words_found_with_their_typo_fix(client):
    body = client.get("/api/v1/search?q=antrean%20puskesms&mode=lexical&size=50").json
    why = _result(body, GENDIS)["why"]
    assert "puskesmas" in why["words"]
    assert why["corrected"] == {"puskesms": "puskesmas"}
    assert why["meaning"] is False  # keyword mode never claims a meaning match
    assert "“puskesmas” (dari “puskesms”)" in why["text"]
    for result in body["results"]:  # a keyword match contains at least one searched word
        assert result["why"]["words"], result["id"]


def test_why_names_an_acronym_typed_in_full(client):
    body = client.get("/api/v1/search?q=pusat%20kesehatan%20masyarakat&mode=lexical&size=50").json
    why = _result(body, GENDIS)["why"]
    assert why["words"] == ["puskesmas"]
    assert why["expanded"] == {"pusat kesehatan masyarakat": "puskesmas"}


def test_meaning_matches_are_said_and_words_are_only_those_the_record_holds(client):
    body = client.get("/api/v1/search?q=warga%20sulit%20mendapat%20air%20bersih&mode=semantic").json
    assert body["results"] and all(r["why"]["meaning"] for r in body["results"])
    for result in body["results"]:
        record = client.get(f"/api/v1/innovations/{result['id']}").json
        held = set(analyzer().tokens(" ".join(str(v) for v in record.values())))
        for word in result["why"]["words"]:  # the word or its stem ("mendapat": "dapat")
            assert held & set(analyzer().tokens(word)), (result["id"], word)


def test_why_lists_the_filters_each_result_meets(client):
    query = "q=sampah&province=Jawa%20Timur&sector=lingkungan%20hidup"
    body = client.get(f"/api/v1/search?{query}").json
    assert body["results"]
    east_java = {"field": "province", "label": "Provinsi", "value": "Jawa Timur"}
    for result in body["results"]:
        why = result["why"]
        assert east_java in why["filters"]
        assert "sesuai filter Provinsi: Jawa Timur, Sektor: Lingkungan hidup" in why["text"]


def test_titles_and_tags_mark_the_query_words(client):
    body = client.get("/api/v1/search?q=puskesmas&mode=lexical&size=50").json
    titles = [r["highlight"]["title"] for r in body["results"]]
    assert any("<mark>Puskesmas</mark>" in t for t in titles)
    hostile = client.get("/api/v1/search?q=%3Cscript%3E").json["results"]
    assert all("<script" not in r["highlight"]["title"] for r in hostile)


def test_cards_show_the_why_line_and_marked_title_and_tags(client):
    html = client.get("/?q=antrean%20puskesms").get_data(as_text=True)
    card = html[html.index(f'data-id="{GENDIS}"') :]
    card = card[: card.index("</article>")]
    assert re.search(r'class="card__title"><a [^>]+>[^<]*<mark>Puskesmas</mark>', card)
    assert re.search(r'class="card__why">.*Memuat .*“puskesmas” \(dari “puskesms”\)', card)
    assert re.search(r'class="card__tags".*<mark>', card, re.DOTALL)
