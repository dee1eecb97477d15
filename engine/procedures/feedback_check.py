"""Check a feedback procedure's diagram at load (procedure.toml `kind = "feedback"`, R-7.2;
docs/bpmn-conventions.md §16): what a feedback case can run, and the shape of its path.

A feedback case is an instance of the diagram driven by the feedback service only
(engine/services/feedback_workflow.py): it has no timer, message or incident rows, no sub-process
and no parallel paths, and the service completes only the three feedback steps. So the diagram may
hold only start, end and intermediate throw events without definitions, exclusive gateways, script
and business rule tasks, user tasks carrying a feedback step, and the process's own metadata
(extensionElements, properties, documentation); and its path must be:
- exactly one `feedback_assignment` and one `feedback_answer` step, at most one `feedback_entry`;
- one path at a time: only an exclusive gateway has more than one outgoing flow or conditions on
  them (two flows out of any other element run in parallel: two ready steps, refused at run time);
- from the start, the assignment is reachable without the entry step (online feedback is entered
  by its sender), and the entry step, when drawn, comes before the assignment (never after it) and
  never again after itself (the service completes it once, at the entry);
- every path reaches the answer only through the assignment, and the end only through the answer;
- after the answer, nothing but automatic elements up to the end: the case is answered when its
  process ends after the answer step;
- the times within the regulation's: statutory_days 1-13 (Đ21.4), the entry step's workingHours
  more than 0 and at most 8 (Đ21.3).
Every problem names the file and the element.
"""
from __future__ import annotations

from collections import deque
from typing import Any, Iterable

from lxml import etree

from engine.domain.feedback import ANSWER_DAYS, ENTRY_HOURS
from engine.domain.lifecycle_steps import FEEDBACK_STEPS, LIFECYCLE_PROPERTY
from engine.execution.checks.human_tasks import HUMAN_TASK_TAGS, HumanTaskMeta
from engine.execution.checks.model import DOCUMENTATION_TAGS, NS, is_bpmn, local
from engine.execution.checks.problems import Problem

from .metadata import METADATA_FILE

ENTRY, ASSIGNMENT, ANSWER = FEEDBACK_STEPS
# What a feedback case can run: everything else needs rows feedback cases do not have.
# A none intermediate throw event is a milestone (it passes at once); a process's extensionElements
# and properties are metadata the modelers write. Event definitions inside any of them stay refused.
RUNNABLE = frozenset({"startEvent", "endEvent", "intermediateThrowEvent", "exclusiveGateway", "scriptTask",
                      "businessRuleTask", "sequenceFlow", "laneSet", "extensionElements", "property",
                      *HUMAN_TASK_TAGS, *DOCUMENTATION_TAGS})
WHY = "feedback cases have no timers, messages, sub-processes or parallel paths (docs/bpmn-conventions.md §16)"


def check_feedback(sources: dict[str, str], tasks: Iterable[HumanTaskMeta], problems: list[Problem],
                   metadata: dict[str, Any] | None = None) -> None:
    """Append a located error for each construct a feedback case cannot run, for a path that is not
    entry? -> assignment -> answer -> end, and for times beyond the regulation's (`metadata`: the
    procedure.toml values). `sources`: file name -> text (the .bpmn files)."""
    tasks = list(tasks)
    _times(metadata or {}, tasks, problems)
    for name, text in sources.items():
        if name.endswith(".bpmn"):
            _constructs(name, text, problems)
    by_step: dict[str, list[HumanTaskMeta]] = {}
    for t in tasks:
        step = (t.properties or {}).get(LIFECYCLE_PROPERTY)
        if step not in FEEDBACK_STEPS:
            problems.append(Problem(t.file, t.task_id, "the feedback service completes only the steps "
                                    f"{', '.join(FEEDBACK_STEPS)}: give this task one of them as its `lifecycle`"))
            continue
        by_step.setdefault(step, []).append(t)
    first = tasks[0].file if tasks else next((n for n in sources if n.endswith(".bpmn")), "")
    for step, most in ((ENTRY, 1), (ASSIGNMENT, 1), (ANSWER, 1)):
        found = by_step.get(step, [])
        if len(found) > most:
            for t in found[most:]:
                problems.append(Problem(t.file, t.task_id, f"a feedback procedure has one {step} step "
                                        f"(also {found[0].task_id})"))
        elif not found and step != ENTRY:
            problems.append(Problem(first, None, f"a feedback procedure needs a user task with lifecycle {step}"))
    assign, answer = by_step.get(ASSIGNMENT), by_step.get(ANSWER)
    if assign and answer and assign[0].file == answer[0].file:
        entry = by_step.get(ENTRY)
        _path(assign[0].file, sources[assign[0].file], assign[0].task_id, answer[0].task_id,
              entry[0].task_id if entry else None, {t.task_id for t in tasks}, problems)


def _times(metadata: dict[str, Any], tasks: list[HumanTaskMeta], problems: list[Problem]) -> None:
    """A version may shorten the regulation's times, never lengthen them nor set none: answered within
    ANSWER_DAYS working days (Đ21.4, statutory_days) and entered within ENTRY_HOURS working hours
    (Đ21.3, the entry step's workingHours: the service reads hours, the default 8 when none)."""
    days = metadata.get("statutory_days")
    if isinstance(days, int) and not 1 <= days <= ANSWER_DAYS:
        problems.append(Problem(METADATA_FILE, "statutory_days", f"Đ21.4: feedback is answered within {ANSWER_DAYS} "
                                f"working days: statutory_days is 1 to {ANSWER_DAYS}, not {days}"))
    for t in tasks:
        if (t.properties or {}).get(LIFECYCLE_PROPERTY) != ENTRY:
            continue
        if t.working_days is not None or t.working_days_field is not None:
            problems.append(Problem(t.file, t.task_id, f"Đ21.3: the entry deadline is in working hours: give "
                                    f"workingHours (at most {ENTRY_HOURS}), not workingDays"))
        if t.working_hours_field is not None or (t.working_hours is not None
                                                 and not 0 < t.working_hours <= ENTRY_HOURS):
            problems.append(Problem(t.file, t.task_id, f"Đ21.3: feedback is entered within {ENTRY_HOURS} working "
                                    f"hours: the entry step's workingHours is more than 0 and at most {ENTRY_HOURS}, "
                                    "a number"))


def _constructs(name: str, text: str, problems: list[Problem]) -> None:
    try:
        tree = etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError:
        return  # the diagram check already reported it
    for process in tree.iterfind("bpmn:process", NS):
        for el in process:
            if not is_bpmn(el):
                continue
            tag = local(el)
            if tag not in RUNNABLE:
                problems.append(Problem(name, el.get("id"), f"a feedback case cannot run a {tag}: {WHY}",
                                        el.sourceline))
                continue
            for inner in el.iter():
                if is_bpmn(inner) and (local(inner).endswith("EventDefinition")
                                       or local(inner).endswith("LoopCharacteristics")):
                    problems.append(Problem(name, el.get("id"), f"a feedback case cannot run a {tag} with a "
                                            f"{local(inner)}: {WHY}", inner.sourceline))


def _path(name: str, text: str, assign: str, answer: str, entry: str | None, human: set[str],
          problems: list[Problem]) -> None:
    try:
        tree = etree.fromstring(text.encode("utf-8"))
    except etree.XMLSyntaxError:
        return
    process = next((p for p in tree.iterfind("bpmn:process", NS) if p.find(f".//*[@id='{assign}']") is not None),
                   None)
    if process is None:
        return
    flows: dict[str, list[str]] = {}
    tags = {el.get("id", ""): local(el) for el in process if is_bpmn(el)}
    for f in process.iterfind("bpmn:sequenceFlow", NS):
        source = f.get("sourceRef", "")
        flows.setdefault(source, []).append(f.get("targetRef", ""))
        if f.find("bpmn:conditionExpression", NS) is not None and tags.get(source) != "exclusiveGateway":
            problems.append(Problem(name, f.get("id"), f"a condition on a flow out of a {tags.get(source, source)} "
                                    f"splits the path: {WHY}; put the condition on an exclusive gateway's flows"))
    for source, targets in flows.items():
        if len(targets) > 1 and tags.get(source) != "exclusiveGateway":
            problems.append(Problem(name, source, f"{len(targets)} flows leave this {tags.get(source, 'element')}: "
                                    f"they run in parallel ({WHY}); branch with an exclusive gateway"))
    starts = [e.get("id", "") for e in process.iterfind("bpmn:startEvent", NS)]
    ends = {e.get("id", "") for e in process.iterfind("bpmn:endEvent", NS)}
    if len(starts) != 1:
        problems.append(Problem(name, process.get("id"), f"a feedback procedure has one start event, not {len(starts)}"))
        return

    def reach(origin: str, avoid: set[str]) -> set[str]:
        seen, todo = set(), deque(flows.get(origin, []))
        while todo:
            node = todo.popleft()
            if node in seen or node in avoid:
                continue
            seen.add(node)
            todo.extend(flows.get(node, []))
        return seen

    start = starts[0]
    if assign not in reach(start, {entry} if entry else set()):
        problems.append(Problem(name, assign, "no path from the start reaches the assignment without the entry "
                                "step: online feedback (entered by its sender) would wait for an entry"))
    if answer in reach(start, {assign}):
        problems.append(Problem(name, answer, "a path reaches the answer without the assignment"))
    if ends & reach(start, {answer}):
        problems.append(Problem(name, sorted(ends & reach(start, {answer}))[0],
                                "a path ends without the answer: every feedback case is answered"))
    if entry and entry in reach(entry, set()):
        problems.append(Problem(name, entry, "a path leads back to the entry step: the service enters a case once, "
                                "so a case sent back there would wait for an entry forever"))
    if entry and entry in reach(assign, set()):
        problems.append(Problem(name, entry, "the entry step comes after the assignment: it comes first"))
    after = reach(answer, set())
    for task in sorted(after & human):
        problems.append(Problem(name, task, "a step after the answer: the case is answered when its process ends "
                                "after the answer step, with nothing but automatic elements between"))
