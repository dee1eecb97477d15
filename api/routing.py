"""One decorator per endpoint: registers the Flask route, validates the request with marshmallow,
authenticates, and records what the OpenAPI document says about it, so code and docs cannot drift."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable

from flask import Blueprint, Response, current_app, g, jsonify, request
from marshmallow import RAISE, Schema
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

from engine.domain.access import Official
from engine.services.accounts import TokenClaims
from engine.services.errors import Unauthorized
from engine.domain.json_values import value_problems

from .auth import FULL, PASSWORD_ONLY, TokenInvalid
from .json_body import json_object
from .problems import ApiProblem

OPERATIONS: list["Operation"] = []


@dataclass
class Operation:
    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    description: str = ""
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    responses: dict[int, Any] = field(default_factory=dict)
    auth: bool = True
    multipart: bool = False
    password_change_allowed: bool = False

    @property
    def openapi_path(self) -> str:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.rule)

    @property
    def path_params(self) -> list[tuple[str, str]]:
        return [(name, conv or "string") for conv, name in re.findall(r"<(?:(\w+):)?(\w+)>", self.rule)]


class DatabaseId(BaseConverter):
    """A positive 64-bit id: anything else is simply not found (never an overflow deeper down)."""

    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound()
        return number

    def to_url(self, value: int) -> str:
        return str(value)


MAX_ID = 2**63 - 1


def current_user() -> Official:
    return g.principal.official


def authenticate(allow_password_change: bool = False) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem("unauthenticated", "send 'Authorization: Bearer <token>'")
    services = current_app.extensions["motcua"]
    try:
        principal = current_app.extensions["motcua_tokens"].verify(token.strip(), services.clock.now())
    except TokenInvalid as err:
        raise ApiProblem("unauthenticated", f"the token is not accepted: {err}") from None
    claims = TokenClaims(principal.official, principal.source, principal.token_id, principal.token_generation,
                         principal.issued_at)
    try:  # one read: revoked, deactivated, password changed since; the directory's roles
        principal = replace(principal, official=services.accounts.session(claims, g.get("request_id", "")))
    except Unauthorized as err:
        raise ApiProblem("unauthenticated", f"the token is not accepted: {err.detail}") from None
    if principal.scope == PASSWORD_ONLY and not allow_password_change:
        raise ApiProblem("password-change-required",
                         "this account must change its password before doing anything else (POST /api/auth/password)")
    if principal.scope not in (FULL, PASSWORD_ONLY):
        raise ApiProblem("unauthenticated", "the token's scope is not accepted")
    g.principal = principal
    g.actor = principal.official.username


def operation(bp: Blueprint, rule: str, method: str, *, summary: str, tag: str, responses: dict[int, Any],
              body: type[Schema] | None = None, query: type[Schema] | None = None, auth: bool = True,
              multipart: bool = False, description: str = "", password_change_allowed: bool = False,
              ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        op = Operation(rule=f"{bp.url_prefix or ''}{rule}", method=method, endpoint=f"{bp.name}.{fn.__name__}",
                       summary=summary, tag=tag, description=description or (fn.__doc__ or "").strip(),
                       body=body, query=query, responses=responses, auth=auth, multipart=multipart,
                       password_change_allowed=password_change_allowed)
        OPERATIONS.append(op)

        @functools.wraps(fn)
        def view(**kwargs: Any) -> Any:
            _check_text(kwargs, "path")
            if auth:
                authenticate(password_change_allowed)
            if query is not None:
                args = _query_args(query)
                _check_text(args, "query")
                kwargs["query"] = query(unknown=RAISE).load(args)
            if body is not None:  # parsed and checked once, for every route, in json_body
                kwargs["body"] = body(unknown=RAISE).load(json_object())
            result = fn(**kwargs)
            return result

        bp.add_url_rule(rule, fn.__name__, view, methods=[method])
        return view

    return decorate


def _check_text(values: dict[str, Any], where: str) -> None:
    """Path and query text the database could not store (NUL, lone surrogates): no object has such
    an id (404), a query cannot filter on it (422). Bodies are checked in json_body."""
    problems = value_problems(values, max_depth=2)
    if problems:
        if where == "path":
            raise ApiProblem("not-found", "no such object")
        raise ApiProblem("invalid-data", "text must be valid Unicode without NUL characters", problems)


def _query_args(schema: type[Schema]) -> dict[str, Any]:
    """Query string to a dict; repeated keys are a malformed request rather than silently ignored."""
    out: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise ApiProblem("malformed-request", f"query parameter {key!r} given more than once", [(key, "repeated")])
        out[key] = values[0]
    return out


def json_response(schema: Schema, obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = jsonify(schema.dump(obj))
    response.status_code = status
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response
