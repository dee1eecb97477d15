"""/api/admin: administrators' accounts (R-8, R-8.3), incidents (R-9.1) and notifications to
applicants that could not be sent (R-3.1, N-6).

A system `admin` administers every agency, an `agency_admin` its own (engine/domain/administration.py):
anyone else gets 403; another agency's account or incident is 404 for an agency administrator. Each
change is audited by the service with what changed, under the request's id (R-8.5).
"""
from __future__ import annotations

from flask import g

from engine.services.incidents import parse_age

from ..access import current_user
from ..admin_schemas import (
    AccountCreateSchema,
    AccountListQuerySchema,
    AccountPageSchema,
    AccountSchema,
    AccountWithPasswordSchema,
    IncidentDetailSchema,
    IncidentListQuerySchema,
    IncidentPageSchema,
    IncidentSchema,
    PasswordResetSchema,
    ResolveSchema,
    RetryOutcomeSchema,
    RolesSchema,
    UnlockSchema,
)
from ..endpoints import Blueprint
from ..notification_schemas import (
    NotificationListQuerySchema,
    NotificationPageSchema,
    NotificationSchema,
    NotificationSummarySchema,
)
from ..paging import page, window
from .common import services

bp = Blueprint("admin", __name__, url_prefix="/api/admin",
               description="Administrators: accounts (R-8) and incidents (R-9.1); agency administrators their own agency")


def _request_id() -> str:
    return g.get("request_id", "")


@bp.get("/users")
@bp.arguments(AccountListQuerySchema, location="query")
@bp.response(200, AccountPageSchema)
@bp.problems(403)
def list_users(query: dict) -> dict:
    """Accounts by agency

    Local and SSO accounts; an agency administrator sees its own agency's (asking for another: 403)."""
    accounts = services().account_admin.list(current_user(), query.get("agency"), query.get("role"),
                                             query.get("active"))
    limit, offset = window(query)
    return page(accounts[offset:offset + limit], len(accounts), query)


@bp.post("/users")
@bp.arguments(AccountCreateSchema)
@bp.response(201, AccountWithPasswordSchema)
@bp.problems(403, 409)
def create_user(body: dict) -> dict:
    """Create a local account

    Its first password (given, or random and in the answer) must be changed at first login (R-8.2).
    An agency administrator creates accounts of its own agency with working roles only (403)."""
    account, password = services().account_admin.create(
        current_user(), body["username"], body["agency_id"], body["roles"], body.get("display_name"),
        body.get("password"), _request_id())
    return {"account": account, "password": password}


@bp.get("/users/<username>")
@bp.response(200, AccountSchema)
@bp.problems(404)
def show_user(username: str) -> object:
    """One account: roles, state, lock and the tasks it holds"""
    return services().account_admin.show(current_user(), username)


@bp.post("/users/<username>/disable")
@bp.response(200, AccountSchema)
@bp.problems(404)
def disable_user(username: str) -> object:
    """Deactivate an account: every session ends at once

    The answer lists the tasks it still holds: its agency head moves them with POST /api/reassignments.
    One's own account: 403."""
    return services().account_admin.set_active(current_user(), username, False, _request_id())


@bp.post("/users/<username>/enable")
@bp.response(200, AccountSchema)
@bp.problems(404)
def enable_user(username: str) -> object:
    """Reactivate an account: new logins only (earlier tokens stay refused)"""
    return services().account_admin.set_active(current_user(), username, True, _request_id())


@bp.post("/users/<username>/unlock")
@bp.response(200, UnlockSchema)
@bp.problems(404)
def unlock_user(username: str) -> dict:
    """Forget the failed logins that locked a user name"""
    return {"username": username,
            "failed_logins": services().account_admin.unlock(current_user(), username, _request_id())}


@bp.post("/users/<username>/reset-password")
@bp.arguments(PasswordResetSchema)
@bp.response(200, AccountWithPasswordSchema)
@bp.problems(404, 409)
def reset_password(username: str, body: dict) -> dict:
    """A new first password, changed at the next login (R-8.2); every session ends

    SSO officials have no password here: 409."""
    account, password = services().account_admin.reset_password(current_user(), username, body.get("password"),
                                                                 _request_id())
    return {"account": account, "password": password}


@bp.put("/users/<username>/roles")
@bp.arguments(RolesSchema)
@bp.response(200, AccountSchema)
@bp.problems(404, 409)
def set_roles(username: str, body: dict) -> object:
    """Replace a local account's roles

    Unknown roles: 422 naming `roles`; a role the caller may not grant, or its own administration
    role taken away: 403; an SSO official (roles come from SSO, R-8.1): 409."""
    return services().account_admin.set_roles(current_user(), username, body["roles"], _request_id())


@bp.get("/incidents")
@bp.arguments(IncidentListQuerySchema, location="query")
@bp.response(200, IncidentPageSchema)
@bp.problems(403)
def list_incidents(query: dict) -> dict:
    """Open incidents, oldest first: one per dossier, kind and element

    `older_than`: open for at least that long (45m, 2h, 3d; else 422)."""
    age = parse_age(query["older_than"]) if query.get("older_than") else None
    limit, offset = window(query)
    items, total = services().incidents.list(current_user(), query.get("agency"), query.get("procedure"), age,
                                             limit=limit, offset=offset)
    return page(items, total, query)


@bp.get("/incidents/<id:incident_id>")
@bp.response(200, IncidentDetailSchema)
@bp.problems(404)
def show_incident(incident_id: int) -> object:
    """An incident: its dossier, element, error, every attempt, the dossier's timers and the next retry"""
    return services().incidents.show(current_user(), incident_id)


@bp.post("/incidents/<id:incident_id>/retry")
@bp.response(200, RetryOutcomeSchema)
@bp.problems(404, 409)
def retry_incident(incident_id: int) -> object:
    """Fire a failed timer now, through the sweep's own path

    Task and message incidents are retried by the official acting again: 409."""
    return services().incidents.retry(current_user(), incident_id, _request_id())


@bp.post("/incidents/<id:incident_id>/resolve")
@bp.arguments(ResolveSchema)
@bp.response(200, IncidentSchema)
@bp.problems(404, 409)
def resolve_incident(incident_id: int, body: dict) -> object:
    """Close an incident with a note saying what was done"""
    return services().incidents.resolve(current_user(), incident_id, body["note"], _request_id())


@bp.get("/notifications")
@bp.arguments(NotificationListQuerySchema, location="query")
@bp.response(200, NotificationPageSchema)
@bp.problems(403)
def list_notifications(query: dict) -> dict:
    """Notices to applicants that failed, are undeliverable or wait for a retry, oldest first

    An agency administrator sees its own agency's dossiers' notices (asking for another: 403)."""
    limit, offset = window(query)
    items, total = services().notifications.problems(current_user(), query.get("state"), query.get("agency"),
                                                     limit, offset)
    return page(items, total, query)


@bp.get("/notifications/summary")
@bp.response(200, NotificationSummarySchema)
@bp.problems(403)
def notification_summary() -> object:
    """Notices to applicants by state, the oldest waiting one and the senders in use

    System administrators only (every agency's counts)."""
    return services().notifications.summary(current_user())


@bp.get("/notifications/<id:notice_id>")
@bp.response(200, NotificationSchema)
@bp.problems(404)
def show_notification(notice_id: int) -> object:
    """One notice to an applicant: state, attempts, last error, channels sent"""
    return services().notifications.show(current_user(), notice_id)


@bp.post("/notifications/<id:notice_id>/retry")
@bp.response(200, NotificationSchema)
@bp.problems(404, 409)
def retry_notification(notice_id: int) -> object:
    """Send a failed, undeliverable or retrying notice again at the worker's next run

    Its attempts start again from 0; channels already sent are not sent again. Sent already, or
    waiting for its first attempt: 409."""
    return services().notifications.retry(current_user(), notice_id, _request_id())
