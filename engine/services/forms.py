"""User-task form data checked against the task's JSON Schema; every failing field is named."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


_OPEN_KEYWORDS = ("additionalProperties", "unevaluatedProperties")


def closed(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The schema as enforced: a form that does not say otherwise refuses fields it does not list.

    Unknown fields would land in the dossier's data, where a script or a later form would meet
    them (issue 7). `unevaluatedProperties` (not `additionalProperties`) so that fields declared
    through `if`/`then`, `allOf` or `$ref` still count as listed. A form that wants extra fields
    says `"additionalProperties": true`.
    """
    if not isinstance(schema, dict) or any(k in schema for k in _OPEN_KEYWORDS):
        return schema
    if schema.get("type") not in ("object", None):
        return schema
    return {**schema, "unevaluatedProperties": False}


class FormChecker:
    """A task form's JSON Schema, compiled once per procedure version."""

    def __init__(self, schema: dict[str, Any] | None):
        self.schema = schema
        enforced = closed(schema)
        self._validator = Draft202012Validator(enforced, format_checker=FormatChecker()) if enforced else None

    def problems(self, data: Any) -> list[tuple[str, str]]:
        return form_problems(self.schema, data, self._validator)


def _listed(schema: Any) -> set[str]:
    """Field names a schema declares, at its top or in the subschemas composed into it."""
    if not isinstance(schema, dict):
        return set()
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(key, []):
            names |= _listed(sub)
    for key in ("if", "then", "else"):
        names |= _listed(schema.get(key))
    return names


def form_problems(schema: dict[str, Any] | None, data: Any,
                  validator: Draft202012Validator | None = None) -> list[tuple[str, str]]:
    """[(field path, problem)]; empty when the data is valid. No schema: any JSON object."""
    if not isinstance(data, dict):
        return [("data", "must be a JSON object")]
    if not schema:
        return []
    problems: list[tuple[str, str]] = []
    validator = validator or Draft202012Validator(closed(schema), format_checker=FormatChecker())
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator in _OPEN_KEYWORDS and err.validator_value is False and isinstance(err.instance, dict):
            listed = _listed(err.schema)
            for name in sorted(k for k in err.instance if k not in listed):
                problems.append((f"{path}.{name}" if path else name, "is not a field of this form"))
            continue
        if err.validator == "required" and isinstance(err.instance, dict):
            for name in err.validator_value:
                if err.message == f"{name!r} is a required property":
                    field = f"{path}.{name}" if path else name
                    problems.append((field, "is required"))
                    break
            continue
        problems.append((path or "data", err.message))
    seen: set[tuple[str, str]] = set()
    return [p for p in problems if not (p in seen or seen.add(p))]
