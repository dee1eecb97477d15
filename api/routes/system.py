"""Health. (The OpenAPI document and the docs page: api/openapi.py.)"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from engine.persistence.database import current_revision

from ..endpoints import Blueprint
from ..schemas import HealthSchema
from .common import services

bp = Blueprint("system", __name__, url_prefix="/api", description="Health", principal=None)


@bp.get("/health")
@bp.response(200, HealthSchema)
@bp.alt_response(503, schema=HealthSchema, description="Unavailable")
def health() -> dict | tuple[dict, int]:
    """Database and scheduler state"""
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
        return body, 503
    return body
