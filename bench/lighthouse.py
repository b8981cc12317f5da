"""Lighthouse scores of the home, a filtered results page and a practice, as a phone and a
desktop see them: Debian's Chromium driven by the lighthouse npm package that
scripts/bootstrap --test installs (tests/browser/package.json).

    python -m bench.lighthouse [--runs 3] [--out bench/lighthouse.md]

Serves the sample data with `jippnas demo` on a free port over its own store under
bench/out/, runs every page through Lighthouse ``--runs`` times per form factor and keeps
the median of each category (performance varies from run to run), then prints the table
and writes it with its target: at least 95 in every category (issue 14).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.report import table
from bench.servers import ROOT, free_port, log_file, wait_until

LIGHTHOUSE = ROOT / "tests" / "browser" / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = "/usr/bin/chromium"
RESULTS = Path(__file__).parent / "lighthouse.md"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGET = 95
PAGES = {
    "home": "/",
    "results": "/?q=antrean+panjang+di+puskesmas&province=Jawa+Timur",
    "detail": "/inovasi/kipp-2015-prov-dki-gendis-system-sigareng",
}
FORM_FACTORS = {"phone": [], "desktop": ["--preset=desktop"]}


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextmanager
def demo_server() -> Iterator[str]:
    """`jippnas demo` over a fresh store of the sample data; yields its base URL."""
    store = Path(tempfile.mkdtemp(prefix="lighthouse-", dir=ROOT / "bench" / "out"))
    port = free_port()
    env = os.environ | {"JIPPNAS_DATA_DIR": str(store)}
    command = [str(ROOT / ".venv" / "bin" / "jippnas"), "demo", "--port", str(port)]
    with log_file("lighthouse-demo.log").open("w") as out:
        server = subprocess.Popen(command, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url), 300, "jippnas demo")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(store, ignore_errors=True)


def scores(url: str, flags: list[str]) -> dict[str, int]:
    """One Lighthouse run: category -> score out of 100."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [
                str(LIGHTHOUSE),
                url,
                "--quiet",
                "--output=json",
                f"--output-path={report.name}",
                f"--chrome-path={CHROMIUM}",
                "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                f"--only-categories={','.join(CATEGORIES)}",
                *flags,
            ],
            check=True,
        )
        categories = json.loads(Path(report.name).read_text())["categories"]
    return {name: round(categories[name]["score"] * 100) for name in CATEGORIES}


def measure(runs: int) -> dict[tuple[str, str], dict[str, int]]:
    """(page, form factor) -> the median score of each category over ``runs`` runs."""
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} is missing: run scripts/bootstrap --test")
    results = {}
    with demo_server() as base:
        for page, path in PAGES.items():
            for factor, flags in FORM_FACTORS.items():
                found = [scores(base + path, flags) for _ in range(runs)]
                results[page, factor] = {
                    c: round(statistics.median(run[c] for run in found)) for c in CATEGORIES
                }
    return results


def _score(score: int) -> str:
    return f"{score}{'' if score >= TARGET else ' (below target)'}"


def report(results: dict[tuple[str, str], dict[str, int]], runs: int) -> str:
    rows = (
        (f"{page} (`{PAGES[page]}`)", factor, *(_score(s[c]) for c in CATEGORIES))
        for (page, factor), s in results.items()
    )
    lines = table(("page", "form factor", *CATEGORIES), rows, "ll" + "r" * len(CATEGORIES))
    return (
        f"# Lighthouse ({dt.date.today().isoformat()})\n\n"
        f"`python -m bench.lighthouse`: the sample data served by `jippnas demo`, Debian's "
        f"Chromium, Lighthouse's phone (default, throttled) and desktop presets; the median "
        f"of {runs} runs per page. Target: at least {TARGET} in every category.\n\n"
        + "\n".join(lines)
        + "\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    results = measure(args.runs)
    table = Table("page", "form factor", *CATEGORIES)
    for (page, factor), s in results.items():
        table.add_row(page, factor, *(str(s[c]) for c in CATEGORIES))
    Console().print(table)
    args.out.write_text(report(results, args.runs), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
