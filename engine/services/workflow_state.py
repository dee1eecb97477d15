"""The rows derived from a dossier's workflow: ready tasks and timers (written by dossier_store.save).

Invariant: the ready-task and timer rows of a dossier always match its stored state, because they
are written in the same transaction, after the optimistic version check on the dossier row
(which also takes the dossier's row lock, so writers of one dossier queue behind each other).
That lets us diff against the workflow as it was loaded instead of reading the rows back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.domain import access
from engine.domain.deadline import DeadlineBasis
from engine.domain.forwarding import forwarding_basis
from engine.domain.roles import LaneError, Role, parse_route
from engine.execution.dossier_workflow import DossierWorkflow, ProcessError, ReadyHumanTask, WaitingTimer
from engine.persistence.unit_of_work import UnitOfWork

from . import officials
from .context import EngineContext
from .errors import Conflict


@dataclass(frozen=True)
class Snapshot:
    ready: dict[str, ReadyHumanTask]
    timers: dict[str, WaitingTimer]

    @classmethod
    def of(cls, dw: DossierWorkflow) -> "Snapshot":
        if dw.completed:  # a finished process waits for nothing, whatever SpiffWorkflow left behind
            return EMPTY
        return cls({t.id: t for t in dw.ready_tasks()}, {t.task_id: t for t in dw.waiting_timers()})


EMPTY = Snapshot({}, {})


def _task_row(ctx: EngineContext, dossier: Any, task: ReadyHumanTask, now: datetime) -> dict[str, Any]:
    try:
        route = parse_route(task.lane, task.candidate_groups)
        agency = route.agency_for(dossier.agency_id, task.data)
    except LaneError as err:
        raise ProcessError(str(err), task.element_id) from None
    due_at = basis = None
    deadline = None
    if task.lifecycle == "forwarding":  # N-3: counted from reception, not from the task
        policy = ctx.lifecycle
        deadline = forwarding_basis(dossier.basis.start, dossier.channel, ctx.calendars(),
                                    policy.forward_cutoff_hour, policy.forward_hours)
    elif task.working_hours is not None or task.working_days is not None:
        deadline = DeadlineBasis(now, working_hours=task.working_hours, working_days=task.working_days)
    if deadline is not None:
        try:
            due_at, basis = deadline.due(ctx.calendars()), deadline.to_json()
        except (ValueError, OverflowError) as err:  # e.g. 10**9 working days: past the calendar's years
            amount = (f"{task.working_hours} working hours" if task.working_hours is not None
                      else f"{task.working_days} working days")
            raise ProcessError(f"the step deadline ({amount}) cannot be computed: {err}", task.element_id) from None
    # once the head assigned an official (assignment task), the dossier's `official` tasks of
    # its competent agency go to that official only, whichever step the diagram draws next.
    assigned = getattr(dossier, "assigned_official", None)
    assignee = assigned if assigned and route.role == Role.OFFICIAL.value and agency == dossier.agency_id else None
    return {
        "task_id": task.id,
        "dossier_id": dossier.id,
        "element_id": task.element_id,
        "name": task.name[:255],
        "lane": task.lane,
        "form": task.form,
        "candidate_role": route.role,
        "candidate_agency": agency,
        "created_at": now,
        "due_at": due_at,
        "due_basis": basis,
        "assignee": assignee,
        "version": 1,
    }


def _check_pre_assignments(uow: UnitOfWork, dossier: Any, rows: list[dict[str, Any]], now: datetime) -> None:
    """R-4.1: a task goes to an official who can take it. The official named in an assignment task
    may since have been disabled or lost the role: their new tasks then go to the role's pool (the
    head can assign them) instead of an inbox nobody reads, and the dossier's events say why."""
    for row in rows:
        if row["assignee"] is None:
            continue
        entry = officials.lookup(uow, row["assignee"])
        problem = access.assignee_problem(entry.official if entry else None, bool(entry and entry.active),
                                          row["candidate_role"], row["candidate_agency"])
        if problem is not None:
            uow.dossiers.add_event(dossier.id, now, "assignment_skipped", None,
                                   {"official": row["assignee"], "element_id": row["element_id"],
                                    "problem": problem, "rule": "R-4.1"})
            row["assignee"] = None


def write_rows(
    ctx: EngineContext,
    uow: UnitOfWork,
    dossier: Any,
    dw: DossierWorkflow,
    before: Snapshot,
    after: Snapshot,
    now: datetime,
    actor: str | None,
    acted_on: tuple[str, int] | None = None,
) -> list[dict[str, Any]]:
    """Bring the ready-task and timer rows from `before` to `after`; returns the new task rows.

    Row locks are taken dossier first (dossier_store.save), then ready tasks, in every writer, so two
    writers of one dossier never deadlock. Raises Conflict when `acted_on` (task id, version) is no
    longer at that version."""
    gone = before.ready.keys() - after.ready.keys()
    new_tasks = [_task_row(ctx, dossier, t, now) for tid, t in after.ready.items() if tid not in before.ready]
    _check_pre_assignments(uow, dossier, new_tasks, now)
    inserted = False
    if acted_on is not None:
        task_id, version = acted_on
        if task_id in gone:  # completed: it goes and its successors come in one go
            changed = not uow.tasks.replace_if(task_id, version, new_tasks)
            inserted = True
        else:
            changed = uow.tasks.update_if(task_id, {"version": version}) is None
        if changed:
            raise Conflict(f"task {task_id} was changed by someone else (it is no longer at version {version}); "
                           "reload it")
        gone.discard(task_id)
    uow.tasks.delete(gone)
    if not inserted:
        uow.tasks.insert(new_tasks)

    uow.timers.delete(dossier.id, before.timers.keys() - after.timers.keys())
    uow.timers.insert(
        {"dossier_id": dossier.id, "task_id": t.task_id, "element_id": t.element_id, "due_at": t.due_at,
         "basis": t.basis, "attempts": 0}
        for tid, t in after.timers.items() if tid not in before.timers
    )
    # A cycle timer keeps its task when it fires and moves on to its next instant.
    moved = [t for tid, t in after.timers.items()
             if tid in before.timers and (t.due_at, t.basis) != (before.timers[tid].due_at, before.timers[tid].basis)]
    for t in moved:
        uow.timers.reschedule(dossier.id, t.task_id, t.due_at, t.basis)
    # Only timers that ran: a completion may cancel a timer that was due but not yet swept.
    fired = dw.fired([tid for tid in before.timers if tid not in after.timers] + [t.task_id for t in moved])
    if fired:
        uow.dossiers.add_event(dossier.id, now, "timers_fired", None, {"elements": fired})
    return new_tasks
