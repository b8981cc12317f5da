"""Replication lineage, kept both ways by the write path.

A record names what it replicates (``replicates``: stored ids, or the name and place of
an original outside the store). The store keeps the other direction: every record's
``replicated_by`` holds the agencies a source names plus the id of each stored record
that replicates it, so a detail page, the "sudah direplikasi" facet and the lineage API
read one record instead of searching for back-links. Ingest and delete call this module;
it decides, from plain records, what each write changes in the records it links to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from indexer.fields import replication
from indexer.normalise import Ref
from indexer.schema import Innovation


def linked_ids(refs: Iterable[Ref]) -> set[str]:
    """The stored records a list of links points at (links by name point at none)."""
    return {ref.id for ref in refs if ref.id}


def with_replicators(record: Innovation, replicators: Iterable[str]) -> Innovation:
    """The record with its stored replicators set to ``replicators`` (sources' own
    names for outside replicators stay) and its facet value recomputed."""
    named = tuple(ref for ref in record.replicated_by if not ref.id)
    stored = tuple(Ref(id=i) for i in sorted(set(replicators)))
    links = named + stored
    return record.replace(replicated_by=links, **replication({"replicated_by": links}))


@dataclass
class Plan:
    """What one batch of writes does to lineage."""

    records: dict[str, Innovation]  # the batch, with the store's derived links carried over
    linked: dict[str, Innovation] = field(default_factory=dict)  # stored records it changes
    unknown: dict[str, list[str]] = field(default_factory=dict)  # record -> missing ids


def plan(batch: Iterable[Innovation], stored: Mapping[str, Innovation]) -> Plan:
    """Lineage after writing ``batch``. ``stored`` holds the stored versions of the batch's
    records and of every record they link to (or used to). A record linking to an id that
    is neither stored nor in the batch is reported in ``unknown`` and changes nothing."""
    records = {r.id: r for r in batch}
    result = Plan({})
    replicators: dict[str, set[str]] = {}

    def of(target: str) -> set[str]:
        """Who replicates ``target``: the store's list (ids given in input are ignored:
        the store derives them), then this batch's changes."""
        if target not in replicators:
            old = stored.get(target)
            replicators[target] = linked_ids(old.replicated_by) if old else set()
        return replicators[target]

    for record in records.values():
        old = stored.get(record.id)
        new_targets = linked_ids(record.replicates)
        missing = sorted(
            t for t in new_targets if t == record.id or (t not in records and t not in stored)
        )
        if missing:
            result.unknown[record.id] = missing
            continue
        old_targets = linked_ids(old.replicates) if old else set()
        for target in new_targets - old_targets:
            of(target).add(record.id)
        for target in old_targets - new_targets:
            if target in records or target in stored:
                of(target).discard(record.id)
    for record_id, record in records.items():
        if record_id in result.unknown:
            continue
        carried = _with_practice(record, stored.get(record_id))
        result.records[record_id] = with_replicators(carried, of(record_id))
    for target, found in replicators.items():
        if target not in records:
            updated = with_replicators(stored[target], found)
            if updated != stored[target]:
                result.linked[target] = updated
    return result


def unlink(deleted: Iterable[Innovation], stored: Mapping[str, Innovation]) -> list[Innovation]:
    """The stored records that lose a replicator when ``deleted`` go (``stored`` holds the
    records they replicate)."""
    gone = {r.id for r in deleted}
    changed = []
    for target in stored.values():
        if target.id in gone:
            continue
        kept = linked_ids(target.replicated_by) - gone
        if kept != linked_ids(target.replicated_by):
            changed.append(with_replicators(target, kept))
    return changed


def join(members: Iterable[Innovation]) -> list[Innovation]:
    """Records of one practice, each linking every other (with its programme and year,
    for the card's "juga tercatat di" line), the latest (then the smallest id) as the
    one search shows; only the records that change."""
    records = sorted(members, key=lambda r: r.id)
    shown = min(records, key=lambda r: (-r.year, r.id)).id if records else None
    joined = [
        r.replace(
            practice=tuple(
                Ref(id=p.id, year=p.year, source_program=p.source_program)
                for p in records
                if p.id != r.id
            ),
            practice_role="utama" if r.id == shown else "lain",
        )
        for r in records
    ]
    return [new for new, old in zip(joined, records, strict=True) if new != old]


def leave(record: Innovation, partners: Iterable[Innovation]) -> list[Innovation]:
    """``record`` on its own again, and its former partners without it."""
    rest = [p for p in partners if p.id != record.id]
    alone = record.replace(practice=(), practice_role="utama")
    return [alone, *join(rest)]  # one left alone has no partner and is shown


def _with_practice(record: Innovation, stored: Innovation | None) -> Innovation:
    """A rewritten record stays in the practice the store joined it to."""
    if record.practice or stored is None:
        return record
    return record.replace(practice=stored.practice, practice_role=stored.practice_role)
