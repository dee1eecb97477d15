"""Moving every task an official holds to a colleague at once (R-4.1), e.g. when the official is
deactivated: the agency head's bulk form of `TaskService.assign`, with the same target rule
(exists, active, same agency, holds each task's role) and the same compare-and-set per task, all
in one transaction: either every task moves or none does.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.domain import administration as rules
from engine.domain.access import Official

from .account_admin import facts, rule
from .change_audit import record_change
from .context import EngineContext
from .dossiers import TaskSummary, task_summary
from .errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class SkippedTask:
    task_id: str
    dossier_code: str
    reason: str


@dataclass(frozen=True)
class Reassignment:
    from_username: str
    to_username: str
    moved: list[TaskSummary]
    skipped: list[SkippedTask]  # delegated tasks: they go back to their owner first


class ReassignmentService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def reassign_claimed(self, user: Official, from_username: str, to_username: str,
                         request_id: str = "") -> Reassignment:
        """Give `to_username` every task `from_username` holds in the agencies `user` heads (a system
        administrator: every agency). A task delegated TO `from_username` is skipped (its owner
        takes it back: POST /api/tasks/<id>/resolve is the delegate's, unassign is the head's).

        Raises Forbidden (not the agency head or an administrator), NotFound (no such official, or
        one of another agency for a head), InvalidInput on field `to` naming every problem of the
        target (no such official, deactivated, another agency, lacks a role), Conflict (a task
        changed meanwhile: nothing moved, try again)."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            source = uow.accounts.by_username(from_username)
            rule(rules.check_reassign, user, source.agency_id if source else user.agency_id, what="official")
            if source is None:
                raise NotFound("no such official")
            held = uow.tasks.claimed_by(from_username)
            if not user.has(rules.ADMIN):
                held = [t for t in held if t.candidate_agency == user.agency_id]
            movable = [t for t in held if t.owner is None]
            skipped = [SkippedTask(t.task_id, t.dossier_code,
                                   f"delegated by {t.owner}: it returns to {t.owner} (resolve or unclaim) first")
                       for t in held if t.owner is not None]
            target = uow.accounts.lock(to_username)
            problems = rules.reassignment_target_problems(
                facts(target) if target is not None else None, bool(target is not None and target.active),
                {t.candidate_agency for t in movable} or {source.agency_id},
                {t.candidate_role for t in movable}, from_username)
            if problems:
                raise InvalidInput(f"{to_username!r} cannot take over the tasks of {from_username}",
                                   [("to", p) for p in problems])
            moved = []
            for t in movable:
                row = uow.tasks.update_if(t.task_id, {"assignee": from_username, "owner": None, "version": t.version},
                                          assignee=to_username)
                if row is None:
                    raise Conflict(f"task {t.task_id} of dossier {t.dossier_code} changed meanwhile: nothing was "
                                   "reassigned; try again")
                moved.append(task_summary(row, t.dossier_code, t.procedure_code, now))
            record_change(uow, now, user, "tasks.reassign", f"accounts/{from_username}", request_id,
                          {"to": to_username, "tasks": [t.task_id for t in moved],
                           "skipped": [s.task_id for s in skipped]})
            uow.commit()
        return Reassignment(from_username, to_username, moved, skipped)
