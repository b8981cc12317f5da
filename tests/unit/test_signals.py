"""Signals beside relevance on plain records: practice status and "daerah saya"."""

from __future__ import annotations

import pytest

from indexer.validation import validate
from ranking.signals import Home, UnknownRegion, comparable, nudged, practice_bonus


@pytest.fixture
def record(sample_records):
    return validate(sample_records[0])  # RSJD Surakarta, a provincial agency in Jawa Tengah


def test_daerah_saya_is_any_spelling_of_a_province_or_regency():
    sleman = Home.parse("kab. sleman")
    assert (sleman.name, sleman.level, sleman.islands) == ("Kabupaten Sleman", "kabupaten", "Jawa")
    assert Home.parse("sulsel").level == "provinsi"
    assert Home.parse("Bengkulu").level == "provinsi"  # the province, not Kota Bengkulu
    with pytest.raises(UnknownRegion):
        Home.parse("Atlantis")


def test_comparable_regions_move_up_and_say_why(record):
    same_province = comparable(Home.parse("Jawa Tengah"), record)
    same_islands = comparable(Home.parse("Kota Surabaya"), record)
    elsewhere = comparable(Home.parse("Kota Makassar"), record)
    assert same_province[0] > same_islands[0] > elsewhere[0] == 0.0
    assert same_province[1] == (
        "Sebanding dengan daerah Anda: sesama provinsi, di provinsi yang sama (Jawa Tengah)."
    )
    assert "kawasan pulau yang sama (Jawa)" in same_islands[1]
    assert elsewhere[1] is None


def test_replicated_and_running_practices_win_ties_only(record):
    replicated = record.replace(replication="direplikasi", status="berjalan")
    stopped = record.replace(status="berhenti")
    assert practice_bonus(replicated) > practice_bonus(record) == practice_bonus(stopped) == 0
    # scores 2.0 and 1.0: a bonus is a share of that range, too small to pass a gap of 1
    assert nudged([(2.0, record), (1.0, replicated)], practice_bonus)[1] < 2.0
    assert nudged([(1.0, record), (1.0, replicated)], practice_bonus)[1] > 1.0
