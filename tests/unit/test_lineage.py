"""Replication links are kept both ways: what a write or delete does to lineage, on plain
records (no engine)."""

from __future__ import annotations

import pytest

from indexer import lineage
from indexer.normalise import Ref
from indexer.schema import Innovation
from indexer.validation import validate


@pytest.fixture
def records(sample_records) -> list[Innovation]:
    return [validate(raw) for raw in sample_records[:4]]


def _replicators(record: Innovation) -> set[str]:
    return lineage.linked_ids(record.replicated_by)


def test_a_new_replication_marks_the_stored_original(records):
    original, copy = records[0], records[1].replace(replicates=(Ref(id=records[0].id),))
    plan = lineage.plan([copy], {original.id: original})
    updated = plan.linked[original.id]
    assert _replicators(updated) == {copy.id}
    assert updated.replication == "direplikasi"
    assert plan.records[copy.id].replication == "belum tercatat"


def test_links_within_one_batch_need_no_stored_original(records):
    original, copy = records[0], records[1].replace(replicates=(Ref(id=records[0].id),))
    plan = lineage.plan([copy, original], {})
    assert _replicators(plan.records[original.id]) == {copy.id}
    assert plan.linked == {}


def test_a_link_to_an_unknown_id_or_to_itself_is_refused(records):
    stray = records[1].replace(replicates=(Ref(id="tidak-ada"),))
    selfish = records[2].replace(replicates=(Ref(id=records[2].id),))
    plan = lineage.plan([stray, selfish], {})
    assert plan.unknown == {stray.id: ["tidak-ada"], selfish.id: [selfish.id]}
    assert plan.records == {}


def test_rewriting_a_record_keeps_its_stored_replicators_and_named_ones(records):
    named = Ref(agency="Pemerintah Kabupaten Contoh", year=2022)
    stored = records[0].replace(replicated_by=(named, Ref(id=records[1].id)))
    rewritten = records[0].replace(title="Judul baru", replicated_by=(named, Ref(id="lain")))
    plan = lineage.plan([rewritten], {stored.id: stored})
    assert plan.records[stored.id].replicated_by == (named, Ref(id=records[1].id))


def test_dropping_a_link_and_deleting_a_replica_unmark_the_original(records):
    original = records[0].replace(replicated_by=(Ref(id=records[1].id),))
    copy = records[1].replace(replicates=(Ref(id=original.id),))
    plan = lineage.plan([copy.replace(replicates=())], {original.id: original, copy.id: copy})
    assert _replicators(plan.linked[original.id]) == set()
    assert plan.linked[original.id].replication == "belum tercatat"
    (unlinked,) = lineage.unlink([copy], {original.id: original})
    assert _replicators(unlinked) == set()
