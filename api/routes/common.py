"""Bits every blueprint uses: the services, the standard error responses of the OpenAPI document."""
from __future__ import annotations

from flask import current_app, request

from engine.bootstrap import Services

from ..problems import ApiProblem


def services() -> Services:
    return current_app.extensions["motcua"]


def if_match() -> int | None:
    """Optional `If-Match: "<version>"` (the task's ETag): act only if nobody changed it since."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ApiProblem("malformed-request", "If-Match must be the task's ETag, e.g. \"3\"", [("If-Match", "not a version")])
    return int(text)

