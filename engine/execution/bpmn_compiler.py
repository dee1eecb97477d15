"""Turn a procedure's BPMN/DMN files into an executable spec, or a list of located problems.

Anything a modeler produces (bpmn.io, Camunda Modeler, SpiffArena) is either compiled or refused
with problems that name the file, the element id and what is wrong: never a crash.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .camunda import candidate_groups, prepare_vendor_extensions
from .serialization import spec_to_dict

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}

HUMAN_TASK_TAGS = ("userTask", "manualTask")
_CONTAINERS = {f"{{{BPMN_NS}}}{t}" for t in ("process", "subProcess", "transaction", "adHocSubProcess")}
# Task properties the engine reads (docs/bpmn-conventions.md).
FORM_PROPERTY = "formJsonSchemaFilename"
HOURS_PROPERTY = "workingHours"
DAYS_PROPERTY = "workingDays"


@dataclass(frozen=True)
class Problem:
    file: str
    element_id: str | None
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "element_id": self.element_id, "line": self.line, "message": self.message}


class BpmnInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class HumanTaskMeta:
    """What the engine needs to know of a user task, read from the diagram once per version."""

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

    @property
    def key(self) -> str:
        return f"{self.process_id}/{self.task_id}"


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    spec: dict[str, Any]  # serialized top-level spec
    subprocess_specs: dict[str, Any]  # serialized call-activity specs
    human_tasks: dict[str, HumanTaskMeta]  # by HumanTaskMeta.key
    timers: list[tuple[str, str, str]]  # (element id, file, expression)


def _line_element_id(tree: etree._Element, line: int | None) -> str | None:
    if not line:
        return None
    best = None
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        if el.sourceline == line and el.get("id"):
            return el.get("id")
        if el.sourceline and el.sourceline < line and el.get("id"):
            best = el.get("id")
    return best


def _number(value: str | None, kind: type, file: str, task_id: str, name: str, problems: list[Problem]) -> Any:
    if value is None or value == "":
        return None
    try:
        number = kind(value)
    except ValueError:
        problems.append(Problem(file, task_id, f"property {name}={value!r} is not a {kind.__name__} number"))
        return None
    if number < 0:
        problems.append(Problem(file, task_id, f"property {name} must not be negative"))
        return None
    return number


def _human_tasks(tree: etree._Element, file: str, problems: list[Problem]) -> list[HumanTaskMeta]:
    found = []
    for process in tree.iterfind(".//bpmn:process", NS):
        lanes: dict[str, str] = {}
        for lane in process.iterfind(".//bpmn:lane", NS):
            for ref in lane.iterfind("bpmn:flowNodeRef", NS):
                lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
        for tag in HUMAN_TASK_TAGS:
            for task in process.iter(f"{{{BPMN_NS}}}{tag}"):
                # a task inside an embedded subProcess runs in that subProcess's own spec
                owner = task.getparent()
                while owner is not None and owner.tag not in _CONTAINERS:
                    owner = owner.getparent()
                owner_id = owner.get("id") if owner is not None else process.get("id")
                props: dict[str, str] = {}
                for p in task.iterfind(".//spiffworkflow:property", NS):
                    props[p.get("name", "")] = p.get("value", "")
                for p in task.iterfind(".//camunda:property", NS):
                    props.setdefault(p.get("name", ""), p.get("value", ""))
                form = props.get(FORM_PROPERTY) or task.get(f"{{{CAMUNDA_NS}}}formKey") or None
                if form and form.startswith("embedded:"):
                    problems.append(Problem(file, task.get("id"), f"formKey {form!r}: only JSON Schema files in forms/ are supported"))
                task_id = task.get("id")
                hours = _number(props.get(HOURS_PROPERTY), float, file, task_id, HOURS_PROPERTY, problems)
                days = _number(props.get(DAYS_PROPERTY), int, file, task_id, DAYS_PROPERTY, problems)
                if hours is not None and days is not None:
                    problems.append(Problem(file, task_id, f"give {HOURS_PROPERTY} or {DAYS_PROPERTY}, not both"))
                found.append(
                    HumanTaskMeta(
                        process_id=owner_id,
                        task_id=task_id,
                        name=task.get("name") or task_id,
                        file=file,
                        lane=lanes.get(task_id),
                        form=form,
                        working_hours=hours,
                        working_days=days,
                        properties=props,
                        candidate_groups=candidate_groups(task),
                    )
                )
    return found


def _check_expressions(tree: etree._Element, file: str, problems: list[Problem]) -> list[tuple[str, str, str]]:
    """Syntax-check timer expressions and scripts now, not when a dossier reaches them."""
    timers = []
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for el in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            event = el.getparent().getparent()
            text = (el.text or "").strip()
            try:
                ast.parse(text, mode="eval")
            except SyntaxError as err:
                problems.append(Problem(file, event.get("id"), f"{tag} is not a valid expression ({err.msg}): {text!r}. "
                                        "Write a Python expression, e.g. deadline(working_hours=8) or \"PT2H\"", el.sourceline))
                continue
            timers.append((event.get("id"), file, text))
    for el in tree.iter(f"{{{BPMN_NS}}}script"):
        task = el.getparent()
        text = el.text or ""
        try:
            ast.parse(text, mode="exec")
        except SyntaxError as err:
            line = (el.sourceline or 0) + (err.lineno or 1) - 1 if el.sourceline else None
            problems.append(Problem(file, task.get("id"), f"script has a syntax error on its line {err.lineno}: {err.msg}", line))
    return timers


def compile_process(
    bpmn_files: dict[str, bytes],
    dmn_files: dict[str, bytes] | None = None,
    process_id: str | None = None,
) -> CompiledProcess:
    """Parse, validate and serialize. Raises BpmnInvalid with every problem found."""
    problems: list[Problem] = []
    parser = SpiffBpmnParser(validator=VALIDATOR)
    human: list[HumanTaskMeta] = []
    timers: list[tuple[str, str, str]] = []
    if not bpmn_files:
        raise BpmnInvalid([Problem("(procedure)", None, "no BPMN file")])
    for name, content in sorted(bpmn_files.items()):
        try:
            tree = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
        except etree.XMLSyntaxError as err:
            problems.append(Problem(name, None, f"not well-formed XML: {err.msg}", err.lineno))
            continue
        if tree.tag != f"{{{BPMN_NS}}}definitions":
            problems.append(Problem(name, None, f"not a BPMN 2.0 file (root element {tree.tag!r})", tree.sourceline))
            continue
        problems += [Problem(name, f.element_id, f.message, f.line) for f in prepare_vendor_extensions(tree)]
        try:
            parser.add_bpmn_xml(tree, name)
        except ValidationException as err:
            line = err.line_number or None
            problems.append(Problem(err.file_name or name, err.id or _line_element_id(tree, line), str(err).strip(), line))
            continue
        except Exception as err:  # a modeler's odd output must not crash the loader
            problems.append(Problem(name, None, f"could not be read: {type(err).__name__}: {err}"))
            continue
        human.extend(_human_tasks(tree, name, problems))
        timers.extend(_check_expressions(tree, name, problems))
    for name, content in sorted((dmn_files or {}).items()):
        try:
            tree = etree.fromstring(content, etree.XMLParser(resolve_entities=False, no_network=True))
            parser.add_dmn_xml(tree, name)
        except etree.XMLSyntaxError as err:
            problems.append(Problem(name, None, f"not well-formed XML: {err.msg}", err.lineno))
        except ValidationException as err:
            problems.append(Problem(err.file_name or name, err.id or None, str(err).strip(), err.line_number or None))
        except Exception as err:
            problems.append(Problem(name, None, f"could not be read as DMN: {type(err).__name__}: {err}"))
    if problems:
        raise BpmnInvalid(problems)

    executable = parser.get_process_ids()
    first_file = sorted(bpmn_files)[0]
    if process_id is None:
        if not executable:
            raise BpmnInvalid([Problem(first_file, None, 'no executable process: mark the process isExecutable="true"')])
        if len(executable) > 1:
            raise BpmnInvalid([Problem(first_file, None, "several executable processes (" + ", ".join(executable)
                                       + "): name the one to start as process_id in procedure.toml")])
        process_id = executable[0]
    elif process_id not in parser.process_parsers:
        raise BpmnInvalid([Problem(first_file, process_id, f"process_id {process_id!r} is not a process in the BPMN files")])

    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as err:
        raise BpmnInvalid([Problem(err.file_name or first_file, err.id or None, str(err).strip(), err.line_number or None)]) from None
    except SpiffWorkflowException as err:
        raise BpmnInvalid([Problem(first_file, getattr(err, "id", None), str(err).strip())]) from None
    except Exception as err:
        raise BpmnInvalid([Problem(first_file, None, f"could not be compiled: {type(err).__name__}: {err}")]) from None
    missing = sorted(name for name, sub in subprocess_specs.items() if sub is None)
    if missing:
        raise BpmnInvalid([Problem(first_file, m, f"call activity calls process {m!r}, which is in none of the files") for m in missing])

    used = {process_id, *subprocess_specs}
    tasks = {h.key: h for h in human if h.process_id in used}
    try:
        spec_dict, subs_dict = spec_to_dict(spec, subprocess_specs)
    except Exception as err:
        raise BpmnInvalid([Problem(first_file, None, f"could not be stored: {type(err).__name__}: {err}")]) from None
    return CompiledProcess(process_id, spec_dict, subs_dict, tasks, timers)


def task_meta_key(task: Any) -> str:
    """Key of a running task's metadata: its process id and element id."""
    return f"{task.workflow.spec.name}/{task.task_spec.name}"
