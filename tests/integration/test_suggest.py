"""Autocomplete for the search box: topics, acronyms and practice titles completing the
word being typed, each with where it leads."""

from __future__ import annotations

from indexer.text import analyzer


def _suggest(client, q: str, **params) -> list[dict]:
    resp = client.get("/api/v1/suggest", query_string={"q": q, **params})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["q"] == q
    return resp.json["suggestions"]


def test_a_prefix_is_completed_by_topics_acronyms_and_titles(client):
    found = _suggest(client, "pusk")
    kinds = {s["kind"] for s in found}
    assert kinds == {"topik", "singkatan", "judul"}
    assert {"text": "puskesmas", "kind": "singkatan"}.items() <= next(
        s for s in found if s["kind"] == "singkatan"
    ).items()
    for s in found:
        words = analyzer().tokens(s["text"])
        assert any(w.startswith("pusk") for w in words), s
        if s["kind"] == "judul":
            assert s["url"] == f"/inovasi/{s['id']}"
            assert client.get(s["url"]).status_code == 200
        else:
            assert s["url"].startswith("/?q=")


def test_finished_words_narrow_the_titles_and_stay_in_the_query(client):
    found = _suggest(client, "antrean pusk")
    topics = [s for s in found if s["kind"] == "topik"]
    assert topics and topics[0]["query"] == "antrean puskesmas"  # not "antrean antrean ..."
    for s in (s for s in found if s["kind"] == "judul"):
        record = client.get(s["url"].replace("/inovasi/", "/api/v1/innovations/")).json
        held = analyzer().tokens(" ".join([record["title"], *record["tags"]]))
        assert {"antre", "antrean"} & set(held)
    stunting = _suggest(client, "cegah stun")
    assert all(s["query"].startswith("cegah ") for s in stunting if s["kind"] == "singkatan")


def test_size_limits_and_short_or_odd_input(client):
    assert len(_suggest(client, "s", size=5)) == 0  # one letter completes nothing
    assert len(_suggest(client, "pe", size=3)) <= 3
    assert _suggest(client, '" OR * NEAR(') == []
    assert client.get("/api/v1/suggest?q=pusk&size=11").status_code == 400
    assert client.get("/api/v1/suggest?q=" + "a" * 101).status_code == 400
    assert client.get("/api/v1/suggest?q=pusk&x=1").status_code == 400
