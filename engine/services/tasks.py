"""Working a task: claim, release, assign (R-4.1), delegate and hand back, comments.

Every change is a compare-and-set on the ready-task row (expected assignee/owner/version), so two
officials acting at once never both succeed and no update is lost, whichever API process they hit.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.domain import access
from engine.domain.access import Official
from engine.persistence.models import ReadyTask

from .context import EngineContext
from .dossiers import TaskSummary, task_summary
from .errors import Conflict, Forbidden, InvalidInput, NotFound


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
    def __init__(self, ctx: EngineContext, directory: Callable[[str], Official | None]):
        self.ctx = ctx
        self.directory = directory

    def claim(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_claim, lambda t: {"assignee": user.username})

    def unclaim(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_unclaim, lambda t: {"assignee": None})

    def assign(self, user: Official, task_id: str, target: str, version: int | None = None) -> TaskSummary:
        official = self._target(target)
        return self._change(user, task_id, version, lambda u, t: access.check_assign(u, t, official),
                            lambda t: {"assignee": official.username})

    def delegate(self, user: Official, task_id: str, target: str, version: int | None = None) -> TaskSummary:
        official = self._target(target)
        return self._change(user, task_id, version, lambda u, t: access.check_delegate(u, t, official),
                            lambda t: {"assignee": official.username, "owner": t.owner or user.username})

    def resolve(self, user: Official, task_id: str, version: int | None = None) -> TaskSummary:
        return self._change(user, task_id, version, access.check_resolve,
                            lambda t: {"assignee": t.owner, "owner": None})

    def add_comment(self, user: Official, task_id: str, body: str) -> CommentView:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = self._visible_row(uow, user, task_id)
            cid = uow.comments.add(dossier_id=row.dossier_id, task_id=task_id, author=user.username, body=body,
                                   created_at=now)
            uow.commit()
        return CommentView(cid, task_id, user.username, body, now)

    def comments(self, user: Official, task_id: str) -> list[CommentView]:
        with self.ctx.uow(write=False) as uow:
            self._visible_row(uow, user, task_id)
            return [CommentView(c.id, c.task_id, c.author, c.body, c.created_at) for c in uow.comments.for_task(task_id)]

    def _visible_row(self, uow: Any, user: Official, task_id: str) -> ReadyTask:
        row = uow.tasks.get(task_id)
        if row is None:
            raise NotFound(f"task {task_id} is not waiting for anyone")
        policy_errors(access.check_view, user, row)
        return row

    def _target(self, username: str) -> Official:
        official = self.directory(username)
        if official is None:
            raise InvalidInput(f"unknown official {username!r}", [("user", "no such official")])
        return official

    def _change(self, user: Official, task_id: str, version: int | None,
                rule: Callable[[Official, ReadyTask], None],
                values: Callable[[ReadyTask], dict[str, Any]]) -> TaskSummary:
        with self.ctx.uow() as uow:
            row = uow.tasks.get(task_id)
            if row is None:
                raise NotFound(f"task {task_id} is not waiting for anyone")
            policy_errors(rule, user, row)
            if version is not None and version != row.version:
                raise Conflict(f"task {task_id} is at version {row.version}, not {version}: reload it")
            expected = {"assignee": row.assignee, "owner": row.owner, "version": row.version}
            if not uow.tasks.update_if(task_id, expected, **values(row)):
                raise Conflict(f"task {task_id} was changed by someone else; reload it")
            uow.commit()
            dossier = uow.dossiers.get(row.dossier_id)
            updated = uow.tasks.get(task_id)
            uow.session.refresh(updated)
            return task_summary(updated, dossier.code, dossier.procedure_code, self.ctx.clock.now())
