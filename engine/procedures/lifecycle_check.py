"""Check a procedure's lifecycle steps at load (docs/bpmn-conventions.md §15): every `lifecycle`
property names a known step, and the fields the step reads are there to be read.

A field the step reads must be listed by the task's own form or by another form of the procedure
(data flows along the process: the desk sends the supplement request the official drafted);
`outcome` of a reception step must be in its own form, with values among receive / guide / refuse.
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from engine.domain.lifecycle_steps import (
    FEEDBACK_KIND,
    FEEDBACK_STEPS,
    LIFECYCLE_PROPERTY,
    RECEPTION_OUTCOMES,
    RETURN_CHANNELS,
    TASK_STEPS,
)
from engine.execution.checks.human_tasks import HumanTaskMeta
from engine.execution.checks.problems import Problem, warning

FORMS_PREFIX = "forms/"


def _fields(schema: Any) -> dict[str, Any]:
    """Top-level properties of a form, including those of its if/then/else/allOf/anyOf/oneOf parts."""
    out: dict[str, Any] = {}
    if not isinstance(schema, dict):
        return out
    if isinstance(schema.get("properties"), dict):
        out.update(schema["properties"])
    for key in ("then", "else", "if"):
        out.update(_fields(schema.get(key)))
    for key in ("allOf", "anyOf", "oneOf"):
        for part in schema.get(key) or []:
            out.update(_fields(part))
    return out


def _form_fields(form: str | None, sources: dict[str, str]) -> dict[str, Any] | None:
    if not form or FORMS_PREFIX + form not in sources:
        return None
    try:
        return _fields(json.loads(sources[FORMS_PREFIX + form]))
    except ValueError:
        return None


def check_lifecycle(tasks: Iterable[HumanTaskMeta], sources: dict[str, str], problems: list[Problem],
                    kind: str | None = None) -> None:
    """`kind`: procedure.toml's; a feedback procedure's steps are FEEDBACK_STEPS, a dossier
    procedure's TASK_STEPS, and neither uses the other's."""
    tasks = list(tasks)
    feedback = kind == FEEDBACK_KIND
    steps = FEEDBACK_STEPS if feedback else TASK_STEPS
    every: set[str] = set()
    for t in tasks:
        every.update(_form_fields(t.form, sources) or {})
    for t in tasks:
        step = (t.properties or {}).get(LIFECYCLE_PROPERTY)
        if step is None:
            continue
        if step not in steps:
            if step in FEEDBACK_STEPS:
                why = "is a feedback step: only a feedback procedure (procedure.toml kind = \"feedback\") uses it"
            elif feedback and step in TASK_STEPS:
                why = "is a dossier step: a feedback procedure's cases are not dossiers"
            else:
                why = "is not a lifecycle step"
            problems.append(Problem(t.file, t.task_id, f"lifecycle {step!r} {why}; use one of: {', '.join(steps)}"))
            continue
        own = _form_fields(t.form, sources) or {}
        needed, _ = steps[step]
        if step == "reception":
            _enum(t, own, "outcome", RECEPTION_OUTCOMES, problems, required=True)
            for name in ("missing", "reason"):
                if name not in every:
                    problems.append(warning(t.file, t.task_id, f"lifecycle reception: no form lists {name!r}, "
                                                               "needed to guide (missing, reason) or refuse (reason)"))
            continue
        if step == "result_return":
            _enum(t, own, "return_channel", RETURN_CHANNELS, problems, required=False)
        for name in needed:
            if name not in every:
                problems.append(Problem(t.file, t.task_id, f"lifecycle {step}: the step reads field {name!r}, "
                                                           "but no form of the procedure lists it"))


def _enum(t: HumanTaskMeta, own: dict[str, Any], name: str, allowed: tuple[str, ...], problems: list[Problem],
          required: bool) -> None:
    spec = own.get(name)
    if spec is None:
        if required:
            problems.append(Problem(t.file, t.task_id, f"lifecycle {t.properties.get(LIFECYCLE_PROPERTY)}: its form "
                                                       f"must list {name!r} ({' | '.join(allowed)})"))
        return
    values = spec.get("enum") if isinstance(spec, dict) else None
    if values is None and isinstance(spec, dict) and "const" in spec:
        values = [spec["const"]]
    bad = [v for v in values or [] if v not in allowed]
    if bad:
        problems.append(Problem(t.file, t.task_id, f"field {name!r} offers {', '.join(map(repr, bad))}: "
                                                   f"the lifecycle knows only {' | '.join(allowed)}"))
