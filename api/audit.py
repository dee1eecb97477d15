"""Request ids and the audit trail: every state-changing request is recorded, refused ones too (R-8.5).

The record is written after the request's own transaction, in a transaction of its own, so a
refused request leaves its trace although it changed nothing. Bodies are never recorded
(passwords, personal data); the action is the route, the target the path.
"""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, Response, current_app, g, request

log = logging.getLogger(__name__)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")
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
            record(response)
        return response


def record(response: Response) -> None:
    services = current_app.extensions["motcua"]
    principal = g.get("principal")
    detail = {"method": request.method, **(g.get("audit_detail") or {})}  # a route's marks (R-9.3 back-entry)
    if response.status_code >= 400 and response.mimetype == "application/problem+json":
        detail["problem"] = (response.get_json(silent=True) or {}).get("type")
    try:
        with services.ctx.uow() as uow:
            uow.audit.add(
                at=services.clock.now(),
                actor=g.get("actor"),
                # officials act for their agency; an applicant (actor citizen:<id>) for none
                agency_id=official.agency_id if (official := getattr(principal, "official", None)) else None,
                action=f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"[:128],
                target=request.path[:255],
                request_id=g.get("request_id", ""),
                outcome=response.status_code,
                detail=detail,
            )
            uow.commit()
    except Exception:  # the audit must not turn a done request into an error; it is logged loudly
        log.exception("audit record lost for request %s", g.get("request_id"))
