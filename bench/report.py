"""Markdown tables for the benchmark reports, written one way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str = "") -> list[str]:
    """The table's lines: ``align`` has one letter per column, ``r`` for a right-aligned
    column of figures; columns it does not name are left-aligned."""
    rule = "".join("---:|" if a == "r" else "---|" for a in align.ljust(len(header), "l"))
    lines = ["| " + " | ".join(header) + " |", "|" + rule]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
