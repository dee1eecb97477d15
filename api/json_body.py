"""The one place request bodies become JSON (issue 7): size, encoding, syntax, depth, numbers.

A `before_request` hook parses every JSON body of a POST/PUT/PATCH/DELETE once, whatever the
endpoint, so the rules hold for any route and survive a change of routing library; views read the
result with `json_object()`. Each refusal is its own problem type:

- over MOTCUA_MAX_JSON_BYTES: 413 too-large (`limit`);
- not UTF-8 (RFC 8259 §8.1): 400 body-not-utf8 (`position`: byte offset);
- not JSON: 400 body-not-json (`line`, `column`, `position`: character offset);
- not an object where one is needed: 400 body-not-object;
- nested beyond MOTCUA_MAX_JSON_DEPTH, NaN/Infinity/1e400, integers beyond 64 bits, NUL or lone
  surrogates: 422 invalid-data naming each field (`limit` for depth).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, g, request
from werkzeug.exceptions import RequestEntityTooLarge

from engine.domain.json_values import TOO_DEEP, parse_int, value_problems

from .problems import ApiProblem

BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_NO_BODY = object()


def register(app: Flask, max_body_bytes: int) -> None:
    app.extensions["motcua_max_json_bytes"] = max_body_bytes

    @app.before_request
    def _parse_json_body() -> None:
        if request.method in BODY_METHODS and request.mimetype and request.is_json:
            g.json_body = _parse(_read(max_body_bytes))


def json_object() -> dict[str, Any]:
    """The request's JSON object body, as parsed by the hook; 415/400 when there is none."""
    value = g.get("json_body", _NO_BODY)
    if value is _NO_BODY and request.mimetype and not request.is_json:
        raise ApiProblem("unsupported-media-type",
                         f"the body is {request.mimetype}: send a JSON object as application/json")
    if not isinstance(value, dict):
        what = "empty" if value is _NO_BODY else f"a JSON {_json_type(value)}"
        raise ApiProblem("body-not-object", f"the body is {what}: send a JSON object (Content-Type: application/json)",
                         [("body", "not a JSON object")])
    return value


def _read(limit: int) -> bytes:
    # The per-request limit refuses a larger Content-Length before reading; a chunked body (no
    # Content-Length) is cut after limit + 1 bytes (werkzeug truncates silently), and so detected.
    request.max_content_length = limit + 1
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raw = None
    if raw is None or len(raw) > limit:
        raise ApiProblem("too-large", f"the JSON body is larger than {limit} bytes (MOTCUA_MAX_JSON_BYTES)",
                         [("body", "too large")], limit=limit)
    return raw


def _parse(raw: bytes) -> Any:
    if not raw.strip():
        return _NO_BODY  # an empty body (some clients send the header anyway): no JSON at all
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ApiProblem("body-not-utf8", f"the body is not UTF-8 (byte {err.start}: {err.reason}); JSON must be "
                         "UTF-8", [("body", "not UTF-8")], position=err.start) from None
    max_depth = current_app.extensions["motcua"].settings.max_json_depth
    try:
        value = json.loads(text, parse_int=parse_int)
    except json.JSONDecodeError as err:
        raise ApiProblem("body-not-json", f"the body is not JSON: {err.msg} at line {err.lineno} column {err.colno}",
                         [("body", err.msg)], line=err.lineno, column=err.colno, position=err.pos) from None
    except RecursionError:  # nested deeper than the parser's own stack allows (about 900 levels)
        raise _too_deep([("body", TOO_DEEP.format(limit=max_depth))], max_depth) from None
    problems = value_problems(value, max_depth)
    if problems:
        if any(p == TOO_DEEP.format(limit=max_depth) for _, p in problems):
            raise _too_deep(problems, max_depth)
        raise ApiProblem("invalid-data", "the body holds values the engine cannot store", problems)
    return value


def _too_deep(problems: list[tuple[str, str]], limit: int) -> ApiProblem:
    return ApiProblem("invalid-data", f"the body is nested deeper than {limit} levels (MOTCUA_MAX_JSON_DEPTH)",
                      problems, limit=limit)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    return "number"
