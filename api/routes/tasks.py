"""/api/tasks: the officials' inbox and everything done to a task (R-4.1, R-8)."""
from __future__ import annotations

import functools
from typing import Any, Callable

from flask import g

from .. import audit
from ..access import current_user
from ..endpoints import Blueprint
from ..paging import page, window
from ..schemas import (
    CommentInSchema,
    CommentListSchema,
    CommentSchema,
    CompleteSchema,
    CompletionSchema,
    TaskDetailSchema,
    TaskListQuerySchema,
    TaskPageSchema,
    TaskSchema,
    UserRefSchema,
)
from .common import services

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks", description="The officials' inbox and task actions (R-4.1)")



def task_action(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An action on a task: answers the task with its version as ETag; If-Match optional; 404, 409."""
    @functools.wraps(fn)
    def with_etag(*args: Any, **kwargs: Any) -> tuple:
        summary = fn(*args, **kwargs)
        return summary, {"ETag": f'"{summary.version}"'}

    # One compare-and-set transaction: the audit record rides in it (api/audit.py).
    return bp.response(200, TaskSchema)(bp.problems(404, 409)(bp.if_match(audit.in_change_transaction(200)(with_etag))))


@bp.get("")
@bp.arguments(TaskListQuerySchema, location="query")
@bp.response(200, TaskPageSchema)
def list_tasks(query: dict) -> dict:
    """The caller's inbox

    Only tasks of the caller's agency and roles, or assigned to or delegated by the caller
    (oversight roles see all). Filters combine."""
    user = current_user()
    filters: dict = {}
    if not user.oversees:
        filters["visible_to"] = (user.username, user.visible_roles_by_agency())
    if query.get("candidate") == "me":
        filters["candidate_of"] = user.roles_by_agency()
    if query.get("assignee") == "me":
        filters["assignee"] = user.username
    if query.get("unassigned"):
        filters["unassigned"] = True
    if query.get("procedure"):
        filters["procedure"] = query["procedure"]
    if query.get("dossier"):
        filters["dossier_code"] = query["dossier"]
    if query.get("due_before"):
        filters["due_before"] = query["due_before"]
    if query.get("overdue"):
        filters["overdue"] = True
    limit, offset = window(query)
    items, total = services().dossiers.list_tasks(order=query["sort"], limit=limit, offset=offset, **filters)
    return page(items, total, query)


@bp.get("/<task_id>")
@bp.response(200, TaskDetailSchema)
@bp.problems(404)
def get_task(task_id: str) -> tuple:
    """A task with its form schema, the dossier's data and history"""
    detail = services().tasks.detail(current_user(), task_id)
    return detail, {"ETag": f'"{detail.task.version}"'}


@bp.post("/<task_id>/claim")
@task_action
def claim(task_id: str, expected_version: int | None) -> object:
    """Claim a task of one's agency and role"""
    return services().tasks.claim(current_user(), task_id, expected_version)


@bp.post("/<task_id>/unclaim")
@task_action
def unclaim(task_id: str, expected_version: int | None) -> object:
    """Release a claimed task (assignee or agency head)"""
    return services().tasks.unclaim(current_user(), task_id, expected_version)


@bp.post("/<task_id>/assign")
@bp.arguments(UserRefSchema)
@task_action
def assign(task_id: str, body: dict, expected_version: int | None) -> object:
    """The agency head assigns an official (R-4.1)"""
    return services().tasks.assign(current_user(), task_id, body["user"], expected_version)


@bp.post("/<task_id>/delegate")
@bp.arguments(UserRefSchema)
@task_action
def delegate(task_id: str, body: dict, expected_version: int | None) -> object:
    """The assignee delegates the task to a colleague"""
    return services().tasks.delegate(current_user(), task_id, body["user"], expected_version)


@bp.post("/<task_id>/resolve")
@task_action
def resolve(task_id: str, expected_version: int | None) -> object:
    """The delegate hands the task back to its owner"""
    return services().tasks.resolve(current_user(), task_id, expected_version)


@bp.post("/<task_id>/complete")
@bp.arguments(CompleteSchema)
@bp.response(200, CompletionSchema)
@bp.problems(404, 409)
@bp.if_match
@audit.in_change_transaction(200)
def complete(task_id: str, body: dict, expected_version: int | None) -> object:
    """Complete a task with its form data

    `data` is validated against the task's JSON Schema; every failing field is named (422).
    Two officials completing at once: one succeeds, the other gets 409. R-9.3: `happened_at` (past)
    with `reason` enters a step done on paper during an outage at its real time (agency head or
    one-stop officer of the task's or the dossier's agency), marked back-entered on the timeline.
    A task with `lifecycle=assignment` checks its form's `official` (422: no such official,
    inactive, does not hold role official, belongs to agency X)."""
    if body.get("happened_at") is not None:  # a back-dated entry: marked in the audit record too
        g.audit_detail = {"back_entered": True, "happened_at": body["happened_at"].isoformat(),
                          "reason": body.get("reason")}
    return services().tasks.complete(current_user(), task_id, body["data"], expected_version,
                                     happened_at=body.get("happened_at"), reason=body.get("reason"))


@bp.post("/<task_id>/comments")
@bp.arguments(CommentInSchema)
@bp.response(201, CommentSchema)
@bp.problems(404)
def add_comment(task_id: str, body: dict) -> object:
    """Comment on a task"""
    return services().tasks.add_comment(current_user(), task_id, body["body"])


@bp.get("/<task_id>/comments")
@bp.response(200, CommentListSchema)
@bp.problems(404)
def list_comments(task_id: str) -> dict:
    """Comments on a task"""
    return {"items": services().tasks.comments(current_user(), task_id)}
