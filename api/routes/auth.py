"""/api/auth: local accounts' login, password change (R-8.2), logout; who am I."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from engine.services.accounts import LoginResult

from ..auth import FULL, PASSWORD_ONLY
from ..client_address import client_address
from ..routing import json_response, operation
from ..schemas import LoginSchema, MeSchema, PasswordChangeSchema, TokenSchema
from .common import services

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _token(result: LoginResult, scope: str) -> dict:
    token, expires = current_app.extensions["motcua_tokens"].issue(result.official, services().clock.now(), scope,
                                                                   result.token_generation)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires, "scope": scope,
            "must_change_password": scope == PASSWORD_ONLY}


@operation(bp, "/login", "POST", summary="Log in with a local account", tag="auth", auth=False, body=LoginSchema,
           responses={200: TokenSchema, 400: None, 401: None, 429: None})
def login(body: dict) -> Response:
    """A new account gets a token that only allows changing the password (R-8.2). An unknown
    username and a wrong password get the same answer. Failed logins are limited per username
    (existing or not: it locks for a while, 401 `account-locked`) and per client address (429 with
    `Retry-After`), counted in the database for every API process."""
    g.actor = body["username"]
    client = client_address(request, current_app.extensions["motcua_tokens"].settings)
    result = services().accounts.authenticate(body["username"], body["password"], client)
    return json_response(TokenSchema(), _token(result, PASSWORD_ONLY if result.must_change_password else FULL))


@operation(bp, "/password", "POST", summary="Change the password", tag="auth", body=PasswordChangeSchema,
           password_change_allowed=True, responses={200: TokenSchema, 400: None, 401: None, 404: None, 422: None})
def change_password(body: dict) -> Response:
    """Returns a new full token. Every other token of the account stops working, the one used for
    this call included (a compromised account is changed at once, R-8.2)."""
    p = g.principal
    result = services().accounts.change_password(p.official.username, body["current_password"],
                                                 body["new_password"], p.token_generation)
    return json_response(TokenSchema(), _token(result, FULL))


@operation(bp, "/logout", "POST", summary="Revoke the token used for this call", tag="auth",
           password_change_allowed=True, responses={204: None, 401: None})
def logout() -> Response:
    _revoke_current()
    return Response(status=204)


@operation(bp, "/me", "GET", summary="The caller, as the API sees them", tag="auth", responses={200: MeSchema, 401: None, 403: None})
def me() -> Response:
    p = g.principal
    o = p.official
    return json_response(MeSchema(), {"username": o.username, "display_name": o.display_name, "agency_id": o.agency_id,
                                      "roles": sorted(o.roles), "source": p.source})


def _revoke_current() -> None:
    p = g.principal
    if p.token_id is not None:
        services().accounts.revoke_token(p.token_id, p.expires_at)
