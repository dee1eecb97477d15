"""Who may call an endpoint: the kinds of principal the API knows and how each authenticates.

Every blueprint names the principal kind its endpoints need (api/endpoints.py: `Blueprint(...,
principal=OFFICIAL)`); an endpoint may say otherwise with `@bp.access(...)`. A kind brings its own
authentication and its own OpenAPI security scheme, so a second audience (applicants, issue 10) is
one more `PrincipalKind` and never a change to the officials' routes.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable

from flask import current_app, g, request

from engine.domain.access import Official
from engine.domain.applicant import Applicant
from engine.services.accounts import TokenClaims
from engine.services.errors import Unauthorized

from .auth import FULL, PASSWORD_ONLY, TokenInvalid
from .problems import ApiProblem


@dataclass(frozen=True)
class Access:
    """What one endpoint asks of its caller: `principal` None is anyone (no token)."""

    principal: "PrincipalKind | None"
    allow_password_change: bool = False  # officials: a password-change-only token is enough


@dataclass(frozen=True, eq=False)
class PrincipalKind:
    """One audience of the API. `authenticate(access)` reads the request's credentials, sets
    `g.principal` and `g.actor` (the audit's actor), or raises ApiProblem (401, or 403 when the
    token is valid but may not do this)."""

    name: str
    scheme_name: str  # the OpenAPI security scheme's key, e.g. "bearer"
    authenticate: Callable[[Access], None]
    scheme: dict[str, Any] = field(default_factory=dict)  # its OpenAPI definition

    def __deepcopy__(self, memo: dict[int, Any]) -> "PrincipalKind":
        return self  # one object per kind (flask-smorest deep-copies what decorators record)


def bearer_token() -> str:
    """The token of `Authorization: Bearer <token>`; 401 without one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem("unauthenticated", "send 'Authorization: Bearer <token>'")
    return token.strip()


def authenticate_official(access: Access) -> None:
    """A local or SSO token (api/auth.py), then one read of the directory: revoked, deactivated,
    password changed since; the account's current agency and roles (R-8.1, R-8.2)."""
    token = bearer_token()
    services = current_app.extensions["motcua"]
    try:
        principal = current_app.extensions["motcua_tokens"].verify(token, services.clock.now())
    except TokenInvalid as err:
        if _is_citizen_token(token):
            raise ApiProblem("forbidden", "an applicant's token does not grant officials' actions") from None
        raise ApiProblem("unauthenticated", f"the token is not accepted: {err}") from None
    claims = TokenClaims(principal.official, principal.source, principal.token_id, principal.token_generation,
                         principal.issued_at)
    try:
        principal = replace(principal, official=services.accounts.session(claims, g.get("request_id", "")))
    except Unauthorized as err:
        raise ApiProblem("unauthenticated", f"the token is not accepted: {err.detail}") from None
    if principal.scope == PASSWORD_ONLY and not access.allow_password_change:
        raise ApiProblem("password-change-required",
                         "this account must change its password before doing anything else (POST /api/auth/password)")
    if principal.scope not in (FULL, PASSWORD_ONLY):
        raise ApiProblem("unauthenticated", "the token's scope is not accepted")
    g.principal = principal
    g.actor = principal.official.username


OFFICIAL = PrincipalKind("official", "bearer", authenticate_official,
                         {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})


def authenticate_applicant(access: Access) -> None:
    """An applicant's token (api/citizen_tokens.py): the citizen ID number and name (R-8.1). An
    official's valid token is refused with 403: it never grants an applicant's action."""
    token = bearer_token()
    now = current_app.extensions["motcua"].clock.now()
    try:
        principal = current_app.extensions["motcua_citizen_tokens"].verify(token, now)
    except TokenInvalid as err:
        try:
            current_app.extensions["motcua_tokens"].verify(token, now)
        except TokenInvalid:
            raise ApiProblem("unauthenticated", f"the token is not accepted: {err}") from None
        raise ApiProblem("forbidden", "an official's token does not grant applicants' actions") from None
    g.principal = principal
    g.actor = principal.applicant.username


def _is_citizen_token(token: str) -> bool:
    try:
        current_app.extensions["motcua_citizen_tokens"].verify(token, current_app.extensions["motcua"].clock.now())
    except TokenInvalid:
        return False
    return True


APPLICANT = PrincipalKind("applicant", "citizen", authenticate_applicant,
                          {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "an applicant's token: citizen ID number and name (R-8.1)"})


def current_applicant() -> Applicant:
    """The applicant calling an endpoint of an APPLICANT blueprint."""
    return g.principal.applicant


def current_user() -> Official:
    """The official calling an endpoint of an OFFICIAL blueprint."""
    return g.principal.official
