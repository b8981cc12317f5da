"""The shipped sample (app/sample/innovations.jsonl): real records, each checked as data.

Every record validates under the field registry with the id it was given, ids are
unique, every record names the public page its facts come from, and no key lies outside
the registry (a misspelt field would otherwise be dropped without a word).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from urllib.parse import urlparse

from app.cli import sample_path
from indexer.fields import FIELDS
from indexer.validation import validate

RECORDS = [json.loads(line) for line in sample_path().read_text("utf-8").splitlines() if line]
INPUT_FIELDS = {f.name for f in FIELDS if f.is_input}


def test_the_sample_has_its_records_with_unique_ids():
    counts = Counter(r.get("id") for r in RECORDS)
    assert len(RECORDS) >= 600  # the original 155 and real records added since
    assert [i for i, n in counts.items() if n > 1 or not i] == []


def _problems(raw: dict) -> list[str]:
    """What is wrong with one sample record, each naming the field and the reason."""
    problems = [f"{name}: not a registry field" for name in sorted(set(raw) - INPUT_FIELDS)]
    found = validate(raw)
    if isinstance(found, list):
        return problems + [f"{e.field}: {e.reason}" for e in found]
    if found.id != raw.get("id"):
        problems.append(f"id: stored as {found.id!r}, given as {raw.get('id')!r}")
    url = urlparse(raw.get("source_url") or "")
    if url.scheme not in ("http", "https") or not re.fullmatch(r"[\w.-]+\.\w+", url.netloc):
        problems.append(f"source_url: not a public http(s) page: {raw.get('source_url')!r}")
    return problems


def test_every_record_is_valid_sourced_and_uses_only_registry_fields():
    problems = {
        r.get("id", f"line {n}"): p for n, r in enumerate(RECORDS, 1) if (p := _problems(r))
    }
    assert problems == {}


def test_replication_links_point_at_records_in_the_sample():
    """A link by id must name a sample record (an original outside the sample is named by
    title, agency and region instead), and never the record itself."""
    ids = {r["id"] for r in RECORDS}
    broken = {
        r["id"]: link
        for r in RECORDS
        for key in ("replicates", "replicated_by")
        for link in r.get(key) or []
        if isinstance(link, str | dict)
        and (target := link if isinstance(link, str) else link.get("id"))
        and (target not in ids or target == r["id"])
    }
    assert broken == {}


def test_statuses_come_with_the_year_a_source_confirmed_them():
    undated = [r["id"] for r in RECORDS if r.get("status") and not r.get("status_year")]
    assert undated == []


def test_confirmed_duplicates_name_two_sample_records():
    ids = {r["id"] for r in RECORDS}
    text = sample_path("practices.csv").read_text("utf-8").splitlines()
    pairs = [tuple(line.split(",")) for line in text[1:] if line]
    assert text[0] == "a,b" and len(pairs) >= 30
    assert [p for p in pairs if len(p) != 2 or not set(p) <= ids or p[0] == p[1]] == []
