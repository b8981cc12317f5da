"""Readers for bulk files: JSON Lines, a JSON array, or CSV with a header row.

Each yields ``RawItem``s so a broken line becomes a reported rejection instead of an
exception that would lose the rest of the file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

csv.field_size_limit(1 << 30)  # over-long fields are rejected per record by validation
FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv"}
LIST_SEPARATORS = (";", "|")


class UnsupportedFile(ValueError):
    """The file cannot be read at all (unknown extension or not a JSON array)."""


@dataclass(frozen=True, slots=True)
class RawItem:
    """One input record before validation, or the reason it could not be parsed."""

    position: int
    data: dict[str, Any] | None = None
    error: str | None = None
    position_label: str = "line"
    error_field: str = "record"
    id: str | None = None  # known when the error is about the record's id


def read_file(path: Path) -> Iterator[RawItem]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise UnsupportedFile(f"{path.name}: unknown file type (expected one of {known})")
    with path.open("rb") as handle:
        yield from read_bytes(handle.read(), fmt)


def read_bytes(raw: bytes, fmt: str) -> Iterator[RawItem]:
    if fmt == "json":
        yield from _json_array(_decode_whole(raw))
    elif fmt == "csv":
        yield from _csv_rows(raw.decode("utf-8-sig", errors="surrogateescape"))
    else:
        yield from _json_lines(raw.splitlines())


def items_from_objects(objects: Iterable[Any]) -> Iterator[RawItem]:
    """Wrap already-parsed objects (an API body); positions are 0-based indexes."""
    for index, obj in enumerate(objects):
        yield _object_item(index, obj, "index")


def _decode_whole(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFile(f"file is not valid UTF-8 (byte offset {exc.start})") from exc


def _object_item(position: int, obj: Any, label: str) -> RawItem:
    if not isinstance(obj, dict):
        return RawItem(
            position, error=f"expected an object, got {type(obj).__name__}", position_label=label
        )
    return RawItem(position, data=obj, position_label=label)


def _json_lines(lines: list[bytes]) -> Iterator[RawItem]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            yield RawItem(number, error=f"not valid UTF-8 at byte {exc.start}")
            continue
        except json.JSONDecodeError as exc:
            yield RawItem(number, error=f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        yield _object_item(number, obj, "line")


def _json_array(text: str) -> Iterator[RawItem]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UnsupportedFile(f"invalid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(data, list):
        raise UnsupportedFile("a .json file must hold an array of records")
    for number, obj in enumerate(data, start=1):
        yield _object_item(number, obj, "record")


def _delimiter(header: str) -> str:
    """Spreadsheets export ';' or tabs as often as ','; the header line tells which."""
    try:
        return csv.Sniffer().sniff(header, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _csv_rows(text: str) -> Iterator[RawItem]:
    header = text.split("\n", 1)[0]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=_delimiter(header))
    if not reader.fieldnames or "title" not in [f.strip() for f in reader.fieldnames]:
        raise UnsupportedFile("CSV needs a header row naming the fields (at least 'title')")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield RawItem(reader.line_num, error=f"unreadable CSV row: {exc}")
            continue
        yield _csv_item(reader.line_num, row)


def _csv_item(line: int, row: dict) -> RawItem:
    if None in row:
        return RawItem(line, error="more values than header columns")
    if any(_has_bad_bytes(v) for v in row.values() if isinstance(v, str)):
        return RawItem(line, error="not valid UTF-8")
    return RawItem(line, data={k.strip(): _csv_value(k.strip(), v) for k, v in row.items()})


def _has_bad_bytes(text: str) -> bool:
    """Bytes that were not UTF-8 survive decoding as lone surrogates (surrogateescape)."""
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def _csv_value(name: str, value: str | None) -> Any:
    if value is None or value.strip() == "":
        return None
    if name == "tags":
        sep = next((s for s in LIST_SEPARATORS if s in value), ",")
        return [t.strip() for t in value.split(sep) if t.strip()]
    return value


def batched(items: Iterable[RawItem], size: int) -> Iterator[list[RawItem]]:
    """Consecutive lists of at most ``size`` items (itertools.batched is Python 3.12+)."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
