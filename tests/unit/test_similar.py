"""'Inovasi serupa' without an engine: the ranking signals and the reason sentence."""

from __future__ import annotations

from indexer.engines.base import Hit
from indexer.schema import Innovation
from ranking.similar import (
    NATIONAL,
    OTHER_PROVINCE,
    Reason,
    SimilarTuning,
    concepts,
    explain,
    overlap,
    rank,
)


def practice(head: str, problem: str, tags: tuple[str, ...], **extra: object) -> Innovation:
    """A record with only what a test is about: ``head`` is "id | sector | province |
    title"; the other fields are plain filler."""
    record_id, sector, province, title = head.split(" | ")
    plain = {"agency": "Pemerintah daerah", "agency_level": "kota", "year": 2020}
    plain |= {"source_program": "KIPP", "solution": "Petugas datang ke warga."}
    fields = plain | {"id": record_id, "sector": sector, "province": province, "title": title}
    return Innovation(**(fields | {"problem": problem, "tags": tags} | extra))


BANK_SAMPAH = practice(
    "bank-sampah-malang | lingkungan hidup | Jawa Timur | Bank Sampah Warga Malang",
    "Sampah rumah tangga menumpuk di TPA dan 80 persen warga sulit memilah sampah di Malang.",
    ("bank sampah", "daur ulang", "lingkungan hidup"),
    regency_city="Kota Malang",
)
TABUNGAN_SAMPAH = practice(
    "tabungan-sampah-bantul | lingkungan hidup | Daerah Istimewa Yogyakarta | Tabungan Sampah",
    "Warga sulit membuang sampah plastik; sampah menumpuk di sungai dan TPA.",
    ("bank sampah", "sekolah", "daur ulang"),
)
POSYANDU = practice(
    "posyandu-malang | kesehatan | Jawa Timur | Posyandu Keliling",
    "Warga sulit datang ke posyandu sehingga balita jarang ditimbang.",
    ("posyandu", "balita", "kesehatan"),
)


def test_reason_is_one_short_sentence():
    names = ["sampah", "bank sampah"]
    assert (
        Reason(names, "Lingkungan hidup", OTHER_PROVINCE).text()
        == "Sama-sama berfokus pada sampah dan bank sampah di sektor Lingkungan hidup, "
        "dari provinsi lain."
    )
    three = Reason(["stunting", "gizi", "balita"]).text()
    assert three == "Sama-sama berfokus pada stunting, gizi dan balita."
    assert Reason([], "Kesehatan").text() == "Masalah dan solusinya serupa di sektor Kesehatan."
    assert (
        Reason([], None, NATIONAL).text() == "Masalah dan solusinya serupa, dari tingkat nasional."
    )


def test_reason_names_shared_concepts_with_labels_not_codes():
    reason = explain(BANK_SAMPAH, TABUNGAN_SAMPAH)
    assert reason.shared_terms == ["bank sampah", "daur ulang"]  # whole tags, said once
    assert reason.same_sector and reason.sector == "Lingkungan hidup"
    assert reason.text() == (
        "Sama-sama berfokus pada bank sampah dan daur ulang di sektor Lingkungan hidup, "
        "dari provinsi lain."
    )


def test_reason_leaves_out_filler_numbers_regions_and_the_sector_itself():
    other = TABUNGAN_SAMPAH.replace(
        problem="Di Kota Malang 80 persen warga sulit dan tidak memilah sampah di TPA.",
        tags=("lingkungan hidup",),
    )
    words = set(explain(BANK_SAMPAH, other).shared_terms)
    assert words, "sampah and TPA are shared"
    # stopwords, numbers, words every sector uses, the region and the sector's own words
    assert not words & {"di", "dan", "tidak", "80", "persen", "warga", "sulit", "malang"}
    assert not words & {"lingkungan", "hidup", "lingkungan hidup"}


def test_reason_says_where_a_practice_comes_from():
    same_province = TABUNGAN_SAMPAH.replace(province="Jawa Timur")
    national = TABUNGAN_SAMPAH.replace(province=None, regency_city=None)
    assert explain(BANK_SAMPAH, same_province).origin is None
    assert explain(BANK_SAMPAH, national).origin == NATIONAL
    assert explain(BANK_SAMPAH, POSYANDU).sector is None  # another sector is not claimed


def test_shared_concepts_and_sector_outrank_a_slightly_closer_vector():
    assert overlap(concepts(BANK_SAMPAH), concepts(TABUNGAN_SAMPAH)) > overlap(
        concepts(BANK_SAMPAH), concepts(POSYANDU)
    )
    pairs = [(Hit(POSYANDU.id, 0.86), POSYANDU), (Hit(TABUNGAN_SAMPAH.id, 0.85), TABUNGAN_SAMPAH)]
    assert [r.id for _, r in rank(BANK_SAMPAH, pairs, SimilarTuning())] == [
        TABUNGAN_SAMPAH.id,
        POSYANDU.id,
    ]
    meaning_only = SimilarTuning(shared_term=0, same_sector=0)
    assert [r.id for _, r in rank(BANK_SAMPAH, pairs, meaning_only)] == [
        POSYANDU.id,
        TABUNGAN_SAMPAH.id,
    ]


def test_other_regions_puts_the_same_province_last():
    pairs = [(Hit(POSYANDU.id, 0.95), POSYANDU), (Hit(TABUNGAN_SAMPAH.id, 0.80), TABUNGAN_SAMPAH)]
    meaning_only = SimilarTuning(shared_term=0, same_sector=0)
    ranked = rank(BANK_SAMPAH, pairs, meaning_only)
    assert [r.id for _, r in ranked] == [POSYANDU.id, TABUNGAN_SAMPAH.id]
    ranked = rank(BANK_SAMPAH, pairs, meaning_only, other_regions=True)
    assert [r.id for _, r in ranked] == [TABUNGAN_SAMPAH.id, POSYANDU.id]
