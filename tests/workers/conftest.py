"""Real redis-server and real Celery worker processes for the queue tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Workers:
    """Starts `celery worker` processes in their own process groups (for kill -9)."""

    env: dict[str, str]
    log_dir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, concurrency: int = 1) -> subprocess.Popen:
        name = f"w{uuid.uuid4().hex[:8]}@%h"
        log = (self.log_dir / f"{name.split('@')[0]}.log").open("w")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.worker",
                "worker",
                "-n",
                name,
                "-c",
                str(concurrency),
                "--pool",
                "prefork",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        """SIGKILL the whole worker (main process and pool children), no clean-up."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    self.kill(proc)

    def logs(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in self.log_dir.glob("*.log"))


@pytest.fixture
def make_workers(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Workers]]:
    started: list[Workers] = []

    def factory(settings_env: dict[str, str]) -> Workers:
        env = os.environ | settings_env | {"PYTHONPATH": str(ROOT)}
        workers = Workers(env, tmp_path)
        started.append(workers)
        return workers

    yield factory
    for workers in started:
        workers.stop_all()
