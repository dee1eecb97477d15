"""/api/public: the applicants' side (issue 10): submit online, track, and the public lookup.

Applicants authenticate with their citizen token (api/citizen_tokens.py, R-8.1); the lookup by
code is open to anyone and rate-limited per client address. The rules are the services'
(engine/services/applicants.py): a dossier that is not the caller's is 404.
"""
from __future__ import annotations


from flask import Response, current_app, request

from ..access import APPLICANT, current_applicant
from ..client_address import client_address
from ..endpoints import FILE_RESPONSE, UPLOAD_BODY, Blueprint, file_download
from ..schemas import AttachmentListSchema, AttachmentSchema
from ..paging import page, window
from ..uploads import one_file
from ..public_schemas import (
    ApplicantDossierPageSchema,
    ApplicantDossierSchema,
    MyDossiersQuerySchema,
    PublicCatalogueSchema,
    DataStoreSchema,
    StoredFormSchema,
    PublicStatusSchema,
    RatingInSchema,
    RatingSchema,
    OnlineSubmissionSchema,
    WithdrawalSchema,
)
from .common import services

# A double click or a retry after a lost answer must not file a second dossier (found breaking issue 10).
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "schema": {"type": "string", "pattern": r"^[A-Za-z0-9._:\-]{1,64}$"},
    "description": "any 1-64 letters, digits, '.', '_', ':' or '-' (a UUID): sending the same submission again "
                   "with the same key answers the dossier the first one made; another submission with it: 422",
}

bp = Blueprint("public", __name__, url_prefix="/api/public", principal=APPLICANT,
               description="Applicants: submit online, track, supplement, pay, results, ratings (issue 10)")


@bp.get("/procedures")
@bp.access(None)
@bp.response(200, PublicCatalogueSchema)
def catalogue() -> dict:
    """The procedures one may submit (anyone)

    Those in effect now (R-1.1), with statutory time, fees, components and registration forms."""
    return {"items": services().applicants.catalogue()}


@bp.get("/track/<code>")
@bp.access(None)
@bp.response(200, PublicStatusSchema)
@bp.problems(404, 429)
def track(code: str) -> object:
    """Look a dossier up by its code (anyone)

    Only the procedure, the status with its national code (N-8) and the received and appointment
    dates: nothing personal (R-7.1). Limited per client address (429 with `Retry-After`)."""
    client = client_address(request, current_app.extensions["motcua_tokens"].settings)
    return services().applicants.lookup(code, client)


@bp.post("/dossiers")
@bp.doc(parameters=[IDEMPOTENCY_KEY_PARAMETER])
@bp.arguments(OnlineSubmissionSchema)
@bp.response(201, ApplicantDossierSchema)
@bp.problems(404, 409)
def submit(body: dict) -> tuple:
    """Submit a dossier online

    Channel online (N-8 code 2). The data is checked against the procedure's registration form;
    the dossier gets its code now (N-1) and enters reception; the appointment counts from the next
    working time after reception (R-3.4). Name and ID number are the token's. With an
    `Idempotency-Key`, the same key again answers the dossier it made (never a second one)."""
    key = request.headers.get("Idempotency-Key")
    view = services().applicants.submit(current_applicant(), body["procedure_code"], body["data"],
                                        body["contact"], body["digitally_signed"], body.get("start_message"),
                                        idempotency_key=key)
    return view, {"Location": f"/api/public/dossiers/{view.code}"}


@bp.get("/dossiers")
@bp.arguments(MyDossiersQuerySchema, location="query")
@bp.response(200, ApplicantDossierPageSchema)
def my_dossiers(query: dict) -> dict:
    """My dossiers

    Those filed under the token's citizen ID number, with its name as a check; newest first."""
    items, total = services().applicants.mine(current_applicant(), *window(query))
    return page(items, total, query)


@bp.get("/dossiers/<code>")
@bp.response(200, ApplicantDossierSchema)
@bp.problems(404)
def my_dossier(code: str) -> object:
    """One of my dossiers: status history and notices

    The status history comes from the dossier's status events with their times (N-8); notices are
    what the applicant was told (received with appointment, supplement requested, fee, …)."""
    return services().applicants.get(current_applicant(), code)


@bp.post("/dossiers/<code>/attachments")
@bp.doc(**UPLOAD_BODY)
@bp.response(201, AttachmentSchema)
@bp.problems(404, 409, 413, 415)
def upload(code: str) -> tuple:
    """Attach a file to my dossier

    multipart/form-data with one part `file`, checked as officials' uploads are (size, type from the
    real content, R-8.4). While just submitted, or when a supplement is requested (status 5); else 409."""
    upload, _ = one_file()
    content = upload.read(services().settings.max_upload_bytes + 1)
    view = services().applicants.upload(current_applicant(), code, upload.filename or "", upload.mimetype, content)
    return view, {"Location": f"/api/public/dossiers/{code}/attachments/{view.id}"}


@bp.get("/dossiers/<code>/attachments")
@bp.response(200, AttachmentListSchema)
@bp.problems(404)
def list_files(code: str) -> dict:
    """My dossier's files

    The files I attached and, once the result was returned online (status 10, R-6.1), the result."""
    return {"items": services().applicants.files_of(current_applicant(), code)}


@bp.get("/dossiers/<code>/attachments/<id:attachment_id>")
@bp.doc(responses={"200": FILE_RESPONSE})
@bp.problems(404)
def download(code: str, attachment_id: int) -> Response:
    """Download a file of my dossier (the result, when returned online)"""
    return file_download(*services().applicants.download(current_applicant(), code, attachment_id))


@bp.post("/dossiers/<code>/supplement")
@bp.response(200, ApplicantDossierSchema)
@bp.problems(404, 409)
def supplement(code: str) -> object:
    """Submit the supplement asked for

    After attaching the missing parts: only while a supplement is requested (status 5, else 409).
    The clock resumes; the appointment moves by the paused working time (N-4)."""
    return services().applicants.supplement(current_applicant(), code)


@bp.post("/dossiers/<code>/payment")
@bp.response(200, ApplicantDossierSchema)
@bp.problems(404, 409, 503)
def pay(code: str) -> object:
    """Pay the requested fee online

    Through the configured payment gateway (R-6.2); its reference is recorded and handling resumes.
    409 when no fee is waiting, 422 when the platform declines, 503 when online payment is not offered."""
    return services().applicants.pay(current_applicant(), code)


@bp.post("/dossiers/<code>/withdrawal")
@bp.arguments(WithdrawalSchema)
@bp.response(200, ApplicantDossierSchema)
@bp.problems(404, 409)
def withdraw(code: str, body: dict) -> object:
    """Withdraw my dossier

    Status 7, before a result exists (409 after); its handling ends."""
    return services().applicants.withdraw(current_applicant(), code, body.get("reason"))


@bp.post("/dossiers/<code>/rating")
@bp.arguments(RatingInSchema)
@bp.response(201, RatingSchema)
@bp.problems(404, 409)
def rate(code: str, body: dict) -> object:
    """Rate the handling of my dossier

    Once it has ended, one rating per dossier (R-7.3; a second is 409)."""
    return services().applicants.rate(current_applicant(), code, body["rating"], body.get("comment"))


@bp.get("/store")
@bp.response(200, DataStoreSchema)
def data_store() -> dict:
    """My data store

    The forms I submitted online and the results returned to me online (R-2.3, R-6.1)."""
    svc, me = services().applicants, current_applicant()
    return {"forms": svc.stored_forms(me), "results": [{"dossier": d, "files": f} for d, f in svc.results(me)]}


@bp.get("/store/prefill/<procedure_code>")
@bp.response(200, StoredFormSchema)
@bp.problems(404)
def prefill(procedure_code: str) -> object:
    """The form I last submitted for a procedure, to prefill a new submission (R-2.3)"""
    return services().applicants.prefill(current_applicant(), procedure_code)
