"""The access log: one structured line per request, and the request's log context.

Before each request the log context is reset and the request id bound, so every line logged
while serving it (the engine's included) carries `request_id`; the services bind the dossier
code and element they work on (engine/logs.py). After the request one `motcua.access` line
says method, route, path, status, duration and user (the dossier too when the request touched
one). Health checks and metric scrapes are logged at DEBUG: a probe every few seconds is noise.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from engine import logs

log = logging.getLogger("motcua.access")
QUIET_PATHS = {"/api/health", "/metrics"}


def register(app: Flask) -> None:
    """Call after audit.register: it sets g.request_id, which this binds."""

    @app.before_request
    def _bind_request() -> None:
        logs.clear()
        logs.bind(request_id=g.get("request_id"))
        g.started = time.perf_counter()

    @app.after_request
    def _access_line(response: Response) -> Response:
        started = g.get("started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
        user = g.get("actor")
        route = request.url_rule.rule if request.url_rule else None
        status = response.status_code
        level = (logging.ERROR if status >= 500 else logging.DEBUG if request.path in QUIET_PATHS
                 else logging.INFO)
        if log.isEnabledFor(level):
            log.log(level, "%s %s %s", request.method, request.path, status,
                    extra={"method": request.method, "route": route, "path": request.path, "status": status,
                           "duration_ms": duration_ms, "user": user})
        return response
