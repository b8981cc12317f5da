"""Value normalisers: one raw input value in, its one stored spelling out, or ValueError.

The field registry (indexer/fields.py) names which normaliser each field uses; validation
applies them to records and the query parser to filter values, so "Kab. Banyuwangi" is
the same region in a file and in a URL.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from indexer import regions
from indexer.text import separate

MAX_TEXT = 20_000
MAX_SHORT = 300
MAX_URL = 2000
MAX_TAGS = 30
MAX_REFS = 200
MIN_YEAR = 1990
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,127}$")
# Lone surrogates: Python strings can hold them (JSON "\ud800"), UTF-8 cannot encode them.
UNENCODABLE = re.compile("[\ud800-\udfff]")
_TRUE = {"true", "1", "ya", "yes", "y"}
_FALSE = {"false", "0", "tidak", "no", "n", "t"}


def fold(text: str) -> str:
    """Lowercase ASCII with single spaces: the key spelling variants are compared on."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(text.lower().split())


def clean_text(value: Any) -> str | None:
    """Collapse whitespace (invisible format characters count as spaces); empty is absent."""
    if value is None:
        return None
    text = " ".join(separate(str(value)).split())
    return text or None


def plain_text(value: Any) -> str | None:
    """A text value (or a whole number written as one) cleaned, or ValueError saying why.

    Only what can be stored and shown as text passes: no booleans, lists, objects, NaN or
    infinities, and no code point that UTF-8 cannot encode.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {_kind(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected text, got the number {value}")
    text = clean_text(value)
    bad = UNENCODABLE.search(text or "")
    if bad:
        raise ValueError(
            f"contains an unpaired surrogate (U+{ord(bad.group()):04X}) at character "
            f"{bad.start() + 1}, which cannot be stored as UTF-8"
        )
    return text


def _kind(value: Any) -> str:
    names = {bool: "true/false", list: "a list", dict: "an object"}
    return names.get(type(value), type(value).__name__)


def canonical_id(value: Any) -> str | None:
    """The one spelling of a given id: " dup-x " is "dup-x", 303 is "303"."""
    if isinstance(value, float):
        raise ValueError(f"expected text or a whole number, got {value!r}")
    text = plain_text(value)
    if text is not None and not ID_PATTERN.match(text):
        raise ValueError(f"must be 1-128 characters of a-z, 0-9, '.', '_' or '-', got {text!r}")
    return text


def derive_id(title: str, agency: str, year: int | str | None) -> str:
    """A stable id for records that come without one: same inputs, same id."""
    digest = hashlib.sha1(f"{fold(title)}|{fold(agency)}|{year}".encode()).hexdigest()[:10]
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60].strip("-")
    return f"{slug or 'inovasi'}-{digest}"


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    folded = fold(str(value))
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {value!r}")


def year(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}", str(value).strip()):
        raise ValueError(f"expected a four-digit year, got {value!r}")
    number = int(str(value).strip())
    latest = _dt.date.today().year + 1
    if not MIN_YEAR <= number <= latest:
        raise ValueError(f"year {number} is outside {MIN_YEAR}..{latest}")
    return number


def tags(value: Any) -> tuple[str, ...]:
    """A list (or a comma-separated text) of short labels, duplicates dropped."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        raise ValueError("expected a list of tags")
    unique = tuple(dict.fromkeys(t for t in _each("tag", items, plain_text) if t))
    if len(unique) > MAX_TAGS or any(len(t) > MAX_SHORT for t in unique):
        raise ValueError(f"at most {MAX_TAGS} tags of at most {MAX_SHORT} characters")
    return unique


class Ref(NamedTuple):
    """A link to another practice: a record's id, or, for one outside the store, its
    name and place as the source gives them."""

    id: str | None = None
    title: str | None = None
    agency: str | None = None
    region: str | None = None
    year: int | None = None
    source_program: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self._asdict().items() if v is not None}


def refs(value: Any) -> tuple[Ref, ...]:
    """One link or a list of them; each an id, or an object with id/title/agency/region/
    year/source_program (a title or an agency when there is no id). Repeats are dropped."""
    items = value if isinstance(value, list | tuple) else [value]
    if len(items) > MAX_REFS:
        raise ValueError(f"at most {MAX_REFS} links, got {len(items)}")
    return tuple(dict.fromkeys(_each("link", items, _ref)))


def _each(noun: str, items: list | tuple, parse: Callable[[Any], Any]) -> list[Any]:
    """Every item parsed, or a ValueError naming the first bad one ("tag 3: ...")."""
    parsed = []
    for number, item in enumerate(items, start=1):
        try:
            parsed.append(parse(item))
        except ValueError as exc:
            raise ValueError(f"{noun} {number}: {exc}") from None
    return parsed


def _ref(item: Any) -> Ref:
    if isinstance(item, Ref):
        return item
    if not isinstance(item, dict):
        return Ref(id=canonical_id(item))
    unknown = sorted(set(item) - set(Ref._fields))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; expected {', '.join(Ref._fields)}")
    texts: dict[str, str | None] = {}
    for key in ("title", "agency", "region", "source_program"):
        text = texts[key] = plain_text(item.get(key))
        if text and len(text) > MAX_SHORT:
            raise ValueError(f"{key} is longer than {MAX_SHORT} characters")
    when = item.get("year")
    ref = Ref(canonical_id(item.get("id")), **texts, year=None if when is None else year(when))
    if not (ref.id or ref.title or ref.agency):
        raise ValueError("needs an id, or a title or an agency")
    return ref


def url(value: str) -> str:
    if not re.match(r"^https?://\S+$", value):
        raise ValueError(f"expected an http(s) URL, got {value!r}")
    return value


def program(codes: tuple[str, ...]) -> Callable[[str], str]:
    """'IGA (Indeks Inovasi Daerah Kemendagri)' and 'IGA' are the same programme."""

    def normalise(value: str) -> str:
        head = value.split("(")[0].strip()
        return head.upper() if head.upper() in codes else value

    return normalise


def vocabulary(
    noun: str, values: tuple[str, ...], aliases: Mapping[str, str]
) -> Callable[[str], str]:
    """A closed vocabulary: any spelling of a value or an alias gives the stored value."""
    keys = {fold(v): v for v in values} | {fold(a): v for a, v in aliases.items()}

    def normalise(value: str) -> str:
        found = keys.get(fold(value))
        if found is None:
            raise ValueError(f"unknown {noun} {value!r}; expected one of: {', '.join(values)}")
        return found

    return normalise


def province(value: str) -> str:
    return regions.province(value).name


def regency_city(value: str) -> str:
    return regions.regency_city(value).name


def resolve_regions(values: dict[str, Any]) -> dict[str, Any]:
    """Province and regency/city as official names with their codes; a regency implies its
    province, and must lie in the province given. Raises RegionError naming the field."""
    out: dict[str, Any] = dict.fromkeys(
        ("province", "province_code", "regency_city", "regency_code")
    )
    prov = None
    if values.get("province"):
        prov = _region("province", lambda: regions.province(values["province"]))
        out.update(province=prov.name, province_code=prov.code)
    if values.get("regency_city"):
        code = prov.code if prov else None
        reg = _region("regency_city", lambda: regions.regency_city(values["regency_city"], code))
        prov = prov or regions.province_of(reg)
        out.update(
            regency_city=reg.name,
            regency_code=reg.code,
            province=prov.name,
            province_code=prov.code,
        )
    return out


def resolve_place(name: str) -> dict[str, Any]:
    """A place as a person or a source names it: the province it names ("Bengkulu" is the
    province, not Kota Bengkulu), else the regency/city (with its province), as
    ``resolve_regions`` gives them; FieldValueError when it names neither."""
    try:
        return resolve_regions({"province": name})
    except FieldValueError:
        return resolve_regions({"regency_city": name})


class FieldValueError(ValueError):
    """A value error that knows which field it belongs to (for cross-field rules)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field


def _region(field: str, resolve: Callable[[], regions.Region]) -> regions.Region:
    try:
        return resolve()
    except regions.RegionError as exc:
        raise FieldValueError(field, str(exc)) from None
