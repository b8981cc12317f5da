"""The store lock: writes and rebuilds of one store take turns across processes.

An OpenSearch rebuild copies the live generation into a new one and then moves the alias;
a write landing in the old generation during the copy would be lost with it. Every write
batch and the whole rebuild hold this lock, so a write waits for the swap (or gives up
after ``wait`` seconds with EngineUnavailable, which the API answers 503 and the workers
retry). With Redis configured the lock lives there (every host); otherwise it is a lock
file beside the data (one host: the web app, workers and CLI of one machine).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
from filelock import FileLock, Timeout
from redis.exceptions import LockError, RedisError

from indexer.engines.base import EngineUnavailable
from indexer.settings import Settings

LEASE_SECONDS = 600  # a Redis lock outlives a dead holder this long; holders renew it
WAIT_SECONDS = 60.0


class StoreLock:
    """Held by a block of code; what is locked, and where, is the subclass's business."""

    @contextmanager
    def held(self, wait: float = WAIT_SECONDS) -> Iterator[None]:
        """Hold the lock for the block, or raise EngineUnavailable after ``wait`` s."""
        if not self._acquire(wait):
            raise _busy(wait)
        try:
            yield
        finally:
            self._release()

    def renew(self) -> None:
        """Keep a long hold alive (only leased locks expire)."""

    def _acquire(self, wait: float) -> bool:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class ThreadLock(StoreLock):
    """Within one process only (engines built directly, as in tests and benchmarks)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def _acquire(self, wait: float) -> bool:
        return self._lock.acquire(timeout=wait)

    def _release(self) -> None:
        self._lock.release()


class FileStoreLock(StoreLock):
    """A lock file; the operating system releases it if its holder dies."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(path)  # thread-local: threads of one process exclude too

    def _acquire(self, wait: float) -> bool:
        try:
            self._lock.acquire(timeout=wait)
        except Timeout:
            return False
        return True

    def _release(self) -> None:
        self._lock.release()


class RedisStoreLock(StoreLock):
    """A Redis lock with a lease, renewed by a long holder (a rebuild, per copied batch)."""

    def __init__(self, url: str, name: str) -> None:
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=10)
        self._lock = client.lock(f"jippnas:lock:{name}", timeout=LEASE_SECONDS, thread_local=False)

    def _acquire(self, wait: float) -> bool:
        try:
            return bool(self._lock.acquire(blocking_timeout=wait))
        except RedisError as exc:
            raise EngineUnavailable(
                f"Redis, which holds the store lock, cannot be reached ({exc}); "
                "writes resume when it is back"
            ) from exc

    def _release(self) -> None:
        with suppress(LockError):  # the lease ran out: the write itself is done
            self._lock.release()

    def renew(self) -> None:
        self._lock.extend(LEASE_SECONDS, replace_ttl=True)


def store_lock(settings: Settings, name: str) -> StoreLock:
    """The lock of the store ``name`` for every process configured like this one."""
    if settings.redis_url:
        return RedisStoreLock(settings.redis_url, name)
    return FileStoreLock(settings.data_dir / f"{name}.lock")


def _busy(wait: float) -> EngineUnavailable:
    return EngineUnavailable(
        f"the store is being rebuilt (jippnas reindex) and stayed locked for {wait:g} s; "
        "writes resume after the swap, retry then"
    )
