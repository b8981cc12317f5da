"""Why a search result is there, in a short Indonesian line and as structured data: the
query's words the record contains (with the typo fixes and acronym expansions that made
them match), whether it matched by meaning, and the filters it satisfies.

Everything comes from what the search already holds (the query, its corrections, the
records of the page), so explaining a page costs no engine call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from indexer.engines.base import Filters
from indexer.fields import Registry
from indexer.schema import Innovation
from indexer.text import analyzer


@dataclass(frozen=True)
class QueryWords:
    """The query's words as searched, each with the index terms that match it, and what
    the officer typed where the search used another form (a typo fix, an acronym)."""

    words: dict[str, frozenset[str]] = field(default_factory=dict)
    corrected: dict[str, str] = field(default_factory=dict)  # typed -> searched
    expanded: dict[str, str] = field(default_factory=dict)  # typed -> searched

    @classmethod
    def of(cls, q: str, corrections: dict[str, str]) -> QueryWords:
        groups: dict[str, set[str]] = {}
        for surface, term in analyzer().pairs(q):
            groups.setdefault(corrections.get(surface, surface), set()).add(
                corrections.get(term, term)
            )
        words = {word: frozenset(terms) for word, terms in groups.items()}
        return cls(words, dict(corrections), analyzer().rewrites(q))


@dataclass(frozen=True)
class Why:
    words: tuple[str, ...] = ()
    corrected: dict[str, str] = field(default_factory=dict)
    expanded: dict[str, str] = field(default_factory=dict)
    meaning: bool = False
    filters: tuple[tuple[str, str, str], ...] = ()  # (field, label, value label)

    def to_dict(self) -> dict[str, Any]:
        return {
            "words": list(self.words),
            "corrected": self.corrected,
            "expanded": self.expanded,
            "meaning": self.meaning,
            "filters": [{"field": f, "label": lb, "value": v} for f, lb, v in self.filters],
            "text": self.text(),
        }

    def text(self) -> str:
        """One line for the card, e.g. 'Memuat “puskesmas” (dari “puskesmsa”); maknanya
        mirip pencarian Anda; sesuai filter Provinsi: Jawa Timur'."""
        typed = {searched: was for was, searched in (self.corrected | self.expanded).items()}
        parts = []
        if self.words:
            shown = (f"“{w}”" + (f" (dari “{typed[w]}”)" if w in typed else "") for w in self.words)
            parts.append("Memuat " + ", ".join(shown))
        if self.meaning:
            parts.append("maknanya mirip pencarian Anda")
        if self.filters:
            parts.append("sesuai filter " + ", ".join(f"{lb}: {v}" for _, lb, v in self.filters))
        line = "; ".join(parts)
        return line[:1].upper() + line[1:]


def record_terms(record: Innovation, fields: Registry) -> set[str]:
    """Every index term of the record's keyword-searched fields."""
    text = " ".join(record.field_text(name, fields) for name in fields.text_weights)
    return set(analyzer().tokens(text))


def satisfied(record: Innovation, filters: Filters, fields: Registry) -> list[tuple[str, str, str]]:
    """The active filters as this record meets them: (field, label, its value's label)."""
    out = []
    for name, chosen in filters.terms.items():
        held = getattr(record, name)
        held = held if isinstance(held, tuple | list) else (held,)
        spec = fields[name]
        out += [(name, spec.label, spec.value_label(v)) for v in chosen if v in held]
    if filters.year_from is not None or filters.year_to is not None:
        out.append(("year", fields["year"].label, str(record.year)))
    if filters.digital is not None:
        digital = fields["digital"]
        out.append(("digital", digital.label, digital.value_label(record.digital)))
    return out


def explain(
    record: Innovation, query: QueryWords, meaning: bool, filters: Filters, fields: Registry
) -> Why:
    terms = record_terms(record, fields) if query.words else set()
    words = tuple(w for w, wanted in query.words.items() if wanted & terms)
    return Why(
        words,
        {typed: fixed for typed, fixed in query.corrected.items() if fixed in words},
        {typed: form for typed, form in query.expanded.items() if form in words},
        meaning,
        tuple(satisfied(record, filters, fields)),
    )
