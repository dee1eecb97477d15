"""/api/procedures: the published procedures in effect (R-1.1)."""
from __future__ import annotations

from ..endpoints import Blueprint
from ..schemas import ProcedureListSchema
from .common import services

bp = Blueprint("procedures", __name__, url_prefix="/api/procedures", description="The procedure catalogue (R-1.1)")


@bp.get("")
@bp.response(200, ProcedureListSchema)
def list_procedures() -> dict:
    """Published procedures in effect now"""
    items = []
    for v in services().procedures.in_effect():
        m = v.metadata
        items.append({
            "code": v.code, "version": v.number, "name": m["name"], "field": m["field"], "agency_id": m["agency_id"],
            "level": m["level"], "statutory_days": m["statutory_days"], "online_level": m["online_level"],
            "effective_from": v.effective_from, "fees": m.get("fees", []), "components": m.get("components", []),
        })
    return {"items": items}
