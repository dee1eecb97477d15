"""Request ids and the audit trail: every state-changing request is recorded, refused ones too (R-8.5).

The record is written after the request's own transaction, in a transaction of its own, so a
refused request leaves its trace although it changed nothing. An endpoint whose change is one write
transaction may declare `@in_change_transaction(status)`: its record (with that status) is then
written last in that transaction, so a successful change costs one commit, not two (issue 15); when
that transaction rolls back, or the answer is not `status` after all, the record is written after the
request as before. Bodies are never recorded (passwords, personal data); the action is the route,
the target the path.
"""
from __future__ import annotations

import functools
import logging
import re
import uuid
from typing import Any, Callable

from flask import Flask, Response, current_app, g, request

from engine.persistence import companion as companions
from engine.persistence.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"\A[A-Za-z0-9._\-]{1,64}\Z")
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}


def register(app: Flask) -> None:
    @app.before_request
    def _request_id() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.actor = None

    @app.after_request
    def _audit(response: Response) -> Response:
        response.headers["X-Request-Id"] = g.get("request_id", "")
        if request.method in STATE_CHANGING and request.path.startswith("/api/"):
            carried = g.get("audit_in_change")
            if carried is None or not carried.done or carried.outcome != response.status_code:
                record(response)
        return response


def record(response: Response) -> None:
    """The request's record in a transaction of its own, after the request's."""
    problem = None
    if response.status_code >= 400 and response.mimetype == "application/problem+json":
        problem = (response.get_json(silent=True) or {}).get("type")
    try:
        with current_app.extensions["motcua"].ctx.uow() as uow:
            uow.audit.add(**_fields(response.status_code, problem))
            uow.commit()
    except Exception:  # the audit must not turn a done request into an error; it is logged loudly
        log.exception("audit record lost for request %s", g.get("request_id"))


def _fields(outcome: int, problem: str | None = None) -> dict[str, Any]:
    """The fields of the current request's record, answered with `outcome` (and a problem's type)."""
    official = getattr(g.get("principal"), "official", None)  # an official acts for their agency; an applicant for none
    detail = {"method": request.method, **(g.get("audit_detail") or {})}  # a route's marks (R-9.3 back-entry)
    if problem is not None:
        detail["problem"] = problem
    return {
        "at": current_app.extensions["motcua"].clock.now(),
        "actor": g.get("actor"),
        "agency_id": official.agency_id if official is not None else None,
        "action": f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"[:128],
        "target": request.path[:255],
        "request_id": g.get("request_id", ""),
        "outcome": outcome,
        "detail": detail,
    }


class _InChange:
    """The request's audit record, written in the change's own transaction (engine/persistence/companion.py)."""

    def __init__(self, outcome: int):
        self.outcome = outcome
        self.done = False

    def write(self, uow: UnitOfWork) -> None:
        uow.audit.add(**_fields(self.outcome))  # appended last: the chain head is locked only for the commit

    def committed(self) -> None:
        self.done = True


def in_change_transaction(status: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """For an endpoint whose change is the FIRST write transaction it opens, and which answers
    `status` once that transaction committed: the audit record rides in that transaction. Put it
    right above the view (below the Blueprint's decorators): the caller is authenticated by then,
    and `g.audit_detail` must be set before the change is made."""
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def view(*args: Any, **kwargs: Any) -> Any:
            carried = g.audit_in_change = _InChange(status)
            token = companions.offer(carried)
            try:
                return fn(*args, **kwargs)
            finally:
                companions.withdraw(token)
        return view
    return decorate
