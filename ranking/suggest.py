"""Autocomplete for the search box: topics and practice titles that complete what the
officer is typing, and government acronyms with their long forms ("pusk" -> "puskesmas
(pusat kesehatan masyarakat)").

Two engine calls whatever the store holds: the completion (titles and tags by the word
being typed, practices only) and one get_many for the suggested records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

from indexer.engines.base import Engine, Filters, completion
from indexer.text import fold, raw_tokens, synonym_lines
from ranking.practices import listed

MAX_TOPICS = 3
MAX_ACRONYMS = 2
Kind = Literal["topik", "singkatan", "judul"]


@dataclass(frozen=True)
class Suggestion:
    text: str
    kind: Kind
    query: str  # the whole query once this suggestion is taken
    id: str | None = None  # a title's practice
    detail: str | None = None  # an acronym's long form

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@cache
def _acronyms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(acronym, its other spellings and long forms) per synonym group."""
    groups = (tuple(m.strip() for m in line.split(",")) for line in synonym_lines())
    return tuple((g[0], g[1:]) for g in groups if len(g) > 1)


def acronyms(prefix: str) -> list[tuple[str, str]]:
    """(acronym, long form) for groups where the acronym or a long form starts with the
    word being typed."""
    found = []
    for acronym, forms in _acronyms():
        if any(fold(form).startswith(prefix) for form in (acronym, *forms)):
            found.append((acronym, max(forms, key=len)))
    return found[:MAX_ACRONYMS]


def suggest(engine: Engine, typed: str, size: int) -> list[Suggestion]:
    """Topics first (what the box is for: a problem or theme), then acronyms, then the
    titles of matching practices, ``size`` at most."""
    wanted = completion(typed)
    if wanted is None:
        return []
    before = typed.split()[:-1]

    def query(text: str) -> str:
        """The typed words before the unfinished one, then ``text`` (which may already
        hold them: the topic "antrean puskesmas" for "antrean pusk")."""
        held = set(raw_tokens(text))
        kept = [w for w in before if not set(raw_tokens(w)) <= held]
        return " ".join([*kept, text])

    hits = engine.complete(typed, listed(Filters()), size)
    records = engine.get_many([h.id for h in hits]) if hits else {}
    shown = [records[h.id] for h in hits if h.id in records]
    tags = dict.fromkeys(
        tag
        for record in shown
        for tag in record.tags
        if any(word.startswith(wanted.prefix) for word in raw_tokens(tag))
    )
    out = [Suggestion(tag, "topik", query(tag)) for tag in list(tags)[:MAX_TOPICS]]
    out += [
        Suggestion(a, "singkatan", query(a), detail=long) for a, long in acronyms(wanted.prefix)
    ]
    out += [Suggestion(r.title, "judul", query(r.title), id=r.id) for r in shown]
    return out[:size]
