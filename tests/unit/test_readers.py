"""Readers turn broken lines into reported items instead of exceptions."""

from __future__ import annotations

import pytest

from indexer.readers import UnsupportedFile, items_from_objects, read_bytes, read_file


def test_json_lines_keeps_line_numbers_and_reports_broken_lines():
    raw = b'{"title": "a"}\n\n{"title": \n[1]\n\xff\xfe\n{"title": "b"}\n'
    items = list(read_bytes(raw, "jsonl"))
    assert [(i.position, i.data is not None) for i in items] == [
        (1, True),
        (3, False),
        (4, False),
        (5, False),
        (6, True),
    ]
    assert "invalid JSON" in items[1].error
    assert "expected an object" in items[2].error
    assert "UTF-8" in items[3].error


def test_csv_with_header_splits_tags_and_reports_extra_columns():
    raw = b'title,tags,year\nA,"x; y",2020\nB,,2021,extra\n'
    items = list(read_bytes(raw, "csv"))
    assert items[0].data == {"title": "A", "tags": ["x", "y"], "year": "2020"}
    assert items[1].position == 3 and "more values" in items[1].error


def test_csv_without_header_and_bad_json_array_are_refused():
    with pytest.raises(UnsupportedFile, match="header"):
        list(read_bytes(b"1,2,3\n", "csv"))
    with pytest.raises(UnsupportedFile, match="array"):
        list(read_bytes(b'{"title": "x"}', "json"))


def test_json_array_numbers_records_and_api_bodies_use_indexes():
    items = list(read_bytes(b'[{"title": "a"}, 3]', "json"))
    assert [(i.position, i.position_label) for i in items] == [(1, "record"), (2, "record")]
    assert [i.position for i in items_from_objects([{}, {}])] == [0, 1]


def test_unknown_extension(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"")
    with pytest.raises(UnsupportedFile, match="unknown file type"):
        list(read_file(path))
