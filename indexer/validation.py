"""Turn one raw input object into a normalised ``Innovation`` or a list of field errors.

Errors are data: the caller reports them per record and keeps going with the rest. Which
fields exist and how each is normalised comes from the field registry (indexer/fields.py).
"""

from __future__ import annotations

from typing import Any

from indexer.fields import FIELDS, Field, Registry
from indexer.normalise import FieldValueError, derive_id, plain_text
from indexer.schema import FieldError, Innovation

# Kinds whose normaliser reads the raw value (a number, a flag, a list); the others are
# text first: cleaned, length-checked, then normalised.
RAW_KINDS = frozenset({"integer", "boolean", "list", "id", "refs"})


def field_value(spec: Field, raw: Any, normalised: bool = True) -> Any:
    """One field's stored value from its raw input, or ValueError saying why not."""
    if spec.kind in RAW_KINDS:
        if raw is None or (isinstance(raw, str) and raw == ""):
            return _absent(spec)
        return spec.normalise(raw) if spec.normalise else raw
    text = plain_text(raw)
    if text is None:
        return _absent(spec)
    if len(text) > spec.max_chars:
        raise ValueError(f"is {len(text)} characters long (limit {spec.max_chars})")
    return spec.normalise(text) if spec.normalise and normalised else text


def _absent(spec: Field) -> Any:
    if spec.required:
        raise ValueError("is required")
    return spec.default


def validate(raw: dict[str, Any], registry: Registry = FIELDS) -> Innovation | list[FieldError]:
    """Validate and normalise one record; return it, or every reason it is invalid."""
    ruled = {name for rule in registry.rules for name in rule.inputs}
    values: dict[str, Any] = {f.name: f.default for f in registry}
    errors: list[FieldError] = []
    for spec in registry:
        if not spec.is_input:
            continue
        try:
            values[spec.name] = field_value(spec, raw.get(spec.name), spec.name not in ruled)
        except (TypeError, ValueError) as exc:
            errors.append(FieldError(spec.name, str(exc)))
    failed = {e.field for e in errors}
    for rule in registry.rules:
        if failed.isdisjoint(rule.inputs):
            try:
                values.update(rule.apply(values))
            except FieldValueError as exc:
                errors.append(FieldError(exc.field, str(exc)))
    if errors:
        return errors
    values["id"] = values["id"] or derive_id(values["title"], values["agency"], values["year"])
    return Innovation(**values)
