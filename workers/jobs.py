"""Ingest jobs: split input into chunks, keep job state where every process can see it.

State lives in Redis when it is configured (so it survives web-app and worker restarts)
and in process memory otherwise (the no-server default, where tasks run inline). Each
chunk's outcome is stored under its own key, so a chunk that runs twice after a worker
crash overwrites its result instead of counting twice.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from typing import Any, Protocol

from indexer.ingest import IngestReport
from indexer.readers import RawItem
from ranking.duplicates import Proposal

KEY = "jippnas:job:{job}"
TTL_SECONDS = 7 * 24 * 3600


class JobQueueUnavailable(RuntimeError):
    """Redis (the job queue) cannot be reached; submissions answer 503."""


class KeyValue(Protocol):
    """The part of the Redis API the job store uses."""

    def hset(
        self, name: str, key: str | None = None, value: Any = None, mapping: dict | None = None
    ) -> Any: ...

    def hgetall(self, name: str) -> dict: ...

    def hget(self, name: str, key: str) -> Any: ...

    def expire(self, name: str, time: int) -> Any: ...


class MemoryKeyValue:
    """In-process stand-in for the no-Redis default: jobs last as long as the process."""

    def __init__(self) -> None:
        self._data: dict[str, dict[str, str]] = {}

    def hset(
        self, name: str, key: str | None = None, value: Any = None, mapping: dict | None = None
    ) -> int:
        entry = self._data.setdefault(name, {})
        entry.update({k: str(v) for k, v in (mapping or {}).items()})
        if key is not None:
            entry[key] = str(value)
        return 1

    def hgetall(self, name: str) -> dict[str, str]:
        return dict(self._data.get(name, {}))

    def hget(self, name: str, key: str) -> str | None:
        return self._data.get(name, {}).get(key)

    def expire(self, name: str, time: int) -> bool:
        return name in self._data


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class JobStore:
    """Job metadata, chunk payloads and per-chunk results in one hash family per job."""

    def __init__(self, kv: KeyValue) -> None:
        self.kv = kv

    def create(
        self, chunks: list[list[RawItem]], source: str, request_id: str | None = None
    ) -> str:
        job = uuid.uuid4().hex
        key = KEY.format(job=job)
        payload = {f"chunk:{n}": json.dumps([asdict(i) for i in c]) for n, c in enumerate(chunks)}
        meta = {
            "source": source,
            "request_id": request_id or "",
            "chunks": len(chunks),
            "total": sum(len(c) for c in chunks),
            "created_at": _now(),
            "updated_at": _now(),
        }
        self.kv.hset(key, mapping=meta | payload)
        self.kv.expire(key, TTL_SECONDS)
        return job

    def request_id(self, job: str) -> str | None:
        """The id of the request that submitted the job (its tasks log it too)."""
        return self.kv.hget(KEY.format(job=job), "request_id") or None

    def chunk(self, job: str, number: int) -> list[RawItem]:
        raw = self.kv.hget(KEY.format(job=job), f"chunk:{number}") or "[]"
        return [RawItem(**item) for item in json.loads(raw)]

    def record_chunk(
        self,
        job: str,
        number: int,
        size: int,
        report: IngestReport,
        duplicates: Sequence[Proposal] = (),
    ) -> None:
        result = report.summary() | {
            "size": size,
            "errors": [r.to_dict() for r in report.rejections],
            "duplicates": [p.to_dict() for p in duplicates],
        }
        self.kv.hset(
            KEY.format(job=job),
            mapping={f"result:{number}": json.dumps(result), "updated_at": _now()},
        )

    def record_failure(self, job: str, number: int, reason: str) -> None:
        """A chunk that gave up (retries exhausted): none of its records were stored."""
        failure = {"chunk": number, "records": len(self.chunk(job, number)), "reason": reason}
        self.kv.hset(
            KEY.format(job=job),
            mapping={f"failure:{number}": json.dumps(failure), "updated_at": _now()},
        )

    def status(self, job: str) -> dict[str, Any] | None:
        data = self.kv.hgetall(KEY.format(job=job))
        if not data:
            return None
        results = {k.split(":")[1]: json.loads(v) for k, v in data.items() if k[:7] == "result:"}
        failures = [
            json.loads(v)
            for k, v in data.items()
            if k.startswith("failure:") and k.split(":")[1] not in results  # a rerun won
        ]
        counts = {
            k: sum(r[k] for r in results.values())
            for k in ("created", "updated", "unchanged", "rejected")
        }
        chunks = int(data["chunks"])
        return {
            "id": job,
            "state": _state(chunks, len(results), len(failures)),
            "source": data["source"],
            "request_id": data.get("request_id") or None,
            "progress": {
                "done": sum(r["size"] for r in results.values()),
                "total": int(data["total"]),
                "chunks_done": len(results),
                "chunks": chunks,
            },
            "counts": counts | {"failed": sum(f["records"] for f in failures)},
            "errors": [e for r in results.values() for e in r["errors"]],
            "chunk_errors": sorted(failures, key=lambda f: f["chunk"]),
            "duplicates": _unique(p for r in results.values() for p in r.get("duplicates", [])),
            "created_at": data["created_at"],
            "updated_at": data["updated_at"],
        }


def _unique(proposals: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each pair once (two chunks can propose the same pair), best first."""
    pairs = {(p["a"], p["b"]): p for p in proposals}
    return sorted(pairs.values(), key=lambda p: (-p["score"], p["a"], p["b"]))


def _state(chunks: int, done: int, failed: int) -> str:
    """queued -> running -> succeeded, or failed once every chunk ended and one gave up."""
    if done + failed == chunks:
        return "failed" if failed else "succeeded"
    return "running" if done + failed else "queued"
