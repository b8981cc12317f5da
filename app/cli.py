"""The `jippnas` command: ingest files, serve the app, show stats, reindex, run the demo."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from app import server
from indexer.engines.base import (
    EngineUnavailable,
    Filters,
    MatchQuery,
    StoreOutdated,
    WriteFailed,
)
from indexer.ingest import Ingestor, IngestReport
from indexer.readers import UnsupportedFile, read_file
from indexer.settings import Settings
from ranking.duplicates import scan
from workers.assembly import Services
from workers.jobs import JobQueueUnavailable
from workers.tasks import delete_innovations, reindex_index, submit_ingest

console = Console(stderr=True)


def sample_path(name: str = "innovations.jsonl") -> Path:
    return Path(str(resources.files("app").joinpath("sample", name)))


def join_sample_practices(ingestor: Ingestor) -> int:
    """Join the sample's confirmed duplicates (app/sample/practices.csv) as practices."""
    return join_pairs(ingestor, sample_path("practices.csv"))


def join_pairs(ingestor: Ingestor, path: Path) -> int:
    """Join each pair of a file of confirmed duplicates; returns how many there were."""
    pairs = list(_pairs(path))
    for pair in pairs:
        try:
            ingestor.join(pair)
        except KeyError as exc:
            raise click.ClickException(f"{path}: no innovation with id {exc.args[0]}") from None
    return len(pairs)


def _count_lines(path: Path) -> int | None:
    if path.suffix.lower() == ".json":
        return None
    with path.open("rb") as handle:
        return max(sum(1 for _ in handle) - (path.suffix.lower() == ".csv"), 0)


def write_rejections(report: IngestReport, data_dir: Path, source: Path) -> Path | None:
    """Rejections go to a JSON Lines report next to the data, one object per record."""
    if not report.rejections:
        return None
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{source.stem}-{stamp}-rejected.jsonl"
    with target.open("w", encoding="utf-8", errors="backslashreplace") as out:
        for rejection in report.rejections:
            out.write(json.dumps(rejection.to_dict(), ensure_ascii=False) + "\n")
    return target


def ingest_file(services: Services, path: Path) -> IngestReport:
    columns = (
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(f"Ingesting {path.name}", total=_count_lines(path))
        return services.ingestor().run(read_file(path), lambda n: progress.advance(task, n))


def print_summary(report: IngestReport, report_path: Path | None) -> None:
    table = Table(title="Ingest summary")
    for name in ("stored (new)", "updated", "unchanged", "rejected"):
        table.add_column(name, justify="right")
    table.add_row(
        *(str(v) for v in (report.created, report.updated, report.unchanged, report.rejected))
    )
    console.print(table)
    if report_path:
        console.print(f"Rejected records (line, field, reason): {report_path}")
        for rejection in report.rejections[:5]:
            reasons = "; ".join(f"{e.field}: {e.reason}" for e in rejection.errors)
            console.print(f"  {rejection.position_label} {rejection.position}: {reasons}")


def _serve(settings: Settings, host: str, port: int, threads: int) -> None:
    console.print(f"Serving JIPPNas Discovery on http://{host}:{port}/ (engine: {settings.engine})")
    server.serve(settings, host, port, threads)


@click.group()
def main() -> None:
    """JIPPNas Discovery: search Indonesia's public-service innovations."""


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--async",
    "run_async",
    is_flag=True,
    help="Submit a job to the Celery workers and follow its progress.",
)
@click.option(
    "--timeout",
    default=3600,
    show_default=True,
    type=click.IntRange(min=1),
    help="With --async: stop following (exit 1) if the job has not ended after this many "
    "seconds; the job itself goes on.",
)
def ingest(file: Path, run_async: bool, timeout: int) -> None:
    """Validate, embed and store the records of FILE (.jsonl, .json or .csv)."""
    services = Services(Settings.from_env())
    try:
        if run_async:
            follow_job(services, file, timeout)
            return
        report = ingest_file(services, file)
    except UnsupportedFile as exc:
        raise click.ClickException(str(exc)) from exc
    print_summary(report, write_rejections(report, services.settings.data_dir, file))


def follow_job(services: Services, path: Path, timeout: float) -> None:
    """Submit FILE as a job, then follow it with a progress bar until it ends or the
    deadline passes; a failed job or the deadline is an error (exit code 1)."""
    try:
        job = submit_ingest(services, read_file(path), path.name)
    except JobQueueUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"Job {job} submitted")
    deadline = time.monotonic() + timeout
    with Progress(console=console) as progress:
        bar = progress.add_task(f"Ingesting {path.name}", total=None)
        while True:
            status = services.jobs.status(job) or {}
            done, total = status["progress"]["done"], status["progress"]["total"]
            progress.update(bar, completed=done, total=total)
            if status["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
                break
            time.sleep(1)
    _report_job(status, timeout)


def _report_job(status: dict[str, Any], timeout: float) -> None:
    counts = status["counts"]
    console.print(
        f"{status['state']}: stored {counts['created']}, updated {counts['updated']}, "
        f"unchanged {counts['unchanged']}, rejected {counts['rejected']}, "
        f"not stored (failed chunks) {counts['failed']}"
    )
    for error in status["errors"][:5]:
        console.print(f"  {error}")
    if status["duplicates"]:
        console.print(
            f"  {len(status['duplicates'])} possible duplicate pair(s): see `jippnas duplicates`"
        )
    for failure in status["chunk_errors"]:
        console.print(
            f"  chunk {failure['chunk']} ({failure['records']} records) gave up: "
            f"{failure['reason']}"
        )
    if status["state"] == "failed":
        raise click.ClickException(
            f"job {status['id']} failed; resubmit the file once the cause above is fixed "
            "(records already stored are unchanged by a rerun)"
        )
    if status["state"] != "succeeded":
        raise click.ClickException(
            f"job {status['id']} is still {status['state']} after {timeout:g} s; follow it "
            f"with GET /api/v1/jobs/{status['id']}"
        )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=4, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the API and the search pages."""
    _serve(Settings.from_env(), host, port, threads)


@main.command()
def stats() -> None:
    """Show what the store holds."""
    services = Services(Settings.from_env())
    engine = services.engine
    info = engine.model_info()
    console.print(
        f"engine: {services.settings.engine}  records: {engine.count()}  "
        f"model: {info.name if info else '-'} ({info.dimension if info else '-'})  "
        f"layout: {engine.layout() or '-'}"
    )
    try:
        engine.check_store()
    except StoreOutdated as exc:
        console.print(f"[bold red]{exc}[/bold red]")
        return
    for name, values in engine.facets(MatchQuery(), Filters()).facets.items():
        top = ", ".join(f"{v} ({c})" for v, c in values[:6])
        console.print(f"[bold]{name}[/bold]: {top}")


def _run_task(settings: Settings, name: str, run_async: bool, *args: object) -> Any:
    """Run a task in this process, or hand it to the workers and return its id."""
    task = Services(settings).celery.tasks[name]
    if not run_async:
        return task(*args)
    try:
        return task.apply_async(args, retry=False).id
    except Exception as exc:  # kombu raises several connection error types
        raise click.ClickException(f"the job queue is unreachable: {exc}") from exc


@main.command()
@click.option("--async", "run_async", is_flag=True, help="Run it on the Celery workers.")
def reindex(run_async: bool) -> None:
    """Rebuild the store with the configured embedding model, then swap it in atomically.

    OpenSearch gets a new index generation behind the alias; the embedded engine a new
    store file beside the live one. Searches keep answering throughout.
    """
    settings = Settings.from_env()
    try:
        outcome = _run_task(settings, reindex_index.name, run_async)
    except (EngineUnavailable, WriteFailed) as exc:
        raise click.ClickException(f"reindex failed, the live store was kept: {exc}") from exc
    if run_async:
        console.print(f"reindex submitted as task {outcome}")
        return
    live = settings.opensearch_index if settings.engine == "opensearch" else settings.data_dir
    console.print(
        f"{live} -> {outcome['new']}: {outcome['records']} records {outcome['how']} "
        f"(dropped {', '.join(outcome['dropped']) or 'nothing'})"
    )


@main.command()
@click.argument("ids", nargs=-1, required=True)
@click.option("--async", "run_async", is_flag=True, help="Run it on the Celery workers.")
def delete(ids: tuple[str, ...], run_async: bool) -> None:
    """Delete innovations by id."""
    outcome = _run_task(Settings.from_env(), delete_innovations.name, run_async, list(ids))
    console.print(
        f"delete submitted as task {outcome}" if run_async else f"deleted {outcome} of {len(ids)}"
    )


@main.command()
@click.option(
    "--confirm",
    "confirm",
    type=click.Path(exists=True, path_type=Path),
    help="Join the pairs in this file (CSV or JSONL with columns a, b) as practices.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON proposal per line.")
def duplicates(confirm: Path | None, as_json: bool) -> None:
    """Propose pairs of records that describe one practice, with a score and the reasons;
    or, with --confirm, join confirmed pairs so search shows each practice once."""
    services = Services(Settings.from_env())
    if confirm:
        console.print(f"joined {join_pairs(services.ingestor(), confirm)} pair(s)")
        return
    proposals = scan(services.engine)
    if as_json:
        for proposal in proposals:
            click.echo(json.dumps(proposal.to_dict(), ensure_ascii=False))
        return
    table = Table("score", "a", "b", "reasons")
    for p in proposals:
        table.add_row(f"{p.score:.2f}", p.a, p.b, "; ".join(p.reasons))
    console.print(table)
    console.print(f"{len(proposals)} proposal(s); confirm with --confirm FILE (columns a, b)")


def _pairs(path: Path) -> Iterator[tuple[str, str]]:
    """(a, b) per row of a CSV with a header naming a and b, or per JSON line."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        rows: Iterable[dict[str, Any]] = (json.loads(line) for line in text.splitlines() if line)
    else:
        rows = csv.DictReader(io.StringIO(text))
    for number, row in enumerate(rows, start=1):
        if not row.get("a") or not row.get("b"):
            raise click.ClickException(f"{path}: row {number} needs both a and b")
        yield row["a"].strip(), row["b"].strip()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Load the sample innovations if the store is empty, then serve."""
    settings = Settings.from_env()
    services = Services(settings)
    if services.engine.count() == 0:
        report = ingest_file(services, sample_path())
        print_summary(report, write_rejections(report, settings.data_dir, sample_path()))
        console.print(f"joined {join_sample_practices(services.ingestor())} confirmed duplicates")
    try:
        services.engine.check_store()
    except StoreOutdated as exc:  # a demo store from an earlier release: upgrade it
        console.print(f"{exc}\nRebuilding it now ...")
        services.engine.reindex(services.embedder)
    _serve(settings, host, port, threads=4)


if __name__ == "__main__":
    main()
