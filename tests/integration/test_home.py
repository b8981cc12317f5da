"""The discovery home: what the service holds and the ways in, each count matching what
its link finds."""

from __future__ import annotations

import re
from html import unescape

from app.home import TILES
from indexer import regions
from tests.conftest import LISTED


def _home(client) -> str:
    resp = client.get("/")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _linked_counts(html: str, section: str) -> dict[str, int]:
    """href -> count of the links in one section of the home."""
    part = html[html.index(f'id="{section}"') :]
    part = part[: part.index("</section>")]
    pairs = re.findall(r'<a href="([^"]+)"[^>]*>.*?(\d+)(?: praktik)?</span>', part)
    return {unescape(href): int(n) for href, n in pairs}


def test_home_says_what_it_holds(client):
    html = _home(client)
    total = f"{len(LISTED):,}".replace(",", ".")
    assert f"<strong>{total} praktik inovasi pelayanan publik</strong>" in html
    newest = max(r["year"] for r in LISTED)
    assert f"tercatat hingga tahun {newest}" in html
    assert re.search(r'<a href="/\?source_program=KIPP">KIPP</a>', html)


def test_every_sector_and_province_count_is_what_its_link_finds(client):
    html = _home(client)
    sectors = _linked_counts(html, "sectors-title")
    provinces = _linked_counts(html, "map-title")
    assert len(sectors) >= 15 and len(provinces) >= 25
    assert sum(sectors.values()) == len(LISTED)
    for href, count in [*sectors.items(), *list(provinces.items())[:8]]:
        page = client.get(href).get_data(as_text=True)
        assert f'data-total="{count}"' in page, href


def test_the_tile_map_has_every_province_once_on_its_own_square():
    assert set(TILES) == set(regions.provinces())
    squares = [(row, column) for row, column, _ in TILES.values()]
    assert len(squares) == len(set(squares))


def test_examples_find_practices_and_newest_come_first(client):
    html = _home(client)
    examples = re.findall(r'<li><a href="(/\?q=[^"]+)">', html)
    assert len(examples) >= 5
    for href in examples:
        assert 'data-total="0"' not in client.get(unescape(href)).get_data(as_text=True), href
    recent = html[html.index('id="recent-title"') :]
    years = [int(y) for y in re.findall(r"<span>(\d{4})</span>", recent)]
    assert len(years) == 6 and years == sorted(years, reverse=True)
    assert 'href="/?sort=year"' in recent
