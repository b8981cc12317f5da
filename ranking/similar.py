"""More like this: practices close in meaning, re-ranked by what they share, never itself.

Candidates come from the record's own vector (``engine.knn``) and are re-ranked by the
content words both records share and by a same-sector signal, with weights chosen on
held-out halves of a judged set (bench/relevance/similar.py, results in similar.md):
meaning plus shared concepts beats meaning alone and the former fusion with a lexical
"more like this" list. The shared words are read from the records themselves, so a
request costs three engine calls (vector, knn, get_many), and the same words explain
each suggestion in one Indonesian sentence.

Replication means learning from elsewhere, so results from the record's own province
can be pushed back (``other_regions``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from indexer.embeddings import MINILM, canonical_name
from indexer.engines.base import Engine, Filters, Hit
from indexer.fields import FIELDS
from indexer.schema import Innovation
from indexer.text import analyzer
from ranking.practices import listed, practice_ids
from ranking.search import SearchService, result_card
from ranking.signals import Home, comparable, nudged

MAX_SHARED_TERMS = 3
MIN_TERM_CHARS = 3
# A record is compared by its tags, title and the start of its problem: enough for any
# real record (the sample's longest problem has 54 words), and a huge field costs no more.
MAX_KEY_WORDS = 300
# Stems found in the tags, title or problem of records from at least 7 of the sample's
# 18 sectors: words every kind of practice uses ("warga", "sulit", "layanan"), which
# neither make two practices alike nor explain why they are. Measured on the sample:
# ``python -m bench.relevance.similar --generic-terms`` prints the list again.
_GENERIC = """
    akses aplikasi bantu batas besar biaya butuh cepat covid daerah dapat data daya desa
    ekonomi gera hadap informasi jadi jalan jauh jawa kelola keluarga kerja kota kurang
    lama lambat layan mandiri masyarakat milik miskin online orang padahal pandemi per
    perintah perlu persen pulau rendah ribu rumah sama sekitar sementara sistem sulit
    tahun tangan tangga tinggi umum warga wilayah
"""
GENERIC_TERMS = frozenset(_GENERIC.split())
OTHER_PROVINCE = "dari provinsi lain"
NATIONAL = "dari tingkat nasional"
Pair = tuple[Hit, Innovation]


class UnknownRecord(LookupError):
    """No innovation has this id."""


@dataclass(frozen=True)
class SimilarTuning:
    """Weights added to the cosine of two records' vectors (E5 cosines of related
    practices differ by a few hundredths, hence the small values).

    ``shared_term`` counts each shared content word, twice when it is in both records'
    title or tags; ``same_sector`` and ``same_level`` apply when sector or agency level
    are equal. ``candidates`` is how many nearest vectors are re-ranked.
    """

    shared_term: float = 0.015
    same_sector: float = 0.03
    same_level: float = 0.0
    candidates: int = 50


# Models whose cosines behave differently get their own measured weights.
MODEL_TUNINGS = {
    # English-only MiniLM: its cosines on Indonesian text say little and spread wider, so
    # shared words and the sector weigh more (bench/relevance/similar.md).
    canonical_name(MINILM): SimilarTuning(shared_term=0.05, same_sector=0.1),
}


def similar_tuning_for(model: str) -> SimilarTuning:
    """The measured weights for an embedding model (the default model's otherwise)."""
    return MODEL_TUNINGS.get(canonical_name(model), SimilarTuning())


@dataclass(frozen=True)
class Tag:
    """One tag of a record: its text and its (word, stem) pairs."""

    text: str
    words: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Concepts:
    """What a record is about, in stems: its content words (stem -> the word it uses,
    tags first, then title and problem), those in its title or tags, every stem of that
    text (generic ones included, to recognise a whole tag in another record) and tags."""

    words: dict[str, str]
    headline: frozenset[str]
    present: frozenset[str]
    tags: tuple[Tag, ...]


def _stem_pairs(text: str) -> list[tuple[str, str]]:
    """(word, stem) per word after synonyms and stopwords: the analyzer's chain, without
    the unstemmed copy it also indexes."""
    stem = analyzer().stem
    words = " ".join(text.split()[:MAX_KEY_WORDS])
    return [(word, term) for word, term in analyzer().pairs(words) if term == stem(word)]


def _names_a_concept(word: str, stem: str, exclude: frozenset[str]) -> bool:
    """Whether a word can say what a practice is about: not a number, not a very short
    word, not a word every kind of practice uses, not the record's own region."""
    return (
        not word.isdigit()
        and len(stem) >= MIN_TERM_CHARS
        and stem not in GENERIC_TERMS
        and stem not in exclude
    )


def _content(pairs: Iterable[tuple[str, str]], exclude: frozenset[str]) -> dict[str, str]:
    words: dict[str, str] = {}
    for word, stem in pairs:
        if _names_a_concept(word, stem, exclude):
            words.setdefault(stem, word)
    return words


@lru_cache(maxsize=4096)
def concepts(record: Innovation) -> Concepts:
    """A record's concepts; cached, since a popular record is compared again and again."""
    places = " ".join(p for p in (record.regency_city, record.province) if p)
    region = frozenset(s for _, s in _stem_pairs(places))
    key = _stem_pairs(" ".join([*record.tags, record.title, record.problem]))
    headline = _content(_stem_pairs(" ".join([*record.tags, record.title])), region)
    tags = tuple(Tag(text, tuple(_stem_pairs(text))) for text in record.tags)
    return Concepts(_content(key, region), frozenset(headline), frozenset(s for _, s in key), tags)


def shared_stems(mine: Concepts, theirs: Concepts) -> set[str]:
    return mine.words.keys() & theirs.words.keys()


def overlap(mine: Concepts, theirs: Concepts) -> int:
    """Shared content words, each in both titles or tag lists counted twice."""
    shared = shared_stems(mine, theirs)
    return len(shared) + len(shared & mine.headline & theirs.headline)


def _tag_phrases(tag: Tag, wanted: set[str], present: frozenset[str]) -> list[tuple[str, set[str]]]:
    """Runs of a tag's words that the other record also has, with the wanted stems they
    name: "gawat darurat" from "gawat darurat psikiatri". A run is the whole tag (shown
    as written) or at least two words; single words are named elsewhere, in order."""
    phrases: list[tuple[str, set[str]]] = []
    run: list[tuple[str, str]] = []
    for pair in (*tag.words, None):
        if pair is not None and pair[1] in present:
            run.append(pair)
            continue
        whole = len(run) == len(tag.words)
        if (stems := {s for _, s in run} & wanted) and (whole or len(run) > 1):
            phrases.append((tag.text if whole else " ".join(w for w, _ in run), stems))
        run = []
    return phrases


def _word_rank(stem: str, mine: Concepts, theirs: Concepts) -> int:
    """0: in both titles or tag lists, 1: in one of them, 2: only in the problems."""
    return 2 - (stem in mine.headline) - (stem in theirs.headline)


def shared_names(mine: Concepts, theirs: Concepts, skip: frozenset[str] = frozenset()) -> list[str]:
    """What both records are about, in the first record's words: phrases of its tags,
    then words of titles or tags, problem words only when nothing else is shared
    (``skip``: stems the sentence already says, such as the sector's)."""
    wanted = shared_stems(mine, theirs) - skip
    names: list[str] = []
    for tag in mine.tags:
        for text, stems in _tag_phrases(tag, wanted, theirs.present):
            names.append(text)
            wanted -= stems
    words = sorted(
        (s for s in mine.words if s in wanted), key=lambda s: _word_rank(s, mine, theirs)
    )
    headline = [s for s in words if _word_rank(s, mine, theirs) < 2]
    names += [mine.words[s] for s in (headline if names or headline else words)]
    return names[:MAX_SHARED_TERMS]


def _enumerate(names: Sequence[str]) -> str:
    """Names joined as Indonesian lists them: "a", "a dan b", "a, b dan c"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} dan {names[-1]}"


@dataclass(frozen=True)
class Reason:
    """Why a practice is suggested: shared concepts, the sector both are in (its label)
    and where it comes from, as seen from the practice being read."""

    shared_terms: list[str]
    sector: str | None = None
    origin: str | None = None

    @property
    def same_sector(self) -> bool:
        return self.sector is not None

    def text(self) -> str:
        """One short sentence, as a colleague would put it."""
        if self.shared_terms:
            text = f"Sama-sama berfokus pada {_enumerate(self.shared_terms)}"
        else:
            text = "Masalah dan solusinya serupa"
        if self.sector:
            text += f" di sektor {self.sector}"
        if self.origin:
            text += f", {self.origin}"
        return text + "."


def origin(source: Innovation, other: Innovation) -> str | None:
    """Where ``other`` comes from, when that differs from ``source``'s province."""
    if not source.province:
        return None
    if not other.province:
        return NATIONAL
    return OTHER_PROVINCE if other.province != source.province else None


def explain(source: Innovation, other: Innovation) -> Reason:
    """Why ``other`` is like ``source``; a shared sector is said once, not as a concept."""
    if source.sector != other.sector:
        return Reason(shared_names(concepts(source), concepts(other)), None, origin(source, other))
    sector = frozenset(s for _, s in _stem_pairs(source.sector))
    names = shared_names(concepts(source), concepts(other), sector)
    return Reason(names, FIELDS["sector"].value_label(source.sector), origin(source, other))


def similarity(
    source: Innovation, other: Innovation, cosine: float, tuning: SimilarTuning
) -> float:
    """Cosine plus the measured signals: meaning alone misses what the records' words
    say outright (bench/relevance/similar.md)."""
    return (
        cosine
        + tuning.shared_term * overlap(concepts(source), concepts(other))
        + tuning.same_sector * (source.sector == other.sector)
        + tuning.same_level * (source.agency_level == other.agency_level)
    )


def rank(
    source: Innovation,
    candidates: Iterable[Pair],
    tuning: SimilarTuning,
    other_regions: bool = False,
    home: Home | None = None,
) -> list[Pair]:
    """Candidates by similarity (plus, given the officer's ``home``, how comparable their
    region is); with ``other_regions`` the source's province comes last."""

    base = [(similarity(source, r, h.score, tuning), r) for h, r in candidates]
    scores = nudged(base, lambda r: comparable(home, r)[0]) if home else [s for s, _ in base]
    scored = [(Hit(r.id, s), r) for s, (_, r) in zip(scores, base, strict=True)]
    return sorted(
        scored,
        key=lambda p: (other_regions and p[1].province == source.province, -p[0].score, p[0].id),
    )


def candidates(engine: Engine, record_id: str, k: int) -> tuple[Innovation, list[Pair]]:
    """The record and its k nearest by vector: three engine calls."""
    vector = engine.get_vector(record_id)
    if vector is None:
        raise UnknownRecord(record_id)
    hits = engine.knn(vector, listed(Filters()), k, exclude=[record_id])
    records = engine.get_many([record_id, *(h.id for h in hits)])
    if record_id not in records:  # deleted meanwhile
        raise UnknownRecord(record_id)
    same = practice_ids(records[record_id])  # its own practice is not "another like it"
    return records[record_id], [
        (h, records[h.id]) for h in hits if h.id in records and h.id not in same
    ]


def similar(
    service: SearchService,
    record_id: str,
    size: int = 5,
    other_regions: bool = False,
    tuning: SimilarTuning | None = None,
    home: Home | None = None,
) -> list[dict[str, Any]]:
    """Result cards of the ``size`` most similar practices, each with its reason (and,
    given the officer's ``home``, why its region is comparable)."""
    tuning = tuning or similar_tuning_for(service.embedder.name)
    source, pairs = candidates(service.engine, record_id, max(tuning.candidates, size * 4))
    results = []
    for hit, other in rank(source, pairs, tuning, other_regions, home)[:size]:
        reason = explain(source, other)
        card = result_card(
            other, hit.score, shared_stems(concepts(source), concepts(other)), service.engine.fields
        )
        results.append(
            card
            | {
                "reason": reason.text(),
                "shared_terms": reason.shared_terms,
                "same_sector": reason.same_sector,
            }
            | ({"comparable": comparable(home, other)[1]} if home else {})
        )
    return results
