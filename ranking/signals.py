"""Signals beside relevance: what a practice's record says about replicating it, and
how comparable its region is to the officer's own ("daerah saya").

Each adds a share of the result list's score range (scores differ in scale by mode:
fused 0..2, cosines, BM25), so its effect is the same whatever the mode. The practice
signals are small: among about equally relevant practices, replicated and still-running
ones come first. The region signals are larger, since the officer asked for them: a
practice from the same province, or the same island group, and the same kind of
government moves up, and its card says why in Indonesian.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from indexer import regions
from indexer.normalise import resolve_place
from indexer.schema import Innovation

REPLICATED = 0.02  # someone is known to have replicated it
RUNNING = 0.01  # a source confirmed it still runs, or grew
SAME_PROVINCE = 0.15
SAME_ISLANDS = 0.08
SAME_LEVEL = 0.07


def nudged(
    scored: Sequence[tuple[float, Innovation]], bonus: Callable[[Innovation], float]
) -> list[float]:
    """The scores plus each record's bonus, as a share of the list's score range."""
    values = [score for score, _ in scored]
    span = (max(values) - min(values)) if len(values) > 1 else 0.0
    return [score + (span or 1.0) * bonus(record) for score, record in scored]


class UnknownRegion(ValueError):
    """A "daerah saya" that is no province or regency/city of the Kemendagri list."""


@dataclass(frozen=True)
class Home:
    """The officer's own region: a province, or a regency/city and its province."""

    name: str
    province: str
    province_code: str
    level: str  # "provinsi", "kabupaten" or "kota"

    @classmethod
    def parse(cls, value: str) -> Home:
        try:
            found = resolve_place(value)
        except ValueError:
            raise UnknownRegion(
                f"{value!r} is no province or regency/city of the Kemendagri list"
            ) from None
        regency = found["regency_city"]
        level = "provinsi" if not regency else regency.split()[0].lower()
        return cls(regency or found["province"], found["province"], found["province_code"], level)

    @property
    def islands(self) -> str:
        return regions.island_group(self.province_code)


def practice_bonus(record: Innovation) -> float:
    replicated = REPLICATED if record.replication == "direplikasi" else 0.0
    return replicated + (RUNNING if record.status in ("berjalan", "dikembangkan") else 0.0)


def comparable(home: Home, record: Innovation) -> tuple[float, str | None]:
    """How far up a record moves for ``home`` (a share of the score range), and why."""
    said, bonus = [], 0.0
    if record.agency_level == home.level:
        said.append(f"sesama {home.level}")
        bonus += SAME_LEVEL
    if record.province_code == home.province_code:
        said.append(f"di provinsi yang sama ({home.province})")
        bonus += SAME_PROVINCE
    elif record.province_code and regions.island_group(record.province_code) == home.islands:
        said.append(f"di kawasan pulau yang sama ({home.islands})")
        bonus += SAME_ISLANDS
    return bonus, f"Sebanding dengan daerah Anda: {', '.join(said)}." if said else None
