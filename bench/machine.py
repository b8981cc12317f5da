"""What the shared machine was doing while a benchmark ran: CPU model and CPU wait.

CPU wait is the time some runnable task spent waiting for a CPU (Linux PSI, ``some``):
other work on the machine competing with the benchmark. A figure measured while the
share is high is inflated, so every table reports it next to its figures.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Iterable
from pathlib import Path

PRESSURE = Path("/proc/pressure/cpu")


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo gives it."""
    return next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )


def _pressure_line() -> str | None:
    try:
        return PRESSURE.read_text().splitlines()[0]
    except OSError:
        return None


def cpu_wait_us() -> int | None:
    """Microseconds runnable tasks have waited for a CPU since boot (Linux PSI)."""
    some = _pressure_line()
    return None if some is None else int(some.rsplit("total=", 1)[1])


def pressure_avg60() -> str:
    """Share of the last minute in which some task waited for a CPU, if the kernel says."""
    some = _pressure_line()
    if some is None:
        return "n/a"
    return next(f"{p.split('=')[1]}%" for p in some.split() if p.startswith("avg60="))


class Stopwatch:
    """Wall seconds of a ``with`` block and the CPU wait (seconds) during it."""

    seconds: float = 0.0
    waited_s: float | None = None

    def __enter__(self) -> Stopwatch:
        self._waited = cpu_wait_us()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self._started
        after = cpu_wait_us()
        if self._waited is not None and after is not None:
            self.waited_s = (after - self._waited) / 1e6

    @property
    def cpu_wait(self) -> float | None:
        """Share of the block's wall time in which some task waited for a CPU."""
        return wait_share([self])


def wait_share(watches: Iterable[Stopwatch]) -> float | None:
    """CPU wait over the wall time of several timed blocks together (None: no PSI)."""
    watches = list(watches)
    if not watches or any(w.waited_s is None for w in watches):
        return None
    wall = sum(w.seconds for w in watches)
    return sum(w.waited_s or 0.0 for w in watches) / wall if wall else None


def percent(share: float | None) -> str:
    """A CPU-wait share as a table cell."""
    return "n/a" if share is None else f"{share:.0%}"
