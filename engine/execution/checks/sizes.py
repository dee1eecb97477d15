"""Names the engine stores in fixed-width columns must fit them (issue 12: a draft is refused at
check, never a database error at run time). PostgreSQL refuses a longer value where SQLite keeps
it, so without this check a procedure that validated and published answered 500 on PostgreSQL when
its first dossier reached the long element (engine/persistence/models.py: element ids, process ids,
lane and form names are VARCHAR(255))."""
from __future__ import annotations

from lxml import etree

from .human_tasks import HumanTaskMeta
from .model import BPMN_NS, NS
from .problems import Problem

NAME_MAX = 255  # ready_tasks.element_id / lane / form, timers.element_id, procedure_versions.process_id


def check_sizes(tree: etree._Element, file: str, problems: list[Problem]) -> None:
    """Every BPMN element id and lane name of one file within NAME_MAX characters."""
    for el in tree.iter():
        if not isinstance(el.tag, str) or not el.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        ident = el.get("id")
        if ident is not None and len(ident) > NAME_MAX:
            problems.append(Problem(file, ident[:40] + "…", f"this id is {len(ident)} characters long, at most "
                                    f"{NAME_MAX}: shorten it", el.sourceline))
    for lane in tree.iterfind(".//bpmn:lane", NS):
        name = (lane.get("name") or "").strip()
        if len(name) > NAME_MAX:
            problems.append(Problem(file, lane.get("id"), f"this lane's name is {len(name)} characters long, at most "
                                    f"{NAME_MAX}: shorten it", lane.sourceline))


def check_form_names(tasks: list[HumanTaskMeta], problems: list[Problem]) -> None:
    """Each human task's form name within NAME_MAX characters (stored on every ready task)."""
    for task in tasks:
        if task.form and len(task.form) > NAME_MAX:
            problems.append(Problem(task.file, task.task_id, f"the form's name is {len(task.form)} characters "
                                    f"long, at most {NAME_MAX}: shorten it"))
