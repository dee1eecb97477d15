"""Bits every blueprint uses: the services, the standard error responses of the OpenAPI document."""
from __future__ import annotations

from flask import current_app, request

from engine.bootstrap import Services

from ..problems import ApiProblem

MAX_VERSION = 2**31 - 1  # versions are INTEGER columns


def services() -> Services:
    return current_app.extensions["motcua"]


def if_match() -> int | None:
    """Optional `If-Match: "<version>"` (the task's ETag): act only if nobody changed it since."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not (text.isascii() and text.isdigit()):
        raise ApiProblem("malformed-request", "If-Match must be the task's ETag, e.g. \"3\"", [("If-Match", "not a version")])
    # Checked on the text: int() of thousands of digits raises (a 500 before issue 7).
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_VERSION)) or not 1 <= int(digits) <= MAX_VERSION:
        raise ApiProblem("invalid-data", f"If-Match is out of range: versions run from 1 to {MAX_VERSION}",
                         [("If-Match", f"out of range (1 to {MAX_VERSION})")], limit=MAX_VERSION)
    return int(digits)

