"""The HTML pages without a browser: status codes, error pages and the empty state."""

from __future__ import annotations

import re

import pytest

from app.ui import pages
from ranking.search import SearchResponse

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=", re.IGNORECASE)


def _html(resp) -> str:
    assert resp.content_type.startswith("text/html")
    return resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "path", ["/", "/?q=puskesmas&province=Bali", "/inovasi/kipp-2019-prov-dki-telor-dadar-112"]
)
def test_pages_are_indonesian_without_inline_script(client, path):
    html = _html(client.get(path))
    assert '<html lang="id">' in html
    assert not INLINE_SCRIPT.search(html), "a strict CSP forbids inline script and handlers"


def test_page_and_api_agree(client):
    html = _html(client.get("/?q=antrian+puskesms&sector=kesehatan"))
    api = client.get("/api/v1/search?q=antrian+puskesms&sector=kesehatan").json
    assert f'data-total="{api["total"]}"' in html
    assert "Menampilkan hasil untuk <strong>antrian puskesmas</strong>" in html
    assert all(f'data-id="{r["id"]}"' in html for r in api["results"])


def test_empty_state_offers_the_filter_to_drop(client):
    without_filter = client.get("/api/v1/search?q=puskesmas").json["total"]
    html = _html(client.get("/?q=puskesmas&province=Bali"))
    assert 'data-total="0"' in html
    assert f'<a href="/?q=puskesmas">Hapus filter Provinsi</a> — {without_filter} inovasi' in html
    # the chosen value stays ticked although its count is now zero
    assert re.search(r'name="province" value="Bali"\s+checked', html)
    assert (
        'coba mode <a href="/?q=puskesmas&amp;province=Bali&amp;mode=semantic">Makna serupa</a>'
        in html
    )
    semantic = _html(client.get("/?q=puskesmas&province=Bali&sector=pendidikan&mode=semantic"))
    assert 'data-total="0"' in semantic and "coba mode" not in semantic


def test_search_modes_are_named_in_an_officers_words(client):
    html = _html(client.get("/?q=sampah&mode=semantic"))
    options = re.findall(
        r'<option value="(\w+)" title="([^"]+)"\s*(selected)?>([^<]+)</option>', html
    )
    labels = {value: label for value, _, _, label in options}
    assert labels == {
        "hybrid": "Gabungan (disarankan)",
        "lexical": "Kata persis",
        "semantic": "Makna serupa",
    }
    assert [value for value, _, chosen, _ in options if chosen] == ["semantic"]
    assert all(hint.endswith(".") for _, hint, _, _ in options)
    assert re.search(r'<select id="mode" name="mode" title="Inovasi dengan maksud', html)


def test_practice_page_explains_each_similar_practice_in_a_sentence(client):
    html = _html(client.get("/inovasi/kipp-2015-prov-dki-gendis-system-sigareng"))
    reasons = re.findall(r'<p class="card__reason"><strong>Alasan:</strong> ([^<]+)</p>', html)
    assert len(reasons) == 6
    elsewhere = ("dari provinsi lain.", "dari tingkat nasional.")  # replication elsewhere
    assert all(r.endswith(elsewhere) for r in reasons)
    assert any("di sektor Kesehatan" in r for r in reasons)
    assert not any("(kesehatan)" in r or ";" in r for r in reasons)


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/?page=abc", 400, "Parameter tidak valid"),
        ("/?mode=fuzzy", 400, "Parameter tidak valid"),
        ("/inovasi/tidak-ada", 404, "Halaman tidak ditemukan"),
        ("/tidak-ada", 404, "Halaman tidak ditemukan"),
    ],
)
def test_errors_are_friendly_pages(client, path, status, title):
    resp = client.get(path)
    assert resp.status_code == status
    assert f"<h1>{title}</h1>" in _html(resp)


def test_api_paths_keep_json_errors(client):
    resp = client.get("/api/v1/tidak-ada")
    assert resp.status_code == 404
    assert resp.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("page", "total", "size", "expected"),
    [
        (1, 5, 10, [1]),
        (1, 155, 10, [1, 2, 3, None, 16]),
        (8, 155, 10, [1, None, 6, 7, 8, 9, 10, None, 16]),
        (2, 5000, 100, [1, 2, 3, 4, None, 10]),  # never deeper than page x size 1000
    ],
)
def test_pagination_window(page, total, size, expected):
    assert pages(SearchResponse(total, page, size, 0.0, [], {})) == expected


def test_pages_describe_themselves_and_have_an_icon(client):
    """No 404 for a favicon in the browser console, and a description for search engines
    (the detail page's names the practice)."""
    home = client.get("/").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', home)
    assert icon and client.get(icon[1]).mimetype == "image/svg+xml"
    assert '<meta name="description" content="Cari inovasi pelayanan publik' in home
    detail = client.get("/inovasi/kipp-2019-prov-jateng-payjem-pas-ngamuk").get_data(as_text=True)
    assert '<meta name="description" content="Payjem Pas Ngamuk' in detail


def test_a_too_long_query_or_unknown_region_is_explained(client):
    """Not a silent cut or a bare "Parameter tidak valid": what is wrong and what to do."""
    long = client.get("/?q=" + "antrean " * 80)
    text = long.get_data(as_text=True)
    assert long.status_code == 400
    assert "Kata kunci terlalu panjang: 639 karakter, paling banyak 500" in text
    region = client.get("/?q=stunting&daerah=Atlantis").get_data(as_text=True)
    assert "“Atlantis” bukan provinsi atau kabupaten/kota dalam daftar Kemendagri" in region


def test_an_empty_result_shows_no_filter_with_nothing_to_choose(client):
    """No lone "Digital 0 / 0" group on an empty page; a chosen value stays to be removed."""
    empty = _html(client.get("/?q=qwzxv+kjhgf&mode=lexical"))
    assert 'data-total="0"' in empty and 'name="digital"' not in empty
    chosen = _html(client.get("/?q=qwzxv+kjhgf&mode=lexical&digital=true"))
    assert re.search(r'name="digital" value="true"\s+checked', chosen)


def test_a_typo_fix_can_be_undone_to_search_the_words_as_typed(client):
    fixed = client.get("/api/v1/search?q=antrian+puskesms&mode=lexical").json
    typed = client.get("/api/v1/search?q=antrian+puskesms&mode=lexical&correct=false").json
    assert fixed["corrections"] == {"puskesms": "puskesmas"} and typed["corrections"] == {}
    assert 0 < typed["total"] < fixed["total"]  # only "antrian" can match as typed
    assert all("puskesmas" not in r["why"]["words"] for r in typed["results"])

    html = _html(client.get("/?q=antrian+puskesms"))
    link = re.search(r'<a href="([^"]+)">Cari “antrian puskesms” saja</a>', html)
    assert link, "a typo fix offers the search as typed"
    as_typed = _html(client.get(link.group(1).replace("&amp;", "&")))
    assert "Menampilkan hasil untuk" not in as_typed
    assert "Mencari kata persis seperti diketik" in as_typed
    assert (
        f'data-total="{client.get("/api/v1/search?q=antrian+puskesms&correct=false").json["total"]}"'
        in as_typed
    )
