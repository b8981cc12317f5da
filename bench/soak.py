"""Soak: searchers and writers against one running server at the same time.

Searchers run every kind of read (lexical, semantic and hybrid search, filtered facets,
"similar", the facet overview); writers create, update and delete their own records and
re-post changed versions of existing ones. The run must end with zero 5xx, no record
returned by a read that started after its deletion had completed, and counts that agree
with what the writers did. The test suite runs it briefly on both engines; run it longer
against any server with

    python -m bench.soak --url http://127.0.0.1:8000 --token TOKEN --seconds 300
"""

from __future__ import annotations

import argparse
import itertools
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from bench.report import table

MARKER = "soakpenanda"  # a word only the writers' records contain
QUERIES = (
    "antrean panjang di puskesmas",
    "sampah",
    "akta kelahiran",
    "stunting balita",
    "umkm pasar",
    "perizinan online",
)
READS = ("lexical", "semantic", "hybrid", "filtered", "similar", "facets")


@dataclass
class SoakReport:
    seconds: float = 0.0
    reads: Counter[str] = field(default_factory=Counter)
    writes: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    resurrected: list[str] = field(default_factory=list)  # deleted ids a later read returned
    alive: set[str] = field(default_factory=set)
    deleted: dict[str, float] = field(default_factory=dict)  # id -> when its delete returned
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, kind: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500 and len(self.server_errors) < 20:
                self.server_errors.append(f"{kind}: {response.status_code} {response.text[:300]}")

    def table(self) -> str:
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(self.statuses.items()))
        return "\n".join(
            [
                f"soak: {self.seconds:.0f} s, statuses {codes}, "
                f"5xx {sum(n for c, n in self.statuses.items() if c >= 500)}, "
                f"deleted records returned {len(self.resurrected)}",
                *table(("operation", "count"), sorted((self.reads + self.writes).items())),
            ]
        )


def _record(writer: int, number: int, version: int) -> dict[str, Any]:
    return {
        "id": f"soak-{writer}-{number}",
        "title": f"Layanan {MARKER} nomor {number} penulis {writer}",
        "agency": "Dinas Komunikasi dan Informatika",
        "agency_level": "kota",
        "province": "Jawa Timur",
        "sector": "pemerintahan dan tata kelola",
        "year": 2022,
        "source_program": "KIPP",
        "problem": f"Antrean panjang di kantor pelayanan ({MARKER}, versi {version}).",
        "solution": "Pendaftaran daring dan antrean elektronik.",
    }


class Soak:
    """One run: ``searchers`` + ``writers`` threads for ``seconds`` against ``url``."""

    def __init__(self, url: str, token: str, seconds: float, searchers: int, writers: int):
        self.url, self.seconds = url.rstrip("/"), seconds
        self.searchers, self.writers = searchers, writers
        self.auth = {"Authorization": f"Bearer {token}"}
        self.report = SoakReport()
        self.deadline = 0.0
        self.base_total, self.existing = 0, []

    def run(self) -> SoakReport:
        self.base_total, self.existing = self._existing()
        started = time.monotonic()
        self.deadline = started + self.seconds
        threads = [
            threading.Thread(target=self._guarded, args=(self._search_loop, i))
            for i in range(self.searchers)
        ] + [
            threading.Thread(target=self._guarded, args=(self._write_loop, i))
            for i in range(self.writers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _guarded(self, loop: Callable[[requests.Session, int], None], number: int) -> None:
        with requests.Session() as session:
            try:
                loop(session, number)
            except requests.RequestException as exc:  # a dropped connection is a failure too
                with self.report.lock:
                    self.report.server_errors.append(f"connection: {exc}")

    def _existing(self) -> tuple[int, list[dict[str, Any]]]:
        """How many records the store holds before the run, and some of them in full:
        the writers re-post changed versions of those."""
        found = requests.get(f"{self.url}/api/v1/search", params={"size": 20}, timeout=60)
        found.raise_for_status()
        records = []
        for card in found.json()["results"]:
            stored = requests.get(f"{self.url}/api/v1/innovations/{card['id']}", timeout=60)
            stored.raise_for_status()
            records.append(
                {k: v for k, v in stored.json().items() if k not in ("created_at", "updated_at")}
            )
        return found.json()["total"], records

    def inconsistencies(self) -> list[str]:
        """After the run: what the service holds must be what the writers left."""
        alive, problems = self.report.alive, []
        total = requests.get(f"{self.url}/api/v1/facets", timeout=60).json()["total"]
        if total != self.base_total + len(alive):
            problems.append(f"facet total {total}, expected {self.base_total} + {len(alive)}")
        params = {"q": MARKER, "mode": "lexical", "size": 1}
        found = requests.get(f"{self.url}/api/v1/search", params=params, timeout=60).json()
        if found["total"] != len(alive):
            problems.append(f"search for the marker found {found['total']}, expected {len(alive)}")
        for record_id in sorted(alive | set(self.report.deleted)):
            status = requests.get(f"{self.url}/api/v1/innovations/{record_id}", timeout=60)
            expected = 200 if record_id in alive else 404
            if status.status_code != expected:
                problems.append(f"GET {record_id}: {status.status_code}, expected {expected}")
        return problems

    # -- reads ------------------------------------------------------------------------
    def _search_loop(self, session: requests.Session, number: int) -> None:
        rng = random.Random(number)
        for kind in itertools.cycle(READS[number % len(READS) :] + READS[: number % len(READS)]):
            if time.monotonic() > self.deadline:
                return
            began = time.monotonic()
            response = session.get(*self._read(kind, rng), timeout=60)
            self.report.answer(kind, response)
            with self.report.lock:
                self.report.reads[kind] += 1
            if response.ok:
                self._check_not_deleted(kind, response.json(), began)

    def _read(self, kind: str, rng: random.Random) -> tuple[str, dict[str, Any]]:
        q = rng.choice((*QUERIES, MARKER))
        if kind in ("lexical", "semantic", "hybrid"):
            return f"{self.url}/api/v1/search", {"q": q, "mode": kind, "size": 20}
        if kind == "filtered":
            params = {"q": q, "province": ["Jawa Timur", "Bali"], "year_from": 2015}
            return f"{self.url}/api/v1/search", params | {"size": 20}
        if kind == "similar":
            source = rng.choice(self.existing)["id"]
            return f"{self.url}/api/v1/innovations/{source}/similar", {"size": 10}
        return f"{self.url}/api/v1/facets", {}

    def _check_not_deleted(self, kind: str, body: dict[str, Any], began: float) -> None:
        with self.report.lock:
            gone = {
                r["id"]
                for r in body.get("results", [])
                if self.report.deleted.get(r["id"], began) < began
            }
            self.report.resurrected.extend(f"{kind}: {i}" for i in sorted(gone))

    # -- writes -----------------------------------------------------------------------
    def _write_loop(self, session: requests.Session, writer: int) -> None:
        rng = random.Random(1000 + writer)
        for number in itertools.count():
            if time.monotonic() > self.deadline:
                return
            self._post(session, "create", [_record(writer, number, 0)])
            self._post(session, "update", [_record(writer, number, 1)])
            changed = dict(rng.choice(self.existing))
            changed["problem"] = f"{changed['problem']} Diperbarui {writer}-{number}."
            self._post(session, "update existing", [changed])
            if number % 2 == 0:
                self._delete(session, f"soak-{writer}-{number}")

    def _post(self, session: requests.Session, kind: str, records: list[dict]) -> None:
        response = session.post(
            f"{self.url}/api/v1/innovations", json=records, headers=self.auth, timeout=120
        )
        self.report.answer(kind, response)
        with self.report.lock:
            self.report.writes[kind] += 1
            if response.ok and kind != "update existing":
                self.report.alive.update(r["id"] for r in records)

    def _delete(self, session: requests.Session, record_id: str) -> None:
        response = session.delete(
            f"{self.url}/api/v1/innovations/{record_id}", headers=self.auth, timeout=120
        )
        self.report.answer("delete", response)
        with self.report.lock:
            self.report.writes["delete"] += 1
            if response.status_code == 204:
                self.report.alive.discard(record_id)
                self.report.deleted[record_id] = time.monotonic()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--searchers", type=int, default=10)
    parser.add_argument("--writers", type=int, default=2)
    args = parser.parse_args()
    soak = Soak(args.url, args.token, args.seconds, args.searchers, args.writers)
    report = soak.run()
    print(report.table())
    for line in report.server_errors + report.resurrected + soak.inconsistencies():
        print(line)


if __name__ == "__main__":
    main()
