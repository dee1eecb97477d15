"""/api/dossiers: registration at the one-stop desk, status and timeline, attachments."""
from __future__ import annotations


from flask import Response, g


from .. import audit
from ..access import current_user
from ..endpoints import FILE_RESPONSE, OFFICIAL_UPLOAD_BODY, Blueprint, file_download
from ..problems import ApiProblem
from ..report_schemas import DossierPathSchema
from ..schemas import (
    AttachmentListSchema,
    AttachmentMarkSchema,
    AttachmentSchema,
    DeliverySchema,
    DossierSchema,
    MessageInSchema,
    StartDossierSchema,
)
from ..uploads import one_file
from .common import services

bp = Blueprint("dossiers", __name__, url_prefix="/api/dossiers",
               description="Dossiers: registration, status and timeline, messages, attachments")


@bp.post("")
@bp.arguments(StartDossierSchema)
@bp.response(201, DossierSchema)
@bp.problems(404)
@audit.in_change_transaction(201)
def register(body: dict) -> tuple:
    """Register a dossier at the one-stop desk

    Channel desk or postal (R-2.1). The dossier starts on the procedure version in effect at
    its receipt time (R-1.3); the clock starts at the next working hour (R-3.4); it gets its
    dossier code (N-1) and appointment date (due_at). A past `received_at` is a back-dated entry
    (R-9.3): 422 without `reason`, 403 unless an agency head or one-stop officer of the procedure's
    agency; the dossier's events mark it back-entered."""
    if body.get("reason") and body.get("received_at") is not None:  # a back-dated entry, if accepted
        g.audit_detail = {"back_entered": True, "happened_at": body["received_at"].isoformat(),
                          "reason": body.get("reason")}
    view = services().dossiers.register(current_user(), body["procedure_code"], applicant=body["applicant"],
                                        data=body["data"], channel=body["channel"], received_at=body.get("received_at"),
                                        start_message=body.get("start_message"), back_entry_reason=body.get("reason"))
    return view, {"Location": f"/api/dossiers/{view.id}"}


@bp.get("/<id:dossier_id>")
@bp.response(200, DossierSchema)
@bp.problems(404)
def get_dossier(dossier_id: int) -> object:
    """A dossier's status, current tasks and timeline

    The timeline lists every step: who, received, due, done, early / on time / late (N-2, N-7)."""
    return services().dossiers.get_for(current_user(), dossier_id)


@bp.post("/<id:dossier_id>/messages/<message>")
@bp.arguments(MessageInSchema)
@bp.response(200, DeliverySchema)
@bp.problems(404, 409)
@bp.if_match
def deliver_message(dossier_id: int, message: str, body: dict, expected_version: int | None) -> tuple:
    """Deliver a message the dossier waits for

    `message` is the message's name in the diagram (URL-encoded, e.g. `fee%20paid`): it reaches the
    receive task, message catch event, message boundary event or event sub-process waiting for it,
    and the dossier runs on. Who: officials with a working role (one-stop desk, official, agency head,
    approver) of the competent agency or of an agency holding one of the dossier's tasks; oversight
    roles get 403, officials who cannot see the dossier 404. 409 when the dossier is not waiting for
    this message (`waiting_for` lists what it waits for), is finished, or is not at the version in
    `If-Match`; 422 when the payload fails the message's form or the limits."""
    done = services().messages.deliver(current_user(), dossier_id, message, body["payload"], expected_version)
    return done, {"ETag": f'"{done.version}"'}


@bp.post("/<id:dossier_id>/attachments")
@bp.doc(**OFFICIAL_UPLOAD_BODY)
@bp.response(201, AttachmentSchema)
@bp.problems(403, 404, 413, 415)
def upload(dossier_id: int) -> tuple:
    """Attach a file to a dossier

    multipart/form-data with one part named `file` and, optionally, a field `is_result` (`true` or
    `false`, default false): `true` marks the file as the dossier's result, the only kind of
    officials' file the applicant may download once it is returned online (R-6.1); only officials of
    the competent agency with a working role mark it (403 otherwise). The type is checked against
    the file's real content, not only its declared type or name (R-8.4)."""
    upload, fields = one_file(frozenset({"is_result"}))
    flags = fields.get("is_result", [])
    if len(flags) > 1 or (flags and flags[0].strip().lower() not in ("true", "false")):
        raise ApiProblem("invalid-data", "is_result is true or false, given once",
                         [("is_result", "true or false, given once")])
    is_result = bool(flags) and flags[0].strip().lower() == "true"
    if is_result:
        g.audit_detail = {"is_result": True}  # who marked (or tried to mark) a result: the audit trail
    content = upload.read(services().settings.max_upload_bytes + 1)
    view = services().attachments.upload(current_user(), dossier_id, upload.filename or "", upload.mimetype, content,
                                         is_result=is_result)
    return view, {"Location": f"/api/dossiers/{dossier_id}/attachments/{view.id}"}


@bp.get("/<id:dossier_id>/attachments")
@bp.response(200, AttachmentListSchema)
@bp.problems(404)
def list_attachments(dossier_id: int) -> dict:
    """A dossier's attachments"""
    return {"items": services().attachments.list(current_user(), dossier_id)}


@bp.get("/<id:dossier_id>/attachments/<id:attachment_id>")
@bp.doc(responses={"200": FILE_RESPONSE})
@bp.problems(404)
def download(dossier_id: int, attachment_id: int) -> Response:
    """Download an attachment"""
    return file_download(*services().attachments.download(current_user(), dossier_id, attachment_id))


@bp.patch("/<id:dossier_id>/attachments/<id:attachment_id>")
@bp.arguments(AttachmentMarkSchema)
@bp.response(200, AttachmentSchema)
@bp.problems(403, 404)
def mark_attachment(body: dict, dossier_id: int, attachment_id: int) -> object:
    """Mark a file as the dossier's result, or take the mark back

    `{"is_result": true|false}` (R-6.1): only the marked files reach the applicant after an online
    return, so a working document marked by mistake is unmarked here, and a result attached without
    the mark is marked without attaching it again. Officials with a working role in the competent
    agency (403 otherwise); the audit record carries the new mark."""
    g.audit_detail = {"is_result": body["is_result"]}  # who changed a mark, and to what
    return services().attachments.set_result(current_user(), dossier_id, attachment_id, body["is_result"])


@bp.get("/<id:dossier_id>/path")
@bp.response(200, DossierPathSchema)
@bp.problems(404)
def dossier_path(dossier_id: int) -> object:
    """A dossier's path: its diagram with the steps done, current and late

    The BPMN diagram of the version the dossier runs on, the element ids of its completed, current
    and late steps, and the process control sheet (N-2); the web page /ui/dossiers/{id} draws it.
    Same visibility as GET /api/dossiers/{id}."""
    return services().dossier_paths.path(current_user(), dossier_id)
