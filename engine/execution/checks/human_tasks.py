"""Human tasks: what the engine reads from a user, manual or plain task, checked at load (R-4.1).

A plain `bpmn:task` waits for a person at run time (SpiffWorkflow makes it a manual task), so it
is checked like a user task: its lane must name a role (docs/bpmn-conventions.md).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.domain.fields import field_reference
from engine.domain.roles import LaneError, parse_route

from ..camunda import candidate_groups

from .model import CAMUNDA_NS, NS, bpmn, container_of
from .problems import Problem

HUMAN_TASK_TAGS = ("userTask", "manualTask", "task")
# Task properties the engine reads (docs/bpmn-conventions.md).
FORM_PROPERTY = "formJsonSchemaFilename"
HOURS_PROPERTY = "workingHours"
DAYS_PROPERTY = "workingDays"


@dataclass(frozen=True)
class HumanTaskMeta:
    """What the engine needs to know of a human task, read from the diagram once per version."""

    process_id: str
    task_id: str
    name: str
    file: str
    lane: str | None
    form: str | None
    working_hours: float | None
    working_days: int | None
    properties: dict[str, str] = field(default_factory=dict)
    candidate_groups: str | None = None  # camunda:candidateGroups: routes the task before its lane
    # a step deadline read from a data field at run time (`{consultation.days}`), instead of a number
    working_hours_field: str | None = None
    working_days_field: str | None = None

    @property
    def key(self) -> str:
        return f"{self.process_id}/{self.task_id}"


def _number(value: str | None, kind: type, file: str, task: etree._Element, name: str,
            problems: list[Problem]) -> Any:
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except ValueError:
        problems.append(Problem(file, task.get("id"), f"property {name}={value!r} is not a {kind.__name__} number",
                                task.sourceline))
        return None
    if number < 0:
        problems.append(Problem(file, task.get("id"), f"property {name} must not be negative", task.sourceline))
        return None
    return number


def _properties(task: etree._Element) -> dict[str, str]:
    props: dict[str, str] = {}
    for p in task.iterfind("bpmn:extensionElements//spiffworkflow:property", NS):
        props[p.get("name", "")] = p.get("value", "")
    for p in task.iterfind("bpmn:extensionElements//camunda:property", NS):
        props.setdefault(p.get("name", ""), p.get("value", ""))
    return props


def human_task(task: etree._Element, file: str, lane: str | None, problems: list[Problem]) -> HumanTaskMeta:
    task_id = task.get("id")
    owner = container_of(task)  # a task in an embedded sub-process runs in that sub-process's spec
    props = _properties(task)
    form = props.get(FORM_PROPERTY) or task.get(f"{{{CAMUNDA_NS}}}formKey") or None
    if form and form.startswith("embedded:"):
        problems.append(Problem(file, task_id, f"formKey {form!r}: only JSON Schema files in forms/ are supported",
                                task.sourceline))
    hours_field = field_reference(props.get(HOURS_PROPERTY))
    days_field = field_reference(props.get(DAYS_PROPERTY))
    hours = None if hours_field else _number(props.get(HOURS_PROPERTY), float, file, task, HOURS_PROPERTY, problems)
    days = None if days_field else _number(props.get(DAYS_PROPERTY), int, file, task, DAYS_PROPERTY, problems)
    if (hours is not None or hours_field) and (days is not None or days_field):
        problems.append(Problem(file, task_id, f"give {HOURS_PROPERTY} or {DAYS_PROPERTY}, not both", task.sourceline))
    groups = candidate_groups(task)
    try:
        parse_route(lane, groups)
    except LaneError as err:
        kind = "a plain task waits for a person, so " if task.tag == bpmn("task") else ""
        problems.append(Problem(file, task_id, f"{kind}{err}", task.sourceline))
    return HumanTaskMeta(
        process_id=owner.get("id") if owner is not None else "",
        task_id=task_id,
        name=task.get("name") or task_id,
        file=file,
        lane=lane,
        form=form,
        working_hours=hours,
        working_days=days,
        properties=props,
        candidate_groups=groups,
        working_hours_field=hours_field,
        working_days_field=days_field,
    )


def human_tasks(container: etree._Element, file: str, lanes: dict[str, str | None],
                problems: list[Problem]) -> list[HumanTaskMeta]:
    """Every human task in a process (embedded sub-processes included)."""
    found = []
    for el in container.iter(*(bpmn(t) for t in HUMAN_TASK_TAGS)):
        found.append(human_task(el, file, lanes.get(el.get("id")), problems))
    return found
