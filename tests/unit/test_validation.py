"""Validation and normalisation of raw records (pure logic)."""

from __future__ import annotations

import pytest

from indexer.normalise import derive_id
from indexer.schema import FieldError
from indexer.validation import validate

RAW = {
    "title": "  Jemput   Bola Akta ",
    "agency": "Disdukcapil Kabupaten Uji",
    "agency_level": "Kabupaten",
    "province": "jatim",
    "regency_city": "Kab. Banyuwangi",
    "sector": "Adminduk",
    "year": "2019",
    "source_program": "KIPP (Outstanding Public Service Innovations)",
    "problem": "Warga jauh dari kantor.",
    "solution": "Petugas datang.",
    "digital": "ya",
    "tags": "akta, kk , akta",
}


def test_normalises_regions_sector_program_whitespace_and_tags():
    record = validate(RAW)
    assert not isinstance(record, list)
    assert record.title == "Jemput Bola Akta"
    assert (record.province, record.province_code) == ("Jawa Timur", "35")
    assert (record.regency_city, record.regency_code) == ("Kabupaten Banyuwangi", "35.10")
    assert record.sector == "administrasi kependudukan"
    assert record.agency_level == "kabupaten"
    assert record.source_program == "KIPP"
    assert record.year == 2019 and record.digital is True
    assert record.tags == ("akta", "kk")


@pytest.mark.parametrize(
    ("province", "expected"),
    [
        ("DKI Jakarta", "Daerah Khusus Ibukota Jakarta"),
        ("Jakarta", "Daerah Khusus Ibukota Jakarta"),
        ("DI Yogyakarta", "Daerah Istimewa Yogyakarta"),
        ("NTB", "Nusa Tenggara Barat"),
    ],
)
def test_province_variants(province, expected):
    record = validate(RAW | {"province": province, "regency_city": None})
    assert record.province == expected


def test_regency_spelling_variants_and_province_derived():
    record = validate(RAW | {"province": None, "regency_city": "Kota Palangka Raya"})
    assert record.regency_city == "Kota Palangkaraya"
    assert record.province == "Kalimantan Tengah"


def test_every_bad_field_is_reported_with_a_reason():
    errors = validate(
        RAW
        | {
            "year": "kemarin",
            "sector": "antariksa",
            "province": "Atlantis",
            "agency_level": "desa",
            "source_url": "ftp://x",
            "title": "",
        }
    )
    assert isinstance(errors, list)
    fields = {e.field for e in errors}
    assert fields == {"year", "sector", "province", "agency_level", "source_url", "title"}
    assert all(isinstance(e, FieldError) and e.reason for e in errors)


def test_regency_in_another_province_and_ambiguous_names_are_rejected():
    wrong = validate(RAW | {"province": "Bali", "regency_city": "Kabupaten Banyuwangi"})
    assert [e.field for e in wrong] == ["regency_city"]
    ambiguous = validate(RAW | {"province": None, "regency_city": "Malang"})
    assert "ambiguous" in ambiguous[0].reason
    assert not isinstance(
        validate(RAW | {"province": "Jawa Timur", "regency_city": "Kota Malang"}), list
    )


def test_ids_are_given_or_stable():
    assert validate(RAW | {"id": "abc-1"}).id == "abc-1"
    assert validate(RAW).id == validate(RAW | {"title": "jemput bola akta"}).id
    assert validate(RAW).id != validate(RAW | {"year": 2020}).id
    assert derive_id("Jemput Bola", "Dinas", 2019).startswith("jemput-bola-")
    assert [e.field for e in validate(RAW | {"id": "Bad Id!"})] == ["id"]


def test_limits_on_field_length():
    errors = validate(RAW | {"problem": "x" * 20_001})
    assert [e.field for e in errors] == ["problem"] and "limit" in errors[0].reason
