"""Turn a procedure's BPMN/DMN files into an executable spec, or every located problem at once.

Anything a modeler produces (bpmn.io, Camunda Modeler, SpiffArena, ...) is either compiled or
refused with problems that name the file, the element id, the line and what is wrong: never a
crash, never a SpiffWorkflow message passed through raw (issue 8). The checks live in
engine/execution/checks/, one module per concern; this module runs them in order and keeps going
after a problem so that `motcua procedures check` shows them all. Warnings do not refuse.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .camunda import prepare_vendor_extensions
from .checks.expressions import Timer, check_expressions
from .checks.human_tasks import (
    DAYS_PROPERTY,
    FORM_PROPERTY,
    HOURS_PROPERTY,
    HUMAN_TASK_TAGS,
    HumanTaskMeta,
    human_tasks,
)
from .checks.lanes import lanes_by_node
from .checks.messages import MessageMeta, merge_messages, messages_of
from .checks.model import BPMN_NS, CAMUNDA_NS, NS, SPIFF_NS, is_executable
from .checks.normalize import make_explicit, resolve_qualified_refs
from .checks.problems import BpmnInvalid, Problem, errors_in
from .checks.sandbox import sandbox_problems
from .checks.sizes import check_form_names, check_sizes
from .checks.spiff import MotcuaBpmnParser, translate
from .checks.support import check_constructs
from .checks.xml import read_bpmn, read_xml
from .serialization import spec_to_dict

__all__ = [
    "BPMN_NS", "CAMUNDA_NS", "DAYS_PROPERTY", "FORM_PROPERTY", "HOURS_PROPERTY", "HUMAN_TASK_TAGS", "NS",
    "SPIFF_NS", "BpmnInvalid", "CompiledProcess", "HumanTaskMeta", "MessageMeta", "Problem", "compile_process", "task_meta_key",
]

PROCEDURE_FILE = "procedure.toml"  # where process_id comes from (engine/procedures/metadata.py)


@dataclass(frozen=True)
class CompiledProcess:
    process_id: str
    spec: dict[str, Any]  # serialized top-level spec
    subprocess_specs: dict[str, Any]  # serialized call-activity specs
    human_tasks: dict[str, HumanTaskMeta]  # by HumanTaskMeta.key
    timers: list[Timer]  # (element id, file, expression)
    warnings: list[Problem] = field(default_factory=list)  # shown by check, do not refuse
    messages: dict[str, MessageMeta] = field(default_factory=dict)  # by message name


@dataclass
class _Process:
    file: str
    element: etree._Element

    @property
    def id(self) -> str:
        return self.element.get("id")


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _add_unless_repeated(problems: list[Problem], found: Problem) -> None:
    """SpiffWorkflow's problem, unless our own checks already refused that element."""
    if not any(p.is_error and p.element_id == found.element_id and p.file == found.file for p in problems):
        problems.append(found)


def _catalogue(trees: dict[str, etree._Element], problems: list[Problem]) -> dict[str, _Process]:
    found: dict[str, _Process] = {}
    for name, tree in trees.items():
        for el in tree.iterfind("bpmn:process", NS):
            pid = el.get("id")
            if not pid:
                problems.append(Problem(name, None, "a process has no id", el.sourceline))
            elif pid in found:
                problems.append(Problem(name, pid, f"process id {pid!r} is already used in {found[pid].file}", el.sourceline))
            else:
                found[pid] = _Process(name, el)
    return found


def _choose(catalogue: dict[str, _Process], process_id: str | None, process_id_file: str,
            first_file: tuple[str, etree._Element], problems: list[Problem]) -> str | None:
    """The process a dossier starts, or None with a problem saying why not."""
    executable = [pid for pid, p in catalogue.items() if is_executable(p.element)]
    if process_id is not None:
        if process_id not in catalogue:
            known = ", ".join(catalogue) or "none"
            problems.append(Problem(process_id_file, "process_id",
                                    f"process_id {process_id!r} is not a process in the BPMN files (processes: {known})"))
            return None
        if not is_executable(catalogue[process_id].element):
            p = catalogue[process_id]
            problems.append(Problem(p.file, process_id, 'the process to start is not executable: '
                                    'mark it isExecutable="true"', p.element.sourceline))
        return process_id
    if len(executable) == 1:
        return executable[0]
    if not executable:
        first = next(iter(catalogue.values()), None)
        if first is None:
            name, root = first_file
            problems.append(Problem(name, root.get("id"), "no process in the file: draw a bpmn:process",
                                    root.sourceline))
        else:
            problems.append(Problem(first.file, first.id, 'no executable process: mark the process '
                                    'isExecutable="true"', first.element.sourceline))
        return None
    problems.append(Problem(process_id_file, "process_id", "several executable processes (" + ", ".join(executable)
                            + "): name the one to start as process_id"))
    return None


def _used(catalogue: dict[str, _Process], start: str, problems: list[Problem]) -> list[str]:
    """The process and every process its call activities call, transitively; missing ones reported."""
    order, todo = [], [start]
    while todo:
        pid = todo.pop(0)
        if pid in order:
            continue
        order.append(pid)
        proc = catalogue[pid]
        for call in proc.element.iter(f"{{{BPMN_NS}}}callActivity"):
            called = (call.get("calledElement") or "").strip()
            if not called:
                problems.append(Problem(proc.file, call.get("id"), "call activity names no process to call "
                                        "(calledElement)", call.sourceline))
            elif called not in catalogue:
                problems.append(Problem(proc.file, call.get("id"), f"call activity calls process {called!r}, "
                                        "which is in none of the procedure's BPMN files", call.sourceline))
            else:
                todo.append(called)
    return order


def compile_process(
    bpmn_files: dict[str, bytes],
    dmn_files: dict[str, bytes] | None = None,
    process_id: str | None = None,
    *,
    process_id_file: str = PROCEDURE_FILE,
) -> CompiledProcess:
    """Check, parse and serialize a procedure's diagrams.

    `bpmn_files`/`dmn_files` map file names to their bytes; `process_id` (from `process_id_file`)
    names the process to start when the files hold several. Raises BpmnInvalid with every
    problem found (errors and warnings) when at least one is an error; otherwise the warnings
    ride along in CompiledProcess.warnings.
    """
    problems: list[Problem] = []
    if not bpmn_files:
        raise BpmnInvalid([Problem("(procedure)", None, "no BPMN file")])
    trees: dict[str, etree._Element] = {}
    for name, content in sorted(bpmn_files.items()):
        tree = read_bpmn(name, content, problems)
        if tree is not None:
            resolve_qualified_refs(tree)
            # Camunda conditions and decision references made runnable, in place (camunda.py)
            problems += [Problem(name, f.element_id, f.message, f.line) for f in prepare_vendor_extensions(tree)]
            trees[name] = tree

    catalogue = _catalogue(trees, problems)
    chosen = _choose(catalogue, process_id, process_id_file, next(iter(trees.items())), problems) if trees else None
    used = _used(catalogue, chosen, problems) if chosen else [
        pid for pid, p in catalogue.items() if is_executable(p.element)]

    check_constructs([(catalogue[pid].file, catalogue[pid].element) for pid in used], trees, problems)
    human: list[HumanTaskMeta] = []
    timers: list[Timer] = []
    messages: dict[str, MessageMeta] = {}
    for name, tree in trees.items():
        lanes = lanes_by_node(tree)
        for pid in used:
            if catalogue[pid].file == name:
                human += human_tasks(catalogue[pid].element, name, lanes, problems)
        timers += check_expressions(tree, name, problems)
        merge_messages(messages, messages_of(tree, name, problems), problems)
        check_sizes(tree, name, problems)
    check_form_names(human, problems)

    parser = MotcuaBpmnParser()
    for name, tree in trees.items():
        make_explicit(tree, name, problems)  # valid BPMN SpiffWorkflow would not run as written
        try:
            parser.add_bpmn_xml(tree, name)
        except Exception as err:  # a modeler's odd output must not crash the loader
            _add_unless_repeated(problems, translate(err, name, trees))
    dmn_trees: dict[str, etree._Element] = {}
    for name, content in sorted((dmn_files or {}).items()):
        tree = read_xml(name, content, problems)
        if tree is None:
            continue
        dmn_trees[name] = tree
        # every decision of the file, or every problem of it, located (execution/dmn)
        problems += [Problem(name, f.element_id, f.message, f.line) for f in parser.add_dmn_tree(tree, name)]

    # SpiffWorkflow parses a process lazily and stops at its first problem: ask it even when
    # problems were found already, so its problem shows with the others (unless it repeats one).
    spec_dict: dict[str, Any] = {}
    subs_dict: dict[str, Any] = {}
    subprocess_specs: dict[str, Any] = {}
    for pid in [chosen] if chosen else used:
        if pid not in parser.process_parsers:  # its file could not be added: reported above
            continue
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
            # every expression and script under the sandbox's policy (issue 7); before
            # serializing, as bare ISO timer texts are rewritten to literals in the specs
            refused = {(p.file, p.element_id) for p in problems if p.is_error}  # e.g. a syntax error
            found = sandbox_problems([spec, *subprocess_specs.values()], {**trees, **dmn_trees},
                                     getattr(parser, "decisions", None))
            problems += [p for p in found if not (p.is_error and (p.file, p.element_id) in refused)]
            spec_dict, subs_dict = spec_to_dict(spec, subprocess_specs)
        except Exception as err:
            _add_unless_repeated(problems, translate(err, catalogue[pid].file, trees))
    if chosen is None or errors_in(problems):
        raise BpmnInvalid(_unique(problems), human)

    in_use = {chosen, *subprocess_specs}
    tasks = {h.key: h for h in human if h.process_id in in_use}
    return CompiledProcess(chosen, spec_dict, subs_dict, tasks, timers, _unique(problems), messages)


def task_meta_key(task: Any) -> str:
    """Key of a running task's metadata: its process id and element id."""
    return f"{task.workflow.spec.name}/{task.task_spec.name}"
