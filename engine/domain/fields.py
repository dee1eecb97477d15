"""Reading a dossier data field named in a diagram: `agency` or a dotted path `consultation.agency`.

Lanes (`[official@{consultation.agency}]`) and step deadlines (`workingDays = {consultation.days}`)
name the field their value comes from, so one multi-instance task can route each instance to the
agency of its item, with that item's deadline (R-4.2, R-4.4, N-5).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

FIELD_PATH = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_REFERENCE = re.compile(r"^\{\s*(" + FIELD_PATH + r")\s*\}$")


class FieldError(LookupError):
    pass


def field_reference(text: str | None) -> str | None:
    """The field path of a `{path}` reference, None if `text` is not one."""
    m = _REFERENCE.match((text or "").strip())
    return m.group(1) if m else None


def field_value(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path in task data. Raises FieldError naming the path if it is missing."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise FieldError(f"data field {path!r} is missing")
        value = value[part]
    return value
