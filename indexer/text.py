"""Indonesian text analysis shared by indexing and querying.

lowercase -> ASCII folding -> tokens -> government synonyms/acronyms mapped to one
canonical term -> stopwords removed -> Sastrawi stemming, keeping the unstemmed word
next to its stem. Indexing and querying run the same chain, so "antrian puskesmas" and
"antrean di Pusat Kesehatan Masyarakat" meet.

Keeping the surface word (like Lucene's keyword_repeat before a stemmer) means a record
that uses the query's exact word outranks one that only shares the stem, which softens
Sastrawi's over-stemming: "meninggal" (died) -> "tinggal" (stay), "bantuan" (aid) ->
"bantu" (help), "memilah" (to sort) -> "mem".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

TOKEN = re.compile(r"[a-z0-9]+")
MAX_PHRASE = 8
# No Indonesian word comes near this ("mempertanggungjawabkannya" has 25 letters); longer
# tokens are left unstemmed, so a pathological "word" costs no more than its length.
MAX_STEM_CHARS = 40
SOFT_HYPHEN = "\u00ad"


@cache
def _format_characters() -> dict[int, str]:
    """Invisible format characters (Unicode category Cf) -> a space.

    A zero-width space, ZWNJ or word joiner between two words must keep them apart, as
    a space would. The soft hyphen only marks where a word may break, so it is dropped.
    """
    table = {code: " " for code in range(0x110000) if unicodedata.category(chr(code)) == "Cf"}
    return table | {ord(SOFT_HYPHEN): ""}


def separate(text: str) -> str:
    """The text with format characters turned into spaces (see ``_format_characters``)."""
    return text.translate(_format_characters())


def fold(text: str) -> str:
    """Lowercase and strip accents ("Pelayanan Ḳesehatan" -> "pelayanan kesehatan")."""
    text = unicodedata.normalize("NFKD", separate(text))
    return text.encode("ascii", "ignore").decode().lower()


def raw_tokens(text: str) -> list[str]:
    return TOKEN.findall(fold(text))


def _data_lines(name: str) -> list[str]:
    text = resources.files("indexer").joinpath("data", name).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class SynonymTable:
    """Phrase (tuple of folded tokens) -> canonical token sequence."""

    phrases: dict[tuple[str, ...], tuple[str, ...]]

    @classmethod
    def from_lines(cls, lines: list[str]) -> SynonymTable:
        phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for line in lines:
            members = [tuple(raw_tokens(m)) for m in line.split(",") if raw_tokens(m)]
            for member in members[1:]:
                phrases[member] = members[0]
        return cls(phrases)

    def segments(self, tokens: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(tokens as written, tokens as indexed) per position: the longest matching
        phrase is replaced by its canonical form, any other token stands for itself."""
        out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        i = 0
        while i < len(tokens):
            for size in range(min(MAX_PHRASE, len(tokens) - i), 0, -1):
                written = tuple(tokens[i : i + size])
                canonical = self.phrases.get(written)
                if canonical is not None:
                    out.append((written, canonical))
                    i += size
                    break
            else:
                out.append(((tokens[i],), (tokens[i],)))
                i += 1
        return out

    def apply(self, tokens: list[str]) -> list[str]:
        return [token for _, canonical in self.segments(tokens) for token in canonical]


@cache
def synonym_lines() -> list[str]:
    return _data_lines("synonyms.txt")


@cache
def stopwords() -> frozenset[str]:
    return frozenset(w for line in _data_lines("stopwords.txt") for w in line.split())


class Analyzer:
    """The one Indonesian analysis chain; instances are cheap after the first."""

    def __init__(self) -> None:
        self._synonyms = SynonymTable.from_lines(synonym_lines())
        self._stopwords = stopwords()
        self._stemmer = StemmerFactory().create_stemmer()
        self.stem = lru_cache(maxsize=200_000)(self._stem)
        # Highlighting analyses a page's words one at a time, mostly the same words.
        self.word_tokens = lru_cache(maxsize=200_000)(self.tokens)

    def _stem(self, token: str) -> str:
        if token.isdigit() or not 3 < len(token) <= MAX_STEM_CHARS:
            return token
        return self._stemmer.stem(token) or token

    def pairs(self, text: str) -> list[tuple[str, str]]:
        """(surface word, index term) pairs, for highlighting and explanations."""
        out: list[tuple[str, str]] = []
        for word in self._synonyms.apply(raw_tokens(text)):
            if word in self._stopwords:
                continue
            stem = self.stem(word)
            out.append((word, stem))
            if stem != word:
                out.append((word, word))
        return out

    def rewrites(self, text: str) -> dict[str, str]:
        """Acronyms and long forms in ``text`` searched as another form
        ("pusat kesehatan masyarakat" -> "puskesmas"), for explaining a match."""
        segments = self._synonyms.segments(raw_tokens(text))
        return {" ".join(w): " ".join(c) for w, c in segments if w != c}

    def tokens(self, text: str) -> list[str]:
        return [term for _, term in self.pairs(text)]

    def analyze(self, text: str) -> str:
        return " ".join(self.tokens(text))


@cache
def analyzer() -> Analyzer:
    return Analyzer()
