"""RFC 9457 problem details for every error: stable `type`, human `detail`, the fields at fault."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, json, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from engine.domain.procedure_version import ProcedureRepealed
from engine.services import errors as svc
from engine.validation_errors import flatten_errors

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

# code -> (HTTP status, title). The type URI is urn:motcua:problem:<code> (stable, documented).
PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "Malformed request"),
    "body-not-utf8": (400, "Body is not UTF-8"),
    "body-not-json": (400, "Body is not JSON"),
    "body-not-object": (400, "Body is not a JSON object"),
    "unauthenticated": (401, "Authentication required"),
    "invalid-credentials": (401, "Wrong credentials"),
    "account-locked": (401, "Account locked"),
    "password-change-required": (403, "Password change required"),
    "forbidden": (403, "Not allowed"),
    "not-found": (404, "Not found"),
    "method-not-allowed": (405, "Method not allowed"),
    "not-acceptable": (406, "Not acceptable"),
    "conflict": (409, "Conflict"),
    "procedure-repealed": (409, "Procedure repealed"),
    "too-large": (413, "Payload too large"),
    "unsupported-media-type": (415, "Unsupported media type"),
    "invalid-data": (422, "Invalid data"),
    "too-many-requests": (429, "Too many requests"),
    "process-failure": (422, "The procedure could not continue"),
    "internal-error": (500, "Internal error"),
    "unavailable": (503, "Service unavailable"),
}


class OutOfRange(str):
    """A marshmallow error message for a well-formed value outside what the system can handle (an
    instant in year 1): the request is answered 422 rather than 400 when all its errors are these."""


def _only_out_of_range(messages: Any) -> bool:
    if isinstance(messages, dict):
        return bool(messages) and all(_only_out_of_range(m) for m in messages.values())
    if isinstance(messages, list):
        return bool(messages) and all(_only_out_of_range(m) for m in messages)
    return isinstance(messages, OutOfRange)


class ApiProblem(Exception):
    def __init__(self, code: str, detail: str, errors: list[tuple[str, str]] | None = None, **extra: Any):
        self.code, self.detail, self.errors, self.extra = code, detail, errors or [], extra
        super().__init__(detail)


def validation_problem(messages: Any) -> ApiProblem:
    """A request that fails its marshmallow schema: 400 naming each field and its problem, or 422
    when every fault is a well-formed value out of range (OutOfRange)."""
    if _only_out_of_range(messages):  # well-formed, but a value no rule can work with
        return ApiProblem("invalid-data", "a value is out of range", flatten_errors(messages))
    return ApiProblem("malformed-request", "the request does not match its schema", flatten_errors(messages))


def problem(code: str, detail: str, errors: list[tuple[str, str]] | None = None, **extra: Any) -> Response:
    status, title = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": f"urn:motcua:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request else None,
        "request_id": getattr(g, "request_id", None),
    }
    if errors:
        body["errors"] = [{"field": f, "problem": p} for f, p in errors]
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


_SERVICE_CODES = {
    svc.NotFound: "not-found",
    svc.Conflict: "conflict",
    svc.Forbidden: "forbidden",
    svc.InvalidInput: "invalid-data",
    svc.ProcessFailure: "process-failure",
    svc.TooLarge: "too-large",
    svc.UnsupportedMedia: "unsupported-media-type",
    svc.Unavailable: "unavailable",
}

_HTTP_CODES = {400: "malformed-request", 401: "unauthenticated", 403: "forbidden", 404: "not-found",
               405: "method-not-allowed", 406: "not-acceptable", 409: "conflict", 413: "too-large",
               415: "unsupported-media-type", 422: "invalid-data", 503: "unavailable"}


def register(app: Flask) -> None:
    @app.errorhandler(ApiProblem)
    def _api(err: ApiProblem) -> Response:
        return problem(err.code, err.detail, err.errors, **err.extra)

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError) -> Response:
        invalid = validation_problem(err.messages)
        return problem(invalid.code, invalid.detail, invalid.errors)

    @app.errorhandler(svc.Unauthorized)
    def _unauthorized(err: svc.Unauthorized) -> Response:
        if err.extra.get("reason") == "locked":
            # in the province's zone, as every instant the API answers (LocalDateTime)
            tz = current_app.extensions["motcua"].ctx.calendars().tz
            return problem("account-locked", err.detail, locked_until=err.extra["locked_until"].astimezone(tz).isoformat())
        if err.extra.get("reason") == "session-ended":
            return problem("unauthenticated", err.detail)
        return problem("invalid-credentials", err.detail)

    @app.errorhandler(ProcedureRepealed)
    def _repealed(err: ProcedureRepealed) -> Response:  # no new dossier on a repealed procedure
        return problem("procedure-repealed", str(err), decision_number=err.decision.number,
                       decision_date=err.decision.signed_on.isoformat(), repealed_from=err.effective_from.isoformat(),
                       replaced_by=err.replaced_by)

    @app.errorhandler(svc.TooManyRequests)
    def _too_many(err: svc.TooManyRequests) -> Response:
        response = problem("too-many-requests", err.detail)
        response.headers["Retry-After"] = str(err.retry_after)
        return response

    @app.errorhandler(svc.ServiceError)
    def _service(err: svc.ServiceError) -> Response:
        code = next((c for cls, c in _SERVICE_CODES.items() if isinstance(err, cls)), "malformed-request")
        extra = {k: v for k, v in err.extra.items() if isinstance(v, (str, int, float, bool))
                 or (isinstance(v, list) and all(isinstance(i, str) for i in v))}
        return problem(code, err.detail, getattr(err, "problems", None), **extra)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> Response:
        code = _HTTP_CODES.get(err.code or 500, "internal-error")
        response = problem(code, err.description or PROBLEMS[code][1])
        if err.code == 405 and getattr(err, "valid_methods", None):
            response.headers["Allow"] = ", ".join(err.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return problem("internal-error", "something went wrong on our side; the request id identifies it in the logs")
