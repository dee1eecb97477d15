"""/api/dossiers/{id}/records/{kind}: a dossier's slips and records (N-2) as printable HTML or JSON."""
from __future__ import annotations

import json

from flask import Response, request
from marshmallow import Schema, fields, validate

from engine.slips import render_html

from ..access import current_user
from ..endpoints import Blueprint
from .common import services

bp = Blueprint("records", __name__, url_prefix="/api/dossiers",
               description="Slips and records of a dossier (N-2): receipt and appointment slip, supplement request, "
                           "refusal, apology and new appointment, notice of stopping, process control sheet")

RECORD_RESPONSE = {"description": "the record, as JSON (times ISO 8601 with the province's offset) or as an A5 "
                                  "HTML page (UTF-8, times dd/mm/yyyy HH:MM in the province's zone)",
                   "content": {"application/json": {"schema": {"type": "object"}},
                               "text/html": {"schema": {"type": "string"}}}}
# The page shows only text and its own style: even if an injection got through, nothing would run.
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"


class RecordQuerySchema(Schema):
    format = fields.String(validate=validate.OneOf(["html", "json"]),
                           metadata={"description": "html or json; without it, the Accept header decides (JSON "
                                                    "unless text/html is preferred)"})
    requested = fields.Boolean(load_default=False,
                               metadata={"description": "receipt: the applicant asked for the slip of a result "
                                                        "returned on the spot (R-3.5)"})
    number = fields.Integer(validate=validate.Range(min=1, max=10000),
                            metadata={"description": "supplement: which request (1 = the first); default the latest"})


@bp.get("/<id:dossier_id>/records/<kind>")
@bp.arguments(RecordQuerySchema, location="query")
@bp.doc(responses={"200": RECORD_RESPONSE})
@bp.problems(404)
def get_record(dossier_id: int, kind: str, query: dict) -> Response:
    """A slip or record of a dossier, printable (A5 HTML) or as JSON

    `kind`: `receipt` (receipt and appointment slip, R-3.5), `supplement` (supplement request listing
    everything missing, R-3.2, R-4.6), `refusal` (at reception, or the written refusal after
    appraisal), `apology` (apology and new appointment, N-6), `stop` (notice of stopping), `control`
    (process control sheet: each step, who, received, due, done, early / on time / late, N-7). Each
    bears the dossier code. Who: whoever may see the dossier (404 otherwise, as for the dossier). 404
    naming why when the record does not apply to the dossier (never re-appointed, never received, a
    result on the spot not asked for…)."""
    svc = services()
    record = svc.records.get_for(current_user(), dossier_id, kind, requested=query["requested"],
                                 number=query.get("number"))
    tz = svc.ctx.calendars().tz
    wanted = query.get("format") or (
        "html" if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html" else "json")
    if wanted == "html":
        response = Response(render_html(record, tz), mimetype="text/html")
        response.headers["Content-Security-Policy"] = PAGE_POLICY
    else:
        response = Response(json.dumps(record.to_json(tz), ensure_ascii=False), mimetype="application/json")
    response.headers["Vary"] = "Accept"
    response.headers["Cache-Control"] = "no-store"  # personal data of the applicant
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
