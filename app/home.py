"""The discovery home: what the service holds and ways in (sector, province, examples).

Everything on it comes from one browse of the store (its facet counts and newest
practices), so the home costs what an empty search does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import url_for

from indexer.engines.base import Facets, FacetValue
from indexer.fields import Registry
from ranking.search import SearchResponse

# Problems as officers type them (each finds practices in the sample).
EXAMPLES = (
    "antrean panjang di puskesmas",
    "balita stunting di desa",
    "warga sulit mengurus akta kelahiran",
    "sampah menumpuk di pasar",
    "petani kesulitan pupuk",
    "layanan kependudukan di daerah perbatasan",
)
PROGRAMMES_SHOWN = 6
# A tile-grid map: each province a square at (row, column), roughly where it lies, with
# its everyday short name. No boundary data set installs from the package registries, so
# the map is a grid, like the tile maps news sites use for Indonesia.
TILES: dict[str, tuple[int, int, str]] = {
    "Aceh": (1, 1, "Aceh"),
    "Sumatera Utara": (2, 2, "Sumut"),
    "Kepulauan Riau": (2, 4, "Kepri"),
    "Sumatera Barat": (3, 2, "Sumbar"),
    "Riau": (3, 3, "Riau"),
    "Bengkulu": (4, 2, "Bengkulu"),
    "Jambi": (4, 3, "Jambi"),
    "Sumatera Selatan": (5, 3, "Sumsel"),
    "Kepulauan Bangka Belitung": (5, 4, "Babel"),
    "Lampung": (6, 3, "Lampung"),
    "Daerah Khusus Ibukota Jakarta": (6, 5, "DKI"),
    "Banten": (7, 4, "Banten"),
    "Jawa Barat": (7, 5, "Jabar"),
    "Jawa Tengah": (7, 6, "Jateng"),
    "Daerah Istimewa Yogyakarta": (8, 6, "DIY"),
    "Jawa Timur": (7, 7, "Jatim"),
    "Bali": (7, 8, "Bali"),
    "Nusa Tenggara Barat": (7, 9, "NTB"),
    "Nusa Tenggara Timur": (7, 10, "NTT"),
    "Kalimantan Utara": (2, 7, "Kaltara"),
    "Kalimantan Barat": (3, 6, "Kalbar"),
    "Kalimantan Timur": (3, 7, "Kaltim"),
    "Kalimantan Tengah": (4, 6, "Kalteng"),
    "Kalimantan Selatan": (4, 7, "Kalsel"),
    "Gorontalo": (2, 9, "Gorontalo"),
    "Sulawesi Utara": (2, 10, "Sulut"),
    "Sulawesi Tengah": (3, 9, "Sulteng"),
    "Sulawesi Barat": (4, 8, "Sulbar"),
    "Sulawesi Selatan": (5, 8, "Sulsel"),
    "Sulawesi Tenggara": (5, 9, "Sultra"),
    "Maluku Utara": (2, 11, "Malut"),
    "Maluku": (4, 11, "Maluku"),
    "Papua Barat Daya": (3, 12, "PBD"),
    "Papua Barat": (3, 13, "Pabar"),
    "Papua": (3, 14, "Papua"),
    "Papua Tengah": (4, 13, "Papteng"),
    "Papua Pegunungan": (4, 14, "Papeg"),
    "Papua Selatan": (5, 14, "Papsel"),
}


@dataclass(frozen=True)
class Entry:
    """One way in: a label, how many practices it leads to, and the link."""

    label: str
    count: int
    url: str


@dataclass(frozen=True)
class Tile:
    province: str
    short: str
    row: int
    column: int
    count: int
    url: str


def filtered(name: str, value: FacetValue) -> str:
    """The search page filtered by one facet value."""
    return f"{url_for('ui.search')}?{urlencode({name: value})}"


def entries(facets: Facets, name: str, fields: Registry) -> list[Entry]:
    """A facet's values, most practices first, each linking to the search filtered by it."""
    spec = fields[name]
    return [Entry(spec.value_label(v), c, filtered(name, v)) for v, c in facets.get(name, [])]


def tiles(facets: Facets) -> list[Tile]:
    counts = dict(facets.get("province", []))
    return [
        Tile(name, short, row, column, int(counts.get(name, 0)), filtered("province", name))
        for name, (row, column, short) in TILES.items()
    ]


def home_context(response: SearchResponse, fields: Registry) -> dict[str, Any]:
    """What the home template shows, from the browse ``response`` (newest first)."""
    programmes = entries(response.facets, "source_program", fields)
    years = [int(v) for v, _ in response.facets.get("year", [])]
    return {
        "total": response.total,
        "programmes": programmes[:PROGRAMMES_SHOWN],
        "more_programmes": len(programmes) - PROGRAMMES_SHOWN,
        "latest_year": max(years, default=None),
        "sectors": entries(response.facets, "sector", fields),
        "tiles": tiles(response.facets),
        "examples": [(q, url_for("ui.search", q=q)) for q in EXAMPLES],
        "recent": response.results,
        "browse_url": url_for("ui.search", sort="year"),
    }
