"""/api/procedures: the catalogue of procedures in effect (R-1.1), and the review of their versions by
analysts and the control office: drafts, reports, diffs, publication with the decision, repeal
(issue 12; R-1.2 … R-1.4)."""
from __future__ import annotations

from typing import Any

from flask import Response, request

from engine.domain.procedure_version import Decision
from engine.procedures.archive import ArchiveRefused, Bundle, read_files, read_zip
from engine.procedures.validation import ValidationReport

from ..access import current_user
from ..endpoints import Blueprint, unexpected_parts
from ..problems import ApiProblem, problem
from ..review_schemas import (
    DRAFT_UPLOAD_BODY,
    CatalogueSchema,
    DiffQuerySchema,
    DraftOutcomeSchema,
    LateSetupsQuerySchema,
    LateSetupListSchema,
    ProcedureEventListSchema,
    PublishSchema,
    RepealOutSchema,
    RepealSchema,
    ReportSchema,
    ReturnSchema,
    SubmitSchema,
    VersionListSchema,
    VersionSchema,
)
from ..schemas import ProcedureListSchema
from .common import services

bp = Blueprint("procedures", __name__, url_prefix="/api/procedures",
               description="The procedure catalogue (R-1.1) and the review of versions (R-1.2)")


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


# ---------------------------------------------------------------- the review (issue 12)
# Analysts of a procedure's agency upload drafts (multipart files or one zip), read the validation
# report and the diff, submit; the control office returns, publishes with the announcing decision,
# repeals, and watches late setups (R-1.2 … ). Anybody else: 403.


def _bundle() -> Bundle:
    """The uploaded files: parts `files` (each named by its path in the folder) or one `archive`."""
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise ApiProblem("unsupported-media-type", "send the files as multipart/form-data: parts named 'files', "
                                                   "or one part named 'archive' (a zip)")
    extra = unexpected_parts({"files", "archive"})
    if extra:
        raise ApiProblem("invalid-data", "unexpected parts", [(name, "unexpected part") for name in extra])
    archives, files = request.files.getlist("archive"), request.files.getlist("files")
    if bool(archives) == bool(files) or len(archives) > 1:
        raise ApiProblem("invalid-data", "send either parts named 'files' or one part named 'archive'",
                         [("files", "missing or given with an archive")])
    limit = services().settings.max_upload_bytes
    try:
        if archives:
            data = archives[0].read(limit + 1)
            if len(data) > limit:
                raise ApiProblem("too-large", f"the archive is larger than {limit} bytes", limit=limit)
            return read_zip(data)
        return read_files([(f.filename or "", f.read(limit + 1)) for f in files])
    except ArchiveRefused as err:
        raise ApiProblem("too-large" if err.too_large else "invalid-data", err.detail, err.problems) from None


def _refused(report: ValidationReport) -> Response:
    """422 with every located problem, errors first, and the whole report."""
    errors = [(f"{p.file}{':' + str(p.line) if p.line else ''}{' [' + p.element_id + ']' if p.element_id else ''}",
               f"{p.severity}: {p.message}") for p in sorted(report.problems, key=lambda p: not p.is_error)]
    return problem("invalid-data", f"the procedure has {len(report.errors)} error(s): nothing was stored", errors,
                   report=ReportSchema().dump(report.to_dict()))


@bp.post("/<code>/draft")
@bp.doc(**DRAFT_UPLOAD_BODY)
@bp.response(201, DraftOutcomeSchema)
@bp.alt_response(200, schema=DraftOutcomeSchema, description="unchanged: the same files as an existing version")
@bp.problems(409, 413, 415)
def upload_draft(code: str) -> Any:
    """Upload a procedure's files as its draft

    Analysts of the procedure's agency. Replaces the draft until it is submitted (same number);
    the same files as an existing version change nothing (200). Every problem is reported, located
    (file, line, element id, severity); errors refuse the upload (422, nothing stored, the report in
    `report`). A zip is read safely: paths leaving the folder, links, zip bombs and oversized members
    are refused naming the member (R-8.4)."""
    bundle = _bundle()
    outcome = services().drafts.push(current_user(), code, bundle.files, bundle.forms)
    if outcome.outcome == "refused":
        return _refused(outcome.report)
    body = {**outcome.to_dict(), "report": outcome.report.to_dict()}
    if outcome.outcome == "unchanged":
        return body, 200
    return body, 201, {"Location": f"/api/procedures/{outcome.code}/versions/{outcome.version}"}


@bp.post("/validate")
@bp.doc(**DRAFT_UPLOAD_BODY)
@bp.response(200, ReportSchema)
@bp.problems(413, 415)
def validate_files() -> Any:
    """Validate a procedure's files without storing them

    Analysts and the control office: the report of the engine's checks and the legal lint."""
    bundle = _bundle()
    return services().drafts.check(bundle.files, bundle.forms, "", current_user()).to_dict()


@bp.get("/<code>/versions")
@bp.response(200, VersionListSchema)
@bp.problems(404)
def list_versions(code: str) -> dict:
    """Every version of a procedure, drafts included"""
    return {"items": services().drafts.versions(current_user(), code)}


@bp.get("/<code>/versions/<version:number>/report")
@bp.response(200, ReportSchema)
@bp.problems(404)
def version_report(code: str, number: int) -> dict:
    """The validation report of a stored version (checked again now)"""
    return services().drafts.report(current_user(), code, number).to_dict()


@bp.get("/<code>/versions/<version:number>/diff")
@bp.arguments(DiffQuerySchema, location="query")
@bp.response(200, description="the diff as JSON (or text/plain with format=text)")
@bp.problems(404)
def version_diff(code: str, number: int, query: dict) -> Any:
    """What a version changes against the version in effect

    Elements added / removed / changed by id, flows rewired, forms' fields, metadata, decisions,
    and the running dossiers waiting on elements the version removes."""
    diff = services().drafts.diff(current_user(), code, number, query.get("against"))
    if query["format"] == "text":
        return Response(diff.text() + "\n", mimetype="text/plain")
    return diff.to_dict()


@bp.post("/<code>/versions/<version:number>/submit")
@bp.arguments(SubmitSchema)
@bp.response(200, VersionSchema)
@bp.problems(404, 409)
def submit(code: str, number: int, body: dict) -> Any:
    """Submit a draft for the control office's review (analysts of the agency)"""
    decision = None
    if body.get("decision_number") or body.get("decision_date"):
        if not (body.get("decision_number") and body.get("decision_date")):
            raise ApiProblem("invalid-data", "give both the decision's number and date",
                             [("decision_date" if body.get("decision_number") else "decision_number", "required")])
        decision = Decision(body["decision_number"], body["decision_date"])
    return services().drafts.submit(current_user(), code, number, decision)


@bp.post("/<code>/versions/<version:number>/return")
@bp.arguments(ReturnSchema)
@bp.response(200, VersionSchema)
@bp.problems(404, 409)
def return_draft(code: str, number: int, body: dict) -> Any:
    """Return a submitted version to its analysts with remarks (control office)"""
    return services().drafts.return_draft(current_user(), code, number, body["remarks"])


@bp.post("/<code>/versions/<version:number>/publish")
@bp.arguments(PublishSchema)
@bp.response(200, VersionSchema)
@bp.problems(404, 409)
def publish(code: str, number: int, body: dict) -> Any:
    """Publish a submitted version with its announcing decision (control office)

    In effect from `effective_from` (default now); in the past only with a `reason` (recorded):
    dossiers received since then that are registered now get it, running ones keep theirs (R-1.3)."""
    return services().drafts.publish(current_user(), code, number,
                                     Decision(body["decision_number"], body["decision_date"]),
                                     body.get("effective_from"), body.get("reason"))


@bp.post("/<code>/repeal")
@bp.arguments(RepealSchema)
@bp.response(200, RepealOutSchema)
@bp.problems(404, 409)
def repeal(code: str, body: dict) -> Any:
    """Repeal a procedure from an instant (control office)

    From `effective_from` (default now) no new dossier starts on it (409 procedure-repealed naming
    the decision); running dossiers finish (R-1.2)."""
    return services().drafts.repeal(current_user(), code, Decision(body["decision_number"], body["decision_date"]),
                                    body.get("effective_from"), body.get("reason"), body.get("replaced_by"))


@bp.get("/<code>/history")
@bp.response(200, ProcedureEventListSchema)
@bp.problems(404)
def history(code: str) -> dict:
    """Who did what to a procedure, when, with which decision (R-8.5)"""
    return {"items": services().drafts.history(current_user(), code)}


@bp.get("/late")
@bp.arguments(LateSetupsQuerySchema, location="query")
@bp.response(200, LateSetupListSchema)
def late(query: dict) -> dict:
    """Procedures whose setup is late (control office)

    Published more than `days` working days (default 3, R-1.2) after the announcing decision, or
    submitted with a known decision and not yet published past that."""
    return {"items": services().drafts.late_setups(working_days=query.get("days"), user=current_user())}


@bp.get("/catalogue")
@bp.response(200, CatalogueSchema)
def catalogue() -> dict:
    """The catalogue of procedures in effect (R-1.1)

    Code, name, field, competent agency and level, online level, statutory time, fees,
    components and the announcing decision; officials also see the version."""
    return {"items": services().catalogue.entries()}
