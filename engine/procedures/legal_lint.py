"""Legal lint: what the regulations ask of a procedure that the engine would still run (R-1.2, R-5.1).

Run on a procedure the engine's checks accepted, it adds located problems:
  - every user task is in a lane (or has a candidate group) naming a role that some account of the
    agency holds, so its tasks reach an inbox (R-4.1);                                     warning
  - every user task has a form and a working-time share (workingHours / workingDays, R-5.1); a
    `forwarding` step needs no share, its deadline is R-3.3's and N-3's;                    warning
  - the shares along the longest path fit the statutory time (R-5.1): parallel branches count
    their longest branch, a loop counts once, exception paths (boundary events, event
    sub-processes) are not counted;                                                        warning
  - timer expressions and conditions name only documented functions and data that a form, a
    script, a decision, a multi-instance item, a message or the dossier's start fields provide
    (a misspelt `aproved == True` would be a run-time incident);                            warning
  - DMN decision tables: every combination of the inputs' tested values matched by a rule
    (warning), and rules that match together only where the hit policy allows it (UNIQUE: never;
    ANY: with equal outputs)                                                                 error
"""
from __future__ import annotations

import ast
import itertools
import json
from dataclasses import dataclass
from typing import Any, Iterable

from lxml import etree

from engine.domain.lifecycle_steps import LIFECYCLE_PROPERTY
from engine.domain.roles import LaneError, parse_route
from engine.execution.checks.human_tasks import HumanTaskMeta
from engine.execution.checks.model import BPMN_NS, NS, local
from engine.execution.checks.problems import Problem, warning
from engine.execution.checks.xml import read_xml
from engine.execution.dmn.load import load_decisions
from engine.execution.sandbox.policy import BUILTIN_NAMES, EXCEPTION_NAMES
from engine.execution.working_time import WorkingTimeFunctions

from .library import LoadedProcedure

HOURS_PER_DAY = 8  # N-10: a 40-hour week over 5 days; a working day's share is 8 working hours
MAX_COMBINATIONS = 20_000  # a table with more input combinations is not enumerated
MAX_NESTING = 32  # sub-processes and call activities followed this deep

_SKIPPED_NODES = ("boundaryEvent",)  # exception paths do not count towards the longest path


def lint(loaded: LoadedProcedure, roles_by_agency: dict[str, set[str]] | None = None) -> list[Problem]:
    """Every legal-lint problem of a compiled procedure. `roles_by_agency` (agency id -> roles that
    its accounts hold) enables the lane check; None or empty skips it (no directory at hand)."""
    problems: list[Problem] = []
    trees = {}
    for name, text in loaded.sources.items():
        if name.endswith((".bpmn", ".dmn")):
            tree = read_xml(name, text.encode("utf-8"), [])
            if tree is not None:
                trees[name] = tree
    agency = loaded.metadata["agency_id"]
    for task in loaded.compiled.human_tasks.values():
        where = _line(trees.get(task.file), task.task_id)
        try:
            route = parse_route(task.lane, task.candidate_groups)
        except LaneError:  # refused by the engine's checks already
            continue
        if task.lane is None and not task.candidate_groups:
            problems.append(warning(task.file, task.task_id, f"user task {task.name!r} is in no lane: it goes to "
                                    f"'{route.role}' of the competent agency by default; draw it in a lane that "
                                    "names its role", where))
        if roles_by_agency and route.agency_field is None:  # an empty directory (a fresh install) says nothing
            target = route.agency or agency
            if route.role not in roles_by_agency.get(target, set()):
                problems.append(warning(task.file, task.task_id, f"user task {task.name!r} goes to role "
                                        f"'{route.role}' of agency {target}, and no account of {target} holds that "
                                        "role: its tasks would wait in nobody's inbox", where))
        if task.form is None:
            problems.append(warning(task.file, task.task_id, f"user task {task.name!r} has no form "
                                    "(formJsonSchemaFilename): what the official decides is not recorded", where))
        if (task.working_hours is None and task.working_days is None and task.working_hours_field is None
                and task.working_days_field is None and not _deadline_by_rule(task)):
            problems.append(warning(task.file, task.task_id, f"user task {task.name!r} has no working-time share "
                                    "(workingHours or workingDays): the statutory time is not divided among the "
                                    "steps (R-5.1)", where))
    problems += _statutory_time(loaded, trees)
    problems += _unknown_names(loaded, trees)
    for name, tree in trees.items():
        if name.endswith(".dmn"):
            problems += _decision_tables(name, tree)
    return problems


def _deadline_by_rule(task: HumanTaskMeta) -> bool:
    """A forwarding step's deadline is set by R-3.3 and N-3 (8 working hours from reception, from the
    next working day for paper received after 15:00: engine/domain/forwarding.py), not by a share."""
    return task.properties.get(LIFECYCLE_PROPERTY) == "forwarding"


def _line(tree: etree._Element | None, element_id: str | None) -> int | None:
    if tree is None or not element_id:
        return None
    found = tree.xpath("//*[@id=$i]", i=element_id)
    return found[0].sourceline if found else None


# ---------------------------------------------------------------- the longest path

@dataclass
class _Path:
    hours: float
    tasks: list[str]


class _Paths:
    def __init__(self, trees: dict[str, etree._Element], shares: dict[str, float]):
        self.shares = shares
        self.processes = {p.get("id"): p for t in trees.values() if local(t) == "definitions"
                          for p in t.iterfind("bpmn:process", NS) if p.get("id")}
        self.memo: dict[int, _Path] = {}

    def longest(self, container: etree._Element, depth: int = 0) -> _Path:
        """Longest path through a process or sub-process, in working hours of its tasks' shares."""
        key = id(container)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = _Path(0, [])  # a call back into itself counts nothing more
        nodes = {n.get("id"): n for n in container
                 if isinstance(n.tag, str) and n.tag.startswith(f"{{{BPMN_NS}}}") and n.get("id")
                 and local(n) not in _SKIPPED_NODES and local(n) not in ("sequenceFlow", "laneSet")
                 and not (local(n) == "subProcess" and n.get("triggeredByEvent") == "true")}
        succ: dict[str, list[str]] = {n: [] for n in nodes}
        incoming: set[str] = set()
        for flow in container.iterfind("bpmn:sequenceFlow", NS):
            s, t = flow.get("sourceRef"), flow.get("targetRef")
            incoming.add(t)  # also from a boundary event: its path is not a start
            if s in nodes and t in nodes:
                succ[s].append(t)
        weight = {n: self._weight(el, depth) for n, el in nodes.items()}
        starts = [n for n in nodes if n not in incoming] or list(nodes)
        # Depth-first: an edge back to a node on the stack closes a loop (counted once); nodes
        # finish in reverse topological order of what remains.
        color: dict[str, int] = {}
        back: set[tuple[str, str]] = set()
        order: list[str] = []
        for root in starts + list(nodes):
            if root in color:
                continue
            color[root] = 1
            stack = [(root, iter(succ[root]))]
            while stack:
                node, rest = stack[-1]
                nxt = next(rest, None)
                if nxt is None:
                    color[node] = 2
                    order.append(node)
                    stack.pop()
                elif color.get(nxt) == 1:
                    back.add((node, nxt))
                elif nxt not in color:
                    color[nxt] = 1
                    stack.append((nxt, iter(succ[nxt])))
        best: dict[str, _Path] = {}
        for node in order:
            tail = max((best[s] for s in succ[node] if (node, s) not in back), key=lambda p: p.hours,
                       default=_Path(0, []))
            own = weight[node]
            best[node] = _Path(own.hours + tail.hours, own.tasks + tail.tasks)
        result = max((best[s] for s in starts), key=lambda p: p.hours, default=_Path(0, []))
        self.memo[key] = result
        return result

    def _weight(self, el: etree._Element, depth: int) -> _Path:
        kind = local(el)
        if el.get("id") in self.shares:
            return _Path(self.shares[el.get("id")], [el.get("id")])
        if depth >= MAX_NESTING:
            return _Path(0, [])
        if kind in ("subProcess", "transaction", "adHocSubProcess"):
            return self.longest(el, depth + 1)
        if kind == "callActivity" and (el.get("calledElement") or "").strip() in self.processes:
            return self.longest(self.processes[el.get("calledElement").strip()], depth + 1)
        return _Path(0, [])


def _statutory_time(loaded: LoadedProcedure, trees: dict[str, etree._Element]) -> list[Problem]:
    shares = {}
    for task in loaded.compiled.human_tasks.values():
        if task.working_hours is not None:
            shares[task.task_id] = float(task.working_hours)
        elif task.working_days is not None:
            shares[task.task_id] = float(task.working_days * HOURS_PER_DAY)
    paths = _Paths(trees, shares)
    process = paths.processes.get(loaded.compiled.process_id)
    if process is None:
        return []
    path = paths.longest(process)
    statutory_days = int(loaded.metadata["statutory_days"])
    # 0 days with a cut-off hour is "within the working day" (DeadlineBasis.cutoff_hour): one day's hours.
    same_day = statutory_days == 0 and loaded.metadata.get("cutoff_hour") is not None
    budget = (1 if same_day else statutory_days) * HOURS_PER_DAY
    if path.hours <= budget:
        return []
    file = next((n for n, t in trees.items() if process in t.iterfind("bpmn:process", NS)), "")
    # e.g. 8 + 16 + 4 = 28 working hours (3.5 days) against 3 statutory days = 24 working hours
    return [warning(file, process.get("id"),
                    f"the working-time shares along the longest path ({' → '.join(path.tasks)}) add up to "
                    f"{_figure(path.hours)} working hours ({_figure(path.hours / HOURS_PER_DAY)} working days), "
                    f"more than the statutory time of {statutory_days} working days ({budget} working hours, "
                    "procedure.toml statutory_days): shorten the shares or check the statutory time (R-5.1)",
                    process.sourceline)]


def _figure(x: float) -> str:
    return f"{x:g}"


# ---------------------------------------------------------------- names in expressions

# The data every dossier starts with (engine/services/dossiers.py RESERVED_FIELDS; a test keeps them equal).
START_FIELDS = frozenset({"dossier_code", "procedure_code", "competent_agency", "channel", "received_at",
                          "started_at", "due_at", "forward_by", "applicant"})
_KNOWN = (START_FIELDS | set(WorkingTimeFunctions.NAMES) | set(BUILTIN_NAMES) | set(EXCEPTION_NAMES)
          | {"True", "False", "None"})
_CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"


def _bound_in(tree: ast.AST) -> set[str]:
    """Names an expression or script binds itself: assignments, loop and comprehension targets,
    function and lambda parameters, defined functions, caught exceptions."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            found.add(node.id)
        elif isinstance(node, ast.arg):
            found.add(node.arg)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            found.add(node.name)
    return found


def _provided(loaded: LoadedProcedure, trees: dict[str, etree._Element]) -> set[str]:
    """Every data name something in the procedure provides."""
    from .diff import _form_fields

    names = set(_KNOWN)
    for key, text in loaded.sources.items():
        if key.endswith(".json"):
            try:
                schema = json.loads(text)
            except (ValueError, RecursionError):
                continue
            names |= {f.split(".", 1)[0] for f in _form_fields(schema)}
    for tree in trees.values():
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            kind = local(el)
            if kind == "script" and el.text:
                try:
                    names |= _bound_in(ast.parse(el.text))
                except SyntaxError:
                    pass
            elif kind in ("inputDataItem", "outputDataItem"):
                names |= {n for n in (el.get("name"), el.get("id")) if n}
            elif kind in ("loopDataOutputRef", "messageVariable") and el.text:
                names.add(el.text.strip())
            elif kind in ("output", "decision") and el.get("name"):
                names.add(el.get("name"))
            for attr in ("resultVariable", f"{{{_CAMUNDA_NS}}}resultVariable", "id"):
                if el.get(attr) and (attr != "id" or kind == "decision"):
                    names.add(el.get(attr))
            if kind == "property" and el.get("name") == "resultVariable" and el.get("value"):
                names.add(el.get("value"))
    return names


def _unknown_names(loaded: LoadedProcedure, trees: dict[str, etree._Element]) -> list[Problem]:
    problems: list[Problem] = []
    provided = _provided(loaded, trees)
    for file, tree in trees.items():
        if not file.endswith(".bpmn"):
            continue
        for el in tree.iter(f"{{{BPMN_NS}}}conditionExpression", f"{{{BPMN_NS}}}timeDate",
                            f"{{{BPMN_NS}}}timeDuration", f"{{{BPMN_NS}}}timeCycle"):
            text = (el.text or "").strip()
            if not text or text.startswith(("${", "#{", "=")):
                continue  # JUEL / FEEL: translated and checked by the engine
            try:
                expression = ast.parse(text, mode="eval")
            except SyntaxError:
                continue  # refused by the engine's checks
            own = _bound_in(expression)
            unknown = sorted({n.id for n in ast.walk(expression) if isinstance(n, ast.Name)
                              and isinstance(n.ctx, ast.Load)} - provided - own)
            if not unknown:
                continue
            owner = el.getparent()
            if local(owner) == "timerEventDefinition":
                owner = owner.getparent()
            what = "condition" if local(el) == "conditionExpression" else local(el)
            problems.append(warning(file, owner.get("id"), f"the {what} {text!r} uses {', '.join(map(repr, unknown))}, "
                                    "which no form, script, decision, message or start field of the dossier "
                                    "provides: a misspelling? (if it comes with the registration data, ignore this)",
                                    el.sourceline))
    return problems


# ---------------------------------------------------------------- DMN decision tables

_OTHER = object()  # a value no literal of the table names


def _literal(operand: Any) -> tuple[bool, Any]:
    if isinstance(operand, dict) and "v" in operand:
        return True, operand["v"]
    return False, None


def _test_matches(test: dict[str, Any], value: Any) -> bool:
    if value is _OTHER:
        return test["op"] == "!="
    op = test["op"]
    if op == "range":
        lo, hi = test["lo"]["v"], test["hi"]["v"]
        if not _comparable(value, lo) or not _comparable(value, hi):
            return False
        above = value > lo if test["lo_open"] else value >= lo
        below = value < hi if test["hi_open"] else value <= hi
        return above and below
    a = test["a"]["v"]
    if op == "==":
        return value == a and type(value) is type(a) or (_number(value) and _number(a) and value == a)
    if op == "!=":
        return not (value == a and (type(value) is type(a) or (_number(value) and _number(a))))
    if not _comparable(value, a):
        return False
    return {"<": value < a, "<=": value <= a, ">": value > a, ">=": value >= a}[op]


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _comparable(x: Any, y: Any) -> bool:
    return (_number(x) and _number(y)) or (isinstance(x, str) and isinstance(y, str))


def _cell_matches(cell: dict[str, Any] | None, value: Any) -> bool:
    if cell is None:
        return True
    hit = any(_test_matches(t, value) for t in cell["tests"])
    return not hit if cell.get("not") else hit


def _analysable(decision: dict[str, Any]) -> bool:
    for rule in decision["rules"]:
        for cell in rule["when"]:
            if cell is None:
                continue
            if "tests" not in cell:
                return False  # a Python cell: not enumerable
            for test in cell["tests"]:
                operands = [test["lo"], test["hi"]] if test["op"] == "range" else [test["a"]]
                if not all(_literal(o)[0] for o in operands):
                    return False
    return True


def _representatives(decision: dict[str, Any], column: int, allowed: list[Any] | None) -> list[Any]:
    """Values standing for every case the column's tests tell apart: each literal, the numbers
    around each bound, and one value no literal names."""
    if allowed:
        return allowed
    values: list[Any] = []
    numbers: set[float] = set()
    for rule in decision["rules"]:
        cell = rule["when"][column]
        for test in (cell or {}).get("tests", []):
            literals = [test["lo"]["v"], test["hi"]["v"]] if test["op"] == "range" else [test["a"]["v"]]
            for lit in literals:
                if _number(lit):
                    numbers.add(lit)
                elif lit not in values:
                    values.append(lit)
    if numbers:
        bounds = sorted(numbers)
        values += [bounds[0] - 1, *bounds, bounds[-1] + 1]
        values += [(a + b) / 2 for a, b in zip(bounds, bounds[1:])]
    else:
        values.append(_OTHER)
    return values


def _allowed_values(tree: etree._Element, decision_id: str) -> dict[int, list[Any]]:
    """Input columns that list their allowed values (inputValues), as literals."""
    from engine.execution.dmn.load import unary_tests

    found: dict[int, list[Any]] = {}
    dmn_ns = etree.QName(tree).namespace
    for table in tree.xpath("//*[local-name()='decision'][@id=$i]/*[local-name()='decisionTable']", i=decision_id):
        for i, column in enumerate(table.findall(f"{{{dmn_ns}}}input")):
            text = column.findtext(f"{{{dmn_ns}}}inputValues/{{{dmn_ns}}}text")
            if not text:
                continue
            try:
                cell = unary_tests(text)
            except Exception:  # an odd list is the engine's to report
                continue
            tests = (cell or {}).get("tests", [])
            if tests and all(t["op"] == "==" and _literal(t["a"])[0] for t in tests):
                found[i] = [t["a"]["v"] for t in tests]
    return found


def _show(value: Any) -> str:
    if value is _OTHER:
        return "any other value"
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _decision_tables(file: str, tree: etree._Element) -> list[Problem]:
    problems: list[Problem] = []
    try:
        decisions, _ = load_decisions(tree, file, validate=False)
    except Exception:  # the engine's checks report what cannot be read
        return []
    for decision in decisions:
        if not decision["rules"] or not decision["inputs"] or not _analysable(decision):
            continue
        allowed = _allowed_values(tree, decision["id"])
        columns = [_representatives(decision, i, allowed.get(i)) for i in range(len(decision["inputs"]))]
        total = 1
        for c in columns:
            total *= len(c)
        if total > MAX_COMBINATIONS:
            continue
        line = _line(tree, decision["id"])
        labels = [i.get("label") or i.get("id") or f"input {n + 1}" for n, i in enumerate(decision["inputs"])]
        unmatched: list[tuple[Any, ...]] = []
        clash: tuple[Any, ...] | None = None
        clash_rules: list[int] = []
        policy = decision["hit_policy"]
        for combo in itertools.product(*columns):
            matching = [n for n, rule in enumerate(decision["rules"])
                        if all(_cell_matches(cell, v) for cell, v in zip(rule["when"], combo))]
            if not matching:
                unmatched.append(combo)
            elif clash is None and len(matching) > 1 and _clashes(policy, decision, matching):
                clash, clash_rules = combo, matching
        if unmatched:
            example = ", ".join(f"{label} = {_show(v)}" for label, v in zip(labels, unmatched[0]))
            has_default = any(o.get("default") is not None for o in decision["outputs"])
            after = ("the default output entries apply" if has_default
                     else "each output is set to null")
            problems.append(warning(file, decision["id"], f"decision table {decision.get('name') or decision['id']!r} "
                                    f"is incomplete: no rule matches {len(unmatched)} of {total} input combinations, "
                                    f"e.g. {example}; then {after}. Add a rule (or a last rule with '-' cells)",
                                    line))
        if clash is not None:
            example = ", ".join(f"{label} = {_show(v)}" for label, v in zip(labels, clash))
            rows = " and ".join(str(n + 1) for n in clash_rules[:2])
            why = ("only one rule may match" if policy == "UNIQUE"
                   else "rules matching together must give the same outputs")
            problems.append(Problem(file, decision["id"], f"decision table {decision.get('name') or decision['id']!r}: "
                                    f"rules {rows} both match {example}, and under hit policy {policy} {why} "
                                    "(a dossier reaching it would stop with an incident)", line))
    return problems


def _clashes(policy: str, decision: dict[str, Any], matching: Iterable[int]) -> bool:
    if policy == "UNIQUE":
        return True
    if policy == "ANY":
        outputs = {repr(decision["rules"][n]["then"]) for n in matching}
        return len(outputs) > 1
    return False
