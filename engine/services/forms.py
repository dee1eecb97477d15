"""User-task form data checked against the task's JSON Schema; every failing field is named."""
from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker


class FormChecker:
    """A task form's JSON Schema, compiled once per procedure version."""

    def __init__(self, schema: dict[str, Any] | None):
        self.schema = schema
        self._validator = Draft202012Validator(schema, format_checker=FormatChecker()) if schema else None

    def problems(self, data: Any) -> list[tuple[str, str]]:
        return form_problems(self.schema, data, self._validator)


def form_problems(schema: dict[str, Any] | None, data: Any,
                  validator: Draft202012Validator | None = None) -> list[tuple[str, str]]:
    """[(field path, problem)]; empty when the data is valid. No schema: any JSON object."""
    if not isinstance(data, dict):
        return [("data", "must be a JSON object")]
    if not schema:
        return []
    problems: list[tuple[str, str]] = []
    validator = validator or Draft202012Validator(schema, format_checker=FormatChecker())
    for err in sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
        path = ".".join(str(p) for p in err.absolute_path)
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
