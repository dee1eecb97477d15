"""Working a task: claim, release, assign (R-4.1), delegate and hand back, complete, comments.

Every change is a compare-and-set on the ready-task row (expected assignee/owner/version; a
completion deletes the row only at the version it read, after the dossier's own compare-and-set),
so of two officials acting on one task at once exactly one succeeds and the other gets Conflict,
whichever API process they hit. Answers are built from what the transaction wrote (UPDATE …
RETURNING), never by reading the row again after the commit: by then it may be gone.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine import logs
from engine.domain import access
from engine.domain.access import Official
from engine.persistence.models import ReadyTask

from .back_entry import BackEntry
from .context import EngineContext
from .dossiers import Completion, DossierService, TaskDetail, TaskSummary, not_ready, task_summary
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .officials import check_assignee


@dataclass(frozen=True)
class CommentView:
    id: int
    task_id: str
    author: str
    body: str
    created_at: datetime


def policy_errors(fn: Callable[..., None], *args: Any) -> None:
    """Run a domain access rule and turn its verdict into a service error."""
    try:
        fn(*args)
    except access.Invisible:
        raise NotFound("no such task") from None
    except access.NotAllowed as err:
        raise Forbidden(str(err)) from None
    except access.WrongState as err:
        raise Conflict(str(err)) from None


class TaskService:
    def __init__(self, ctx: EngineContext, directory: Callable[[str], Official | None],
                 dossiers: DossierService):
        self.ctx = ctx
        self.directory = directory
        self.dossiers = dossiers

    def complete(self, user: Official, task_id: str, data: dict[str, Any], version: int | None = None,
                 happened_at: datetime | None = None, reason: str | None = None) -> Completion:
        """Complete a task as `user` (the access rule of access.check_complete applies), with
        `version` as If-Match. Raises NotFound, Forbidden, Conflict, InvalidInput, ProcessFailure.

        R-9.3: with `happened_at` (the real, past time of a step done on paper during an outage) and
        `reason`, an agency head or one-stop officer of the task's or the dossier's agency enters it
        (access.check_back_entry_task instead of being its candidate); InvalidInput without a reason."""
        try:
            back_entry, refused = BackEntry.of(happened_at, reason), None
        except InvalidInput as err:  # told after the access rule: 403/404 first for a caller without the right
            back_entry, refused = None, err

        def rule(row: Any, dossier: Any) -> None:
            _check_version(user, row, version)
            if happened_at is None:
                policy_errors(access.check_complete, user, row)
            else:
                policy_errors(access.check_back_entry_task, user, row, dossier.agency_id)
            if refused is not None:
                raise refused

        return self.dossiers.complete_task(task_id, data, user.username, check=rule, back_entry=back_entry)

    def claim(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_claim, lambda t: {"assignee": user.username})

    def unclaim(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_unclaim, lambda t: {"assignee": None})

    def assign(self, user: Official, task_id: str, target: str, version: int | None = None) -> TaskSummary:
        """R-4.1: the head of the task's agency gives it to `target`. Forbidden (403) for a caller
        without the right, checked first; then InvalidInput (422, field `user`) when the target is
        not an active official holding the task's role in its agency (officials.check_assignee)."""
        chosen: list[Official] = []

        def rule(uow: Any, u: Official, t: Any) -> None:
            access.check_assign(u, t)
            chosen.append(check_assignee(uow, target, t.candidate_role, t.candidate_agency))

        return self._change(user, task_id, version, rule, lambda t: {"assignee": chosen[0].username}, with_uow=True)

    def delegate(self, user: Official, task_id: str, target: str, version: int | None = None) -> TaskSummary:
        official = self._target(target)
        return self._change(user, task_id, version, lambda u, t: access.check_delegate(u, t, official),
                            lambda t: {"assignee": official.username, "owner": t.owner or user.username})

    def resolve(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_resolve,
                            lambda t: {"assignee": t.owner, "owner": None})

    def detail(self, user: Official, task_id: str) -> TaskDetail:
        """A task with its form schema and data, if `user` may see it (NotFound otherwise)."""

        def rule(row: Any, _dossier: Any) -> None:
            policy_errors(access.check_view, user, row)

        return self.dossiers.get_task(task_id, check=rule)

    def add_comment(self, user: Official, task_id: str, body: str) -> CommentView:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            # Share-locked: the task cannot be completed or reassigned under the comment.
            row = self._visible_row(uow, user, task_id, lock=True)
            cid = uow.comments.add(dossier_id=row.dossier_id, task_id=task_id, author=user.username, body=body,
                                   created_at=now)
            uow.commit()
        return CommentView(cid, task_id, user.username, body, now)

    def comments(self, user: Official, task_id: str) -> list[CommentView]:
        with self.ctx.uow(write=False) as uow:
            self._visible_row(uow, user, task_id)
            return [CommentView(c.id, c.task_id, c.author, c.body, c.created_at) for c in uow.comments.for_task(task_id)]

    def _visible_row(self, uow: Any, user: Official, task_id: str, lock: bool = False) -> ReadyTask:
        row = uow.tasks.get(task_id, lock=lock)
        if row is None:
            not_ready(uow, task_id)
        policy_errors(access.check_view, user, row)
        return row

    def _target(self, username: str) -> Official:
        official = self.directory(username)
        if official is None:
            raise InvalidInput(f"unknown official {username!r}", [("user", "no such official")])
        return official

    def _change(self, user: Official, task_id: str, version: int | None,
                rule: Callable[..., None],
                values: Callable[[ReadyTask], dict[str, Any]], with_uow: bool = False) -> TaskSummary:
        """`rule(user, row)`, or `rule(uow, user, row)` with `with_uow` (a rule that reads the directory)."""
        with self.ctx.uow() as uow:
            row = uow.tasks.for_action(task_id)
            if row is None:
                not_ready(uow, task_id)
            logs.bind(dossier=row.dossier_code, element=row.element_id)
            _check_version(user, row, version)
            if with_uow:
                policy_errors(rule, uow, user, row)
            else:
                policy_errors(rule, user, row)
            expected = {"assignee": row.assignee, "owner": row.owner, "version": row.version}
            updated = uow.tasks.update_if(task_id, expected, **values(row))
            if updated is None:
                raise Conflict(f"task {task_id} was changed by someone else; reload it")
            uow.commit()
        return task_summary(updated, row.dossier_code, row.procedure_code, self.ctx.clock.now())


def _check_version(user: Official, row: Any, version: int | None) -> None:
    """If-Match: a caller who saw another version gets Conflict (reload), before any rule that
    the change it did not see may now fail; invisible tasks stay NotFound."""
    if version is not None and version != row.version:
        policy_errors(access.check_view, user, row)
        raise Conflict(f"task {row.task_id} is at version {row.version}, not {version}: reload it")
