"""What hostile content costs: pathological stored records and filter-heavy empty pages.

The sample store is loaded twice, once as it is and once with pathological records
added (a field of 10,000 one-character words, a single 20,000-character "word", 30 tags
of 300 characters). The same queries, which put those records on the first page, are
timed through the app on both, with "similar" from an ordinary and from a pathological
record, and an empty page with eight filters. Writes bench/hostile-results.md.

    python -m bench.hostile [--repeat 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app import create_app
from app.cli import sample_path
from bench.report import table
from indexer.embeddings import Embedder
from indexer.engines.embedded import EmbeddedEngine
from indexer.ingest import Ingestor
from indexer.readers import items_from_objects, read_file
from indexer.settings import Settings

RESULTS = Path(__file__).parent / "hostile-results.md"
ORDINARY = "kipp-2015-prov-dki-gendis-system-sigareng"
QUERIES = ("7 antrean", "puskesmas antrean panjang", "sampah", "layanan kesehatan")
EMPTY_PAGE = (
    "/?q=sampah&province=Bali&regency_city=Kota+Denpasar&sector=pendidikan"
    "&agency_level=kementerian&source_program=IGA&year_from=2015&year_to=2016&digital=true"
)


def pathological(template: dict) -> list[dict]:
    base = {k: v for k, v in template.items() if k != "id"}
    return [
        base | {"id": "raksasa-kata", "problem": " ".join(["7"] * 10_000)},
        base | {"id": "raksasa-satu-kata", "solution": "puskesmas" * 2_200 + " antrean"},
        base | {"id": "raksasa-tag", "tags": [f"antrean {i:02d} {'x' * 285}" for i in range(30)]},
    ]


def build(folder: Path, embedder: Embedder, extra: list[dict]) -> Path:
    engine = EmbeddedEngine(folder)
    ingestor = Ingestor(engine, embedder)
    ingestor.run(read_file(sample_path()))
    report = ingestor.run(items_from_objects(extra))
    assert report.rejected == 0, report.rejections
    engine.close()
    return folder


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds over ``repeat`` calls after one warm-up call."""
    call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(times, 50)), float(np.percentile(times, 95))


def measure(store: Path, embedder: Embedder, repeat: int, similar_from: str) -> dict[str, tuple]:
    settings = Settings(data_dir=store, rate_limit_read=None)
    app = create_app(settings)
    app.extensions["jippnas"].__dict__["embedder"] = embedder
    client = app.test_client()

    def get(url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return call

    rows = {f"search '{q}'": timed(get(f"/api/v1/search?q={q}&size=20"), repeat) for q in QUERIES}
    rows["similar"] = timed(get(f"/api/v1/innovations/{similar_from}/similar?size=10"), repeat)
    rows["detail page"] = timed(get(f"/inovasi/{similar_from}"), repeat)
    rows["empty page, 8 filters"] = timed(get(EMPTY_PAGE), repeat)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    embedder = Embedder()
    template = json.loads(sample_path().read_text("utf-8").splitlines()[0])
    with tempfile.TemporaryDirectory() as tmp:
        plain = build(Path(tmp) / "plain", embedder, [])
        hostile = build(Path(tmp) / "hostile", embedder, pathological(template))
        before = measure(plain, embedder, args.repeat, ORDINARY)
        after = measure(hostile, embedder, args.repeat, "raksasa-kata")
    lines = [
        "# Hostile content: cost per request",
        "",
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, `python -m bench.hostile --repeat "
        f"{args.repeat}`, embedded engine, sample data, in-process requests (Flask test client).",
        "The right-hand columns add three pathological records; the queries put them on",
        "the first page, and 'similar' and the detail page start from the 10,000-word one.",
        "",
        *table(
            (
                "request",
                "p50 ms (sample)",
                "p95 ms (sample)",
                "p50 ms (+ pathological)",
                "p95 ms (+ pathological)",
            ),
            (
                (name, *(f"{ms:.1f}" for ms in (*before[name][:2], *after[name][:2])))
                for name in before
            ),
        ),
    ]
    RESULTS.write_text("\n".join(lines) + "\n", "utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
