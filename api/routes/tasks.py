"""/api/tasks: the officials' inbox and everything done to a task (R-4.1, R-8)."""
from __future__ import annotations

from flask import Blueprint, Response

from ..routing import current_user, json_response, operation
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
from .common import if_match, services

bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")
ACTION_ERRORS = {400: None, 401: None, 403: None, 404: None, 409: None}


@operation(bp, "", "GET", summary="The caller's inbox", tag="tasks", query=TaskListQuerySchema,
           responses={200: TaskPageSchema, 400: None, 401: None, 403: None})
def list_tasks(query: dict) -> Response:
    """Only tasks of the caller's agency and roles, or assigned to or delegated by the caller
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
    page, per_page = query["page"], query["per_page"]
    items, total = services().dossiers.list_tasks(order=query["sort"], limit=per_page, offset=(page - 1) * per_page,
                                                  **filters)
    return json_response(TaskPageSchema(), {"items": items, "total": total, "page": page, "per_page": per_page})


@operation(bp, "/<task_id>", "GET", summary="A task with its form schema, the dossier's data and history", tag="tasks",
           responses={200: TaskDetailSchema, 401: None, 403: None, 404: None})
def get_task(task_id: str) -> Response:
    detail = services().tasks.detail(current_user(), task_id)
    return json_response(TaskDetailSchema(), detail, headers={"ETag": f'"{detail.task.version}"'})


@operation(bp, "/<task_id>/claim", "POST", summary="Claim a task of one's agency and role", tag="tasks",
           responses={200: TaskSchema, **ACTION_ERRORS})
def claim(task_id: str) -> Response:
    return _task(services().tasks.claim(current_user(), task_id, if_match()))


@operation(bp, "/<task_id>/unclaim", "POST", summary="Release a claimed task (assignee or agency head)", tag="tasks",
           responses={200: TaskSchema, **ACTION_ERRORS})
def unclaim(task_id: str) -> Response:
    return _task(services().tasks.unclaim(current_user(), task_id, if_match()))


@operation(bp, "/<task_id>/assign", "POST", summary="The agency head assigns an official (R-4.1)", tag="tasks",
           body=UserRefSchema, responses={200: TaskSchema, **ACTION_ERRORS, 422: None})
def assign(task_id: str, body: dict) -> Response:
    return _task(services().tasks.assign(current_user(), task_id, body["user"], if_match()))


@operation(bp, "/<task_id>/delegate", "POST", summary="The assignee delegates the task to a colleague", tag="tasks",
           body=UserRefSchema, responses={200: TaskSchema, **ACTION_ERRORS, 422: None})
def delegate(task_id: str, body: dict) -> Response:
    return _task(services().tasks.delegate(current_user(), task_id, body["user"], if_match()))


@operation(bp, "/<task_id>/resolve", "POST", summary="The delegate hands the task back to its owner", tag="tasks",
           responses={200: TaskSchema, **ACTION_ERRORS})
def resolve(task_id: str) -> Response:
    return _task(services().tasks.resolve(current_user(), task_id, if_match()))


@operation(bp, "/<task_id>/complete", "POST", summary="Complete a task with its form data", tag="tasks",
           body=CompleteSchema, responses={200: CompletionSchema, **ACTION_ERRORS, 422: None})
def complete(task_id: str, body: dict) -> Response:
    """`data` is validated against the task's JSON Schema; every failing field is named (422).
    Two officials completing at once: one succeeds, the other gets 409."""
    done = services().tasks.complete(current_user(), task_id, body["data"], if_match())
    return json_response(CompletionSchema(), done)


@operation(bp, "/<task_id>/comments", "POST", summary="Comment on a task", tag="tasks", body=CommentInSchema,
           responses={201: CommentSchema, 400: None, 401: None, 403: None, 404: None})
def add_comment(task_id: str, body: dict) -> Response:
    return json_response(CommentSchema(), services().tasks.add_comment(current_user(), task_id, body["body"]), 201)


@operation(bp, "/<task_id>/comments", "GET", summary="Comments on a task", tag="tasks",
           responses={200: CommentListSchema, 401: None, 403: None, 404: None})
def list_comments(task_id: str) -> Response:
    return json_response(CommentListSchema(), {"items": services().tasks.comments(current_user(), task_id)})


def _task(summary: object) -> Response:
    return json_response(TaskSchema(), summary, headers={"ETag": f'"{summary.version}"'})
