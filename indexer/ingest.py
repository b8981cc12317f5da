"""The one write path: raw items -> validate -> link -> embed -> upsert, batch by batch,
and deletes.

Invalid records become rejections with their position, field and reason; every valid
record in the same batch is still stored. Records whose content has not changed are
neither re-embedded nor rewritten. Replication links are kept both ways (lineage.py): a
write or delete also rewrites the records it links to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from indexer import lineage
from indexer.embeddings import Embedder
from indexer.engines.base import Engine, WriteFailed, WriteResult
from indexer.fields import FIELDS, Registry
from indexer.normalise import UNENCODABLE, canonical_id, clean_text
from indexer.readers import RawItem, batched
from indexer.schema import FieldError, Innovation, Rejection
from indexer.settings import Settings
from indexer.validation import validate

Progress = Callable[[int], None]


@dataclass
class IngestReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    written: list[tuple[int, WriteResult]] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len(self.rejections)

    def add(self, other: IngestReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejections.extend(other.rejections)
        self.written.extend(other.written)

    def summary(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


def mark_duplicate_ids(items: Iterable[RawItem], fields: Registry = FIELDS) -> Iterator[RawItem]:
    """A record whose id was already seen in this run is rejected, not merged.

    Ids are compared as they will be stored, after validation: a given id in its
    canonical form (" dup-x " is "dup-x", 303 is "303") or the id derived for a record
    that has none. Invalid records pass through, to be rejected for their own reasons.
    """
    first: dict[str, RawItem] = {}
    for item in items:
        record = validate(item.data, fields) if item.data is not None else None
        if not isinstance(record, Innovation) or first.setdefault(record.id, item) is item:
            yield item
            continue
        earlier = first[record.id]
        yield RawItem(
            item.position,
            error=f"duplicate id {record.id!r} (first at {earlier.position_label} "
            f"{earlier.position})",
            position_label=item.position_label,
            error_field="id",
            id=record.id,
        )


class Ingestor:
    """Validates, embeds and stores records; a given id repeated in one run is rejected."""

    def __init__(
        self, engine: Engine, embedder: Embedder, batch_size: int = Settings.ingest_batch_size
    ) -> None:
        self.engine = engine
        self.embedder = embedder
        self.batch_size = batch_size

    def run(self, items: Iterable[RawItem], progress: Progress | None = None) -> IngestReport:
        report = IngestReport()
        for batch in batched(mark_duplicate_ids(items, self.engine.fields), self.batch_size):
            report.add(self.ingest_batch(batch))
            if progress:
                progress(len(batch))
        return report

    def ingest_batch(self, batch: list[RawItem]) -> IngestReport:
        report = IngestReport()
        valid: list[tuple[int, Innovation]] = []
        for item in batch:
            outcome = self._check(item)
            if isinstance(outcome, Rejection):
                report.rejections.append(outcome)
            else:
                valid.append((item.position, outcome))
        label = batch[0].position_label if batch else "line"  # one reader per run
        valid, linked, stored = self._link(valid, report, label)
        known = {i: r.fingerprint() for i, r in stored.items()}
        changed = [(p, r) for p, r in valid if known.get(r.id) != r.fingerprint()]
        results = [
            (p, WriteResult(r.id, "unchanged"))
            for p, r in valid
            if known.get(r.id) == r.fingerprint()
        ]
        if changed:
            vectors = self.embedder.encode([r.embedding_text() for _, r in changed])
            results += self._store(changed, vectors, report)
        self._rewrite(linked)
        for position, result in sorted(results, key=lambda pr: pr[0]):
            setattr(report, result.status, getattr(report, result.status) + 1)
            report.written.append((position, result))
        return report

    def _link(
        self, valid: list[tuple[int, Innovation]], report: IngestReport, label: str
    ) -> tuple[list[tuple[int, Innovation]], list[Innovation], dict[str, Innovation]]:
        """The batch with its lineage derived, the stored records it links to that change,
        and the stored versions read; a record linking to an unknown id is rejected."""
        ids = {r.id for _, r in valid}
        stored = self.engine.get_many(sorted(ids | _targets(r for _, r in valid)))
        earlier = _targets(r for i, r in stored.items() if i in ids) - stored.keys()
        stored |= self.engine.get_many(sorted(earlier)) if earlier else {}
        plan = lineage.plan([r for _, r in valid], stored)
        for position, record in valid:
            if record.id in plan.unknown:
                errors = [
                    FieldError("replicates", _unknown(record.id, t))
                    for t in plan.unknown[record.id]
                ]
                report.rejections.append(Rejection(position, errors, record.id, label))
        kept = [(p, plan.records[r.id]) for p, r in valid if r.id not in plan.unknown]
        return kept, list(plan.linked.values()), stored

    def delete(self, ids: Sequence[str]) -> int:
        """Delete records; those they replicated lose them as replicators."""
        gone = self.engine.get_many(ids)
        targets = self.engine.get_many(sorted(_targets(gone.values()) - set(ids)))
        deleted = self.engine.delete(ids)
        self._rewrite(lineage.unlink(gone.values(), targets))
        return deleted

    def join(self, ids: Sequence[str]) -> list[str]:
        """Confirm that ``ids`` are records of one practice (with any records already
        joined to them); returns the practice's ids. Raises KeyError naming unknown ids."""
        found = self.engine.get_many(ids)
        missing = sorted(set(ids) - found.keys())
        if missing:
            raise KeyError(", ".join(missing))
        partners = {i for r in found.values() for i in lineage.linked_ids(r.practice)}
        found |= self.engine.get_many(sorted(partners - found.keys()))
        self._rewrite(lineage.join(found.values()))
        return sorted(found)

    def leave(self, record_id: str) -> bool:
        """Undo a confirmation: the record becomes a practice of its own again."""
        record = self.engine.get(record_id)
        if record is None:
            return False
        partners = self.engine.get_many(sorted(lineage.linked_ids(record.practice)))
        self._rewrite(lineage.leave(record, partners.values()))
        return True

    def _rewrite(self, records: list[Innovation]) -> None:
        """Store records whose lineage changed (a handful per batch, re-embedded)."""
        if records:
            vectors = self.embedder.encode([r.embedding_text() for r in records])
            self.engine.upsert(records, vectors, self.embedder.info)

    def _store(
        self, changed: list[tuple[int, Innovation]], vectors: np.ndarray, report: IngestReport
    ) -> list[tuple[int, WriteResult]]:
        """Upsert; records the engine refuses are rejected and the rest written again."""
        try:
            written = self.engine.upsert([r for _, r in changed], vectors, self.embedder.info)
            return list(zip([p for p, _ in changed], written, strict=True))
        except WriteFailed as exc:
            refused = dict(exc.errors)
        keep = [i for i, (_, r) in enumerate(changed) if r.id not in refused]
        for position, record in changed:
            if record.id in refused:
                reason = f"refused by the search engine: {refused[record.id]}"
                report.rejections.append(
                    Rejection(position, [FieldError("record", reason)], record.id)
                )
        if not keep:
            return []
        return self._store([changed[i] for i in keep], vectors[keep], report)

    def _check(self, item: RawItem) -> Innovation | Rejection:
        def reject(errors: list[FieldError], record_id: str | None = None) -> Rejection:
            return Rejection(item.position, errors, record_id, item.position_label)

        if item.data is None:
            return reject([FieldError(item.error_field, item.error or "unreadable")], item.id)
        outcome = validate(item.data, self.engine.fields)
        if isinstance(outcome, list):
            return reject(outcome, _reported_id(item.data.get("id")))
        return outcome


def _targets(records: Iterable[Innovation]) -> set[str]:
    return {t for r in records for t in lineage.linked_ids(r.replicates)}


def _unknown(record_id: str, target: str) -> str:
    if target == record_id:
        return "a record cannot replicate itself"
    return (
        f"no record with id {target!r} is stored or in this batch; name an original "
        "outside the store by its title, agency and region instead"
    )


def _reported_id(value: object) -> str | None:
    """The id to name in a rejection: canonical, or as given when it is showable text."""
    try:
        return canonical_id(value)
    except ValueError:
        showable = isinstance(value, str) and not UNENCODABLE.search(value)
        return clean_text(value) if showable else None
