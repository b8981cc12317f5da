"""Export: a search's whole result set as CSV (for spreadsheets) and JSON (for programs),
with the same filters and order as the pages, and nothing a spreadsheet would execute."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

QUERY = "q=sampah&sector=lingkungan%20hidup"


def _all_pages(client, query: str) -> list[str]:
    ids, page = [], 1
    while True:
        body = client.get(f"/api/v1/search?{query}&size=100&page={page}").json
        ids += [r["id"] for r in body["results"]]
        if len(ids) >= body["total"] or not body["results"]:
            return ids
        page += 1


def _csv_rows(resp) -> list[list[str]]:
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff"), "spreadsheets need the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(text[1:])))


def test_csv_holds_every_result_in_the_pages_order(client):
    resp = client.get(f"/api/v1/search/export?{QUERY}&format=csv")
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="jippnas-inovasi.csv"'
    header, *rows = _csv_rows(resp)
    assert header[0] == "Peringkat" and header[2] == "Judul"
    assert header[-1] == "Halaman JIPPNas"
    expected = _all_pages(client, QUERY)
    assert len(expected) > 10
    assert [row[1] for row in rows] == expected
    assert [row[0] for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    sectors = {row[header.index("Sektor")] for row in rows}
    assert sectors == {"Lingkungan hidup"}  # the pages' label, not the stored code
    assert rows[0][-1].endswith(f"/inovasi/{rows[0][1]}")


def test_json_holds_whole_records_and_says_if_it_was_cut(client):
    body = client.get(f"/api/v1/search/export?{QUERY}&format=json&page=3&size=5").json
    assert body["total"] == body["exported"] == len(body["results"])
    assert body["truncated"] is False and body["limit"] == 1000
    assert [r["id"] for r in body["results"]] == _all_pages(client, QUERY)  # page, size ignored
    first = body["results"][0]
    assert {"problem", "solution", "source_url", "tags", "url"} <= set(first)


def test_export_without_query_lists_one_record_per_practice(client):
    body = client.get("/api/v1/search/export?format=json").json
    assert body["exported"] == client.get("/api/v1/search").json["total"]


def test_a_bad_format_names_the_parameter(client):
    resp = client.get("/api/v1/search/export?format=xlsx")
    assert resp.status_code == 400
    assert resp.json["error"]["details"]["parameter"] == "format"


def test_formula_text_from_a_hub_is_inert_in_the_csv(write_client, auth, sample_records):
    hostile = sample_records[0] | {
        "id": "rumus-1",
        "title": '=HYPERLINK("http://example.com/x","Klik")',
        "agency": "+Dinas Kesehatan",
    }
    resp = write_client.post("/api/v1/innovations", json=[hostile], headers=auth)
    assert resp.json["summary"]["created"] == 1
    header, *rows = _csv_rows(write_client.get("/api/v1/search/export?q=HYPERLINK&mode=lexical"))
    row = next(r for r in rows if r[1] == "rumus-1")
    assert row[header.index("Judul")].startswith("'=HYPERLINK")
    assert row[header.index("Instansi")] == "'+Dinas Kesehatan"


def test_results_page_links_to_the_export_of_its_own_filters(client):
    html = client.get(f"/?{QUERY}&page=2").get_data(as_text=True)
    links = re.findall(r'href="(/api/v1/search/export\?[^"]+)"', html)
    wanted = parse_qs(QUERY)
    assert [parse_qs(urlsplit(unescape(link)).query) for link in links] == [
        wanted | {"format": ["csv"]},
        wanted | {"format": ["json"]},
    ]
    assert client.get(unescape(links[0])).status_code == 200
