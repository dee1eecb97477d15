"""Health, the OpenAPI document and the interactive docs page."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory
from sqlalchemy import text
import swagger_ui_bundle

from engine.persistence.database import current_revision

from ..openapi import build_spec
from ..routing import json_response, operation
from ..schemas import HealthSchema
from .common import services

bp = Blueprint("system", __name__, url_prefix="/api")
SWAGGER = Path(swagger_ui_bundle.swagger_ui_path)

DOCS_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Motcua API</title>
<link rel="stylesheet" href="/api/docs/static/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/api/docs/static/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/api/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>"""


@operation(bp, "/health", "GET", summary="Database and scheduler state", tag="system", auth=False,
           responses={200: HealthSchema, 503: HealthSchema})
def health() -> Response:
    svc = services()
    scheduler = current_app.extensions.get("motcua_scheduler")
    body = {"status": "ok", "database": "ok", "schema_revision": None,
            "scheduler": {"running_here": bool(scheduler and scheduler.running), "last_sweep_at": None,
                          "last_sweep_by": None}}
    try:
        with svc.ctx.uow(write=False) as uow:
            uow.session.execute(text("SELECT 1"))
            beat = uow.scheduler.latest()
        body["schema_revision"] = current_revision(svc.db)
        if beat is not None:
            body["scheduler"].update(last_sweep_at=beat.last_run_at, last_sweep_by=beat.name)
    except Exception as err:  # reported, not raised: this is what health checks are for
        body.update(status="degraded", database=f"error: {type(err).__name__}")
        return json_response(HealthSchema(), body, 503)
    return json_response(HealthSchema(), body)


@bp.get("/openapi.json")
def openapi() -> Response:
    spec = current_app.extensions.get("motcua_openapi")
    if spec is None:
        spec = current_app.extensions["motcua_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/docs")
def docs() -> Response:
    return Response(DOCS_PAGE, mimetype="text/html")


@bp.get("/docs/static/<path:name>")
def docs_static(name: str) -> Response:
    return send_from_directory(SWAGGER, name)
