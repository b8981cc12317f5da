"""Real servers a benchmark run starts and stops itself: OpenSearch, redis-server, workers.

The bench measures the deployed shape, so nothing here is a stand-in: a node from
scripts/opensearch-local, Debian's redis-server on a free loopback port, and real
`celery worker` processes (one process group each, so stopping one stops its pool).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
OPENSEARCH_LOCAL = ROOT / "scripts" / "opensearch-local"
LOGS = Path(__file__).parent / "out" / "logs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(ready: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``ready`` until it holds; a server that never comes up fails the run loudly."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f} s")
        time.sleep(0.2)


def log_file(name: str) -> Path:
    LOGS.mkdir(parents=True, exist_ok=True)
    return LOGS / name


@contextmanager
def opensearch_node(url: str | None = None, needed: bool = True) -> Iterator[str | None]:
    """Yield ``url`` if given (None if no node is needed), else run a throwaway node."""
    if url or not needed:
        yield url
        return
    started = subprocess.run(
        [str(OPENSEARCH_LOCAL), "start"], check=True, capture_output=True, text=True
    )
    node = started.stdout.strip()
    try:
        yield node
    finally:
        subprocess.run([str(OPENSEARCH_LOCAL), "stop", node], check=False)


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM the process group, SIGKILL it if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """A fresh, non-persistent redis-server on a free loopback port; yields its URL."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    args = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(
        ["redis-server", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: _answers(url), 15, f"redis-server on port {port}")
        yield url
    finally:
        _stop(process)


def _celery_worker(name: str, env: dict[str, str]) -> subprocess.Popen:
    """One `celery worker` process with one pool process, as deployed per core."""
    command = [sys.executable, "-m", "celery", "-A", "workers.worker", "worker", "-n", name]
    options = ["-c", "1", "--pool", "prefork", "--loglevel", "INFO", "--without-gossip"]
    with log_file(f"{name.split('@')[0]}.log").open("w") as log:
        return subprocess.Popen(
            [*command, *options, "--without-mingle", "--without-heartbeat"],
            cwd=ROOT,
            env=os.environ | env | {"PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextmanager
def celery_workers(count: int, env: dict[str, str]) -> Iterator[list[str]]:
    """Start ``count`` worker processes with ``env``; yield their node names."""
    names = [f"bench{n}-of-{count}@{socket.gethostname()}" for n in range(1, count + 1)]
    with ExitStack() as stack:
        for name in names:
            process = _celery_worker(name, env)
            stack.callback(_stop, process)
        yield names
