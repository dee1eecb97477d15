"""/api/auth: local accounts' login, password change (R-8.2), logout; who am I."""
from __future__ import annotations

from flask import Response, current_app, g, request

from engine.services.accounts import LoginResult

from ..auth import FULL, PASSWORD_ONLY
from ..client_address import client_address
from ..endpoints import Blueprint
from ..schemas import LoginSchema, MeSchema, PasswordChangeSchema, TokenSchema
from .common import services

bp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Local accounts' tokens (R-8.1, R-8.2)")


def _token(result: LoginResult, scope: str) -> dict:
    token, expires = current_app.extensions["motcua_tokens"].issue(result.official, services().clock.now(), scope,
                                                                   result.token_generation)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires, "scope": scope,
            "must_change_password": scope == PASSWORD_ONLY}


@bp.post("/login")
@bp.access(None)
@bp.arguments(LoginSchema)
@bp.response(200, TokenSchema)
@bp.problems(401, 429)
def login(body: dict) -> dict:
    """Log in with a local account

    A new account gets a token that only allows changing the password (R-8.2). An unknown
    username and a wrong password get the same answer. Failed logins are limited per username
    (existing or not: it locks for a while, 401 `account-locked`) and per client address (429 with
    `Retry-After`), counted in the database for every API process."""
    g.actor = body["username"]
    client = client_address(request, current_app.extensions["motcua_tokens"].settings)
    result = services().accounts.authenticate(body["username"], body["password"], client)
    return _token(result, PASSWORD_ONLY if result.must_change_password else FULL)


@bp.post("/password")
@bp.access(allow_password_change=True)
@bp.arguments(PasswordChangeSchema)
@bp.response(200, TokenSchema)
@bp.problems(404)
def change_password(body: dict) -> dict:
    """Change the password

    Returns a new full token. Every other token of the account stops working, the one used for
    this call included (a compromised account is changed at once, R-8.2)."""
    p = g.principal
    result = services().accounts.change_password(p.official.username, body["current_password"],
                                                 body["new_password"], p.token_generation)
    return _token(result, FULL)


@bp.post("/logout")
@bp.access(allow_password_change=True)
@bp.response(204, description="No content")
def logout() -> Response:
    """Revoke the token used for this call"""
    p = g.principal
    if p.token_id is not None:
        services().accounts.revoke_token(p.token_id, p.expires_at)
    return Response(status=204)


@bp.get("/me")
@bp.response(200, MeSchema)
def me() -> dict:
    """The caller, as the API sees them"""
    p = g.principal
    o = p.official
    return {"username": o.username, "display_name": o.display_name, "agency_id": o.agency_id,
            "roles": sorted(o.roles), "source": p.source}
