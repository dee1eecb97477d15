"""/api/auth: local accounts' login, password change (R-8.2), logout; who am I."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, g

from engine.domain.access import Official

from ..auth import FULL, PASSWORD_ONLY
from ..routing import current_user, json_response, operation
from ..schemas import LoginSchema, MeSchema, PasswordChangeSchema, TokenSchema
from .common import services

bp = Blueprint("auth", __name__, url_prefix="/api/auth")


def _token(official: Official, scope: str) -> dict:
    token, expires = current_app.extensions["motcua_tokens"].issue(official, services().clock.now(), scope)
    return {"access_token": token, "token_type": "Bearer", "expires_at": expires, "scope": scope,
            "must_change_password": scope == PASSWORD_ONLY}


@operation(bp, "/login", "POST", summary="Log in with a local account", tag="auth", auth=False, body=LoginSchema,
           responses={200: TokenSchema, 400: None, 401: None})
def login(body: dict) -> Response:
    """A new account gets a token that only allows changing the password (R-8.2). Repeated
    failures lock the account for a while."""
    g.actor = body["username"]
    result = services().accounts.authenticate(body["username"], body["password"])
    scope = PASSWORD_ONLY if result.must_change_password else FULL
    return json_response(TokenSchema(), _token(result.official, scope))


@operation(bp, "/password", "POST", summary="Change the password", tag="auth", body=PasswordChangeSchema,
           password_change_allowed=True, responses={200: TokenSchema, 400: None, 401: None, 404: None, 422: None})
def change_password(body: dict) -> Response:
    """Returns a new full token; the token used for this call is revoked."""
    user = current_user()
    official = services().accounts.change_password(user.username, body["current_password"], body["new_password"])
    _revoke_current()
    return json_response(TokenSchema(), _token(official, FULL))


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
    if p.token_id is None:
        return
    svc = services()
    with svc.ctx.uow() as uow:
        uow.tokens.revoke(p.token_id, p.expires_at, svc.clock.now())
        uow.tokens.purge_expired(svc.clock.now())
        uow.commit()
