"""Check time for the sandbox: find every expression and script a compiled spec will run, and
refuse those the restricted language does not allow, each with its file and element (issue 7).

Reads the parsed SpiffWorkflow specs rather than the XML, so it sees exactly what will run,
whatever modeler or translation produced it. Bare ISO 8601 timer texts (``P7D``, ``R3/PT1H``) are
rewritten to string literals here, with a warning that they count calendar time (issue 8).
"""
from __future__ import annotations

import ast
import re
from typing import Any, Iterator

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
)

from ..sandbox import check_source, iso_timer_literal, timer_shape_refusal
from .problems import ERROR, WARNING, Problem

Where = dict[str, tuple[str, "int | None", str]]


_TIMER_KINDS = ((TimeDateEventDefinition, "timeDate"), (DurationTimerEventDefinition, "timeDuration"),
                (CycleTimerEventDefinition, "timeCycle"))
_DMN_INPUT = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # SpiffWorkflow's "?" rule


def _event_definitions(definition: Any) -> Iterator[Any]:
    if definition is None:
        return
    yield definition
    for inner in getattr(definition, "event_definitions", None) or []:
        yield from _event_definitions(inner)


def _dmn_expressions(task_spec: Any) -> Iterator[tuple[str, str, str]]:
    """(element id, what, expression) the DMN engine will evaluate, built as it builds them."""
    table = getattr(getattr(task_spec, "dmnEngine", None), "decision_table", None)
    if table is None:
        return
    for inp in table.inputs:
        if inp.expression:
            yield inp.id, f"input expression of decision {table.id}", inp.expression
    for rule in table.rules:
        for entry in rule.inputEntries:
            expr = entry.input.expression or ""
            for lhs in entry.lhs:
                yield from ((rule.id, "input entry", e) for e in _python_cell(expr, lhs or ""))
        for out in rule.outputEntries:
            if out.text and out.text.strip():
                yield rule.id, "output entry", out.text


def locations(trees: dict[str, etree._Element]) -> Where:
    """Element id -> (file, line, id) over the BPMN and DMN trees; a sequence flow also under
    "source->target", as SpiffWorkflow knows a gateway's conditions by their target."""
    where: Where = {}
    for file, tree in trees.items():
        for el in tree.iter():
            if isinstance(el.tag, str) and el.get("id"):
                where.setdefault(el.get("id"), (file, el.sourceline, el.get("id")))
                if el.get("sourceRef") and el.get("targetRef"):
                    where.setdefault(f"{el.get('sourceRef')}->{el.get('targetRef')}", (file, el.sourceline, el.get("id")))
    return where


def _decision_expressions(decision: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(element id, what, Python expression) of a decision table as engine/execution/dmn/load.py
    stores it: FEEL cells come translated ({"py": ...}), Python cells as SpiffWorkflow runs them."""
    def operands(value: Any) -> Iterator[str]:
        if isinstance(value, dict):
            if isinstance(value.get("py"), str):
                yield value["py"]
            for v in value.values():
                if isinstance(v, (dict, list)):
                    yield from operands(v)
        elif isinstance(value, list):
            for v in value:
                yield from operands(v)

    inputs = decision.get("inputs", [])
    for inp in inputs:
        for py in operands(inp.get("expr")):
            yield inp.get("id") or decision["id"], f"input expression of decision {decision['id']}", py
    for out in decision.get("outputs", []):
        for py in operands(out.get("default")):
            yield out.get("id") or decision["id"], "output default", py
    for rule in decision.get("rules", []):
        for cell, inp in zip(rule.get("when", []), inputs):
            if isinstance(cell, dict) and isinstance(cell.get("python"), str):
                expr = (inp.get("expr") or {}).get("py") or ""
                yield from ((rule["id"], "input entry", e) for e in _python_cell(expr, cell["python"]))
            else:
                yield from ((rule["id"], "input entry", py) for py in operands(cell))
        for py in operands(rule.get("then")):
            yield rule["id"], "output entry", py


def _python_cell(expr: str, lhs: str) -> Iterator[str]:
    """The expression SpiffWorkflow's DMN engine builds from a Python cell and its input."""
    if not lhs.strip() or lhs.strip() == "-":
        return
    match = _DMN_INPUT.sub("dmninputexpr", lhs)
    if "dmninputexpr" in match:
        yield match
        return
    try:
        ast.parse(lhs.strip(), mode="eval")
        yield f"({expr}) == ({lhs})"
    except SyntaxError:
        yield expr + lhs


def sandbox_problems(specs: list[Any], trees: dict[str, etree._Element],
                     decisions: dict[str, dict[str, Any]] | None = None) -> list[Problem]:
    """Problems for every expression of `specs` (parsed process specs) and `decisions` (DMN
    tables by id, engine/execution/dmn), located in `trees` (the procedure's BPMN and DMN files
    by name); rewrites bare ISO timer texts in the specs."""
    where = locations(trees)
    findings: list[Problem] = []

    def problem(file: str | None, element_id: str | None, message: str, line: int | None,
                severity: str = ERROR) -> Problem:
        return Problem(file or next(iter(trees), "(procedure)"), element_id, message, line, severity)

    def locate(element_id: str | None, default_file: str | None) -> tuple[str | None, int | None]:
        file, line, _ = where.get(element_id or "", (default_file, None, ""))
        return file, line

    def check(element_id: str | None, default_file: str | None, what: str, mode: str, text: str,
              key: str | None = None) -> None:
        file, line, found = where.get(key or element_id or "", (default_file, None, element_id))
        for r in check_source(text, mode):  # type: ignore[arg-type]
            at = f" (line {r.line} of the script)" if mode == "exec" and r.line else ""
            findings.append(problem(file, found or element_id, f"{what} refused: {r.message}{at}", line))

    for proc in specs:
        if proc is None:
            continue  # a call activity's missing process: reported by the compiler
        file = getattr(proc, "file", None)
        if getattr(proc, "completion_condition", None):
            check(proc.name, file, "completion condition", "eval", proc.completion_condition)
        for ts in proc.task_specs.values():
            eid = getattr(ts, "bpmn_id", None) or ts.name
            if not eid or not hasattr(ts, "bpmn_id"):
                continue  # SpiffWorkflow's own start/end specs run nothing
            if isinstance(getattr(ts, "script", None), str):
                check(eid, file, "script", "exec", ts.script)
            for attr, what in (("prescript", "pre-script"), ("postscript", "post-script")):
                if getattr(ts, attr, None):
                    check(eid, file, what, "exec", getattr(ts, attr))
            for cond, target in getattr(ts, "cond_task_specs", None) or []:
                if cond is not None and getattr(cond, "args", None):
                    check(eid, file, f"condition of the flow from {eid} to {target}", "eval", cond.args[0],
                          key=f"{eid}->{target}")
            for attr, what in (("cardinality", "loop cardinality"), ("condition", "completion condition")):
                value = getattr(ts, attr, None)
                if isinstance(value, str) and value.strip():
                    check(eid, file, what, "eval", value)
            for definition in _event_definitions(getattr(ts, "event_definition", None)):
                expression = getattr(definition, "expression", None)
                if not isinstance(expression, str):
                    continue
                kind = next((k for cls, k in _TIMER_KINDS if isinstance(definition, cls)), None)
                if kind is not None:
                    literal, refusal = iso_timer_literal(kind, expression)
                    if literal is not None:
                        definition.expression = literal
                        f, line = locate(eid, file)
                        findings.append(problem(f, eid, f"{kind} {expression.strip()} counts calendar time "
                                                "(clock days and hours), not working time: for a working-time "
                                                "deadline write deadline(working_hours=...) or "
                                                "deadline(working_days=...) (R-5.2)", line, WARNING))
                        continue
                    if refusal is None:
                        refusal = timer_shape_refusal(kind, expression)
                    if refusal is not None:
                        f, line = locate(eid, file)
                        findings.append(problem(f, eid, refusal.message, line))
                        continue
                check(eid, file, kind or "event expression", "eval", expression)
            for param in (getattr(ts, "operation_params", None) or {}).values():
                if isinstance(param, dict) and isinstance(param.get("value"), str):
                    check(eid, file, "service task parameter", "eval", param["value"])
            for element_id, what, expression in _dmn_expressions(ts):
                check(element_id, file, f"DMN {what}", "eval", expression)
    for decision in (decisions or {}).values():
        for element_id, what, expression in _decision_expressions(decision):
            check(element_id, decision.get("file"), f"DMN {what}", "eval", expression)
    return findings
