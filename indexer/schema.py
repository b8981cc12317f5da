"""The innovation record as stored and returned, and how a rejected input is reported."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from indexer.fields import FIELDS, Registry
from indexer.normalise import Ref


class Innovation:
    """One validated, normalised record: the registry's field values, read as attributes.

    Immutable (``replace`` makes a changed copy). Which fields it has is the registry's
    business (indexer/fields.py), so a deployment's extra field needs no change here.
    """

    __slots__ = ("_values",)

    def __init__(self, **values: Any) -> None:
        """Fields not given take their registry default (validation gives them all)."""
        object.__setattr__(self, "_values", _DEFAULTS | values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"an innovation has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("innovations are immutable; use replace()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Innovation) and self._values == other._values

    def __hash__(self) -> int:
        return hash(frozenset(self._values.items()))

    def __repr__(self) -> str:
        return f"Innovation(id={self._values.get('id')!r}, title={self._values.get('title')!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self._values,))

    def replace(self, **changes: Any) -> Innovation:
        return Innovation(**(self._values | changes))

    def to_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self._values.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any], registry: Registry = FIELDS) -> Innovation:
        """A stored record back; fields it was stored without get their defaults."""
        values = {f.name: data.get(f.name, f.default) for f in registry}
        for f in registry:
            if f.kind == "list":
                values[f.name] = tuple(values[f.name] or ())
            elif f.kind == "refs":
                values[f.name] = tuple(Ref(**link) for link in values[f.name] or ())
        return cls(**values)

    def embedding_text(self) -> str:
        """The text a record is embedded from: its name, its concepts and the problem it
        solves. Users search for a problem; measured on held-out query halves, leaving
        out the solution's wording ranks better in every query kind (bench/relevance).
        Changing it makes stored vectors stale: bump PASSAGE_FORMAT."""
        return f"{self.title}. {'; '.join(self.tags)}. {self.problem}"

    def field_text(self, name: str, registry: Registry = FIELDS) -> str:
        """Plain text of one keyword-searched field."""
        return registry[name].text(self._values.get(name))

    def fingerprint(self) -> str:
        """Hash of the content (timestamps excluded): equal means re-ingest is a no-op."""
        data = self.to_dict()
        data.pop("created_at", None)
        data.pop("updated_at", None)
        return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


_DEFAULTS = {f.name: f.default for f in FIELDS}


# Bump when Innovation.embedding_text changes: stored vectors are then stale.
PASSAGE_FORMAT = 2
# Bump when an engine stores records differently in a way the field registry does not show.
STORAGE_FORMAT = 1


def store_layout(fields: Registry) -> str:
    """What a store records about how it was built: the storage format, the field
    registry's layout and the passage format. A store with another layout is refused
    until ``jippnas reindex`` rebuilds it."""
    return f"{STORAGE_FORMAT}.{fields.fingerprint}.{PASSAGE_FORMAT}"


def stale_vectors(layout: str | None) -> bool:
    """Whether a store built with ``layout`` holds vectors of another passage format."""
    return layout is None or layout.rsplit(".", 1)[-1] != str(PASSAGE_FORMAT)


def _plain(value: Any) -> Any:
    """A stored value as JSON data (links become objects)."""
    if isinstance(value, Ref):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _restore(values: dict[str, Any]) -> Innovation:
    return Innovation(**values)


@dataclass(frozen=True, slots=True)
class FieldError:
    """Why one field of one input record was rejected."""

    field: str
    reason: str


@dataclass(slots=True)
class Rejection:
    """A rejected input record: where it was, which id it had (if any) and why."""

    position: int
    errors: list[FieldError] = field(default_factory=list)
    id: str | None = None
    position_label: str = "line"

    def to_dict(self) -> dict[str, Any]:
        return {
            self.position_label: self.position,
            "id": self.id,
            "errors": [{"field": e.field, "reason": e.reason} for e in self.errors],
        }
