"""Feedback and complaints (phản ánh, kiến nghị, R-7.2; docs/feedback.md).

/api/feedback: officials enter feedback received offline, list and read their agency's, assign and
answer it; /api/reports/feedback counts it apart from dossiers. /api/public/feedback: applicants send
it online and read the published answer. The rules are engine/services/feedback.py's: a case that is
not the caller's (applicant) or not of the caller's agency (official) is 404."""
from __future__ import annotations

from ..access import APPLICANT, current_applicant, current_user
from ..endpoints import Blueprint
from ..feedback_schemas import (
    AnswerInSchema,
    AssignInSchema,
    FeedbackEntryInSchema,
    FeedbackPageSchema,
    FeedbackQuerySchema,
    FeedbackReportQuerySchema,
    FeedbackReportSchema,
    FeedbackSchema,
    FeedbackSubmitSchema,
    SenderFeedbackPageSchema,
    SenderFeedbackSchema,
)
from ..paging import PageQuerySchema, page, window
from ..report_schemas import split
from .common import services

bp = Blueprint("feedback", __name__, url_prefix="/api",
               description="Feedback and complaints (R-7.2): entered offline, assigned, answered within 13 "
                           "working days, published to the sender; counted apart from dossiers")
public_bp = Blueprint("public_feedback", __name__, url_prefix="/api/public/feedback", principal=APPLICANT,
                      description="Applicants: send feedback or a complaint online and read the answer (R-7.2)")


def _etag(view: object) -> tuple:
    return view, {"ETag": f'"{view.version}"'}  # type: ignore[attr-defined]


@bp.post("/feedback")
@bp.arguments(FeedbackEntryInSchema)
@bp.response(201, FeedbackSchema)
@bp.problems(403, 503)
def enter(body: dict) -> tuple:
    """Enter feedback received offline

    At the desk, by phone, by post or by e-mail, with the time it was received: one-stop officers and
    the agency head, for their agency. Entered more than 8 working hours after its receipt, the case
    is flagged `entered_late` (R-7.2). Due 13 working days after its receipt. The case runs on the
    feedback procedure PAKN-01 in effect at its receipt: 503 when none is published."""
    sender = body["sender"]
    view = services().feedback.enter(current_user(), body["channel"], body["received_at"], sender["name"],
                                     body["subject"], body["content"], body.get("dossier_code"),
                                     sender.get("id_number"), sender.get("contact"))
    return view, {"Location": f"/api/feedback/{view.code}", "ETag": f'"{view.version}"'}


@bp.get("/feedback")
@bp.arguments(FeedbackQuerySchema, location="query")
@bp.response(200, FeedbackPageSchema)
def cases(query: dict) -> dict:
    """Feedback of my agency (every agency for the control office)

    Newest first; `overdue=true`: only the unanswered past due, most overdue first."""
    items, total = services().feedback.cases(current_user(), query.get("status"), query["overdue"], *window(query))
    return page(items, total, query)


@bp.get("/feedback/<code>")
@bp.response(200, FeedbackSchema)
@bp.problems(404)
def get(code: str) -> tuple:
    """One case with its timeline"""
    return _etag(services().feedback.get(current_user(), code))


@bp.post("/feedback/<code>/assignment")
@bp.arguments(AssignInSchema)
@bp.response(200, FeedbackSchema)
@bp.problems(403, 404, 409)
@bp.if_match
def assign(code: str, body: dict, expected_version: int | None) -> tuple:
    """Assign the case to an official (agency head)

    422 on `official` when not an active official of the agency; If-Match optional (409 when stale)."""
    return _etag(services().feedback.assign(current_user(), code, body["official"], expected_version))


@bp.post("/feedback/<code>/answer")
@bp.arguments(AnswerInSchema)
@bp.response(200, FeedbackSchema)
@bp.problems(403, 404, 409)
@bp.if_match
def answer(code: str, body: dict, expected_version: int | None) -> tuple:
    """Answer the case; the answer is published to the sender

    The assigned official or the agency head; classified early / on time / late against the 13
    working days (R-7.2); the sender is notified (outbox). 409 when not assigned or already answered."""
    return _etag(services().feedback.answer(current_user(), code, body["answer"], expected_version))


@bp.get("/reports/feedback")
@bp.arguments(FeedbackReportQuerySchema, location="query")
@bp.response(200, FeedbackReportSchema)
@bp.problems(403)
def report(query: dict) -> object:
    """Feedback per agency in a period, apart from dossiers (R-7.2)

    Received (online, entered late), answered early / on time / late, open and open past due as of
    the period's end (or now). The dossier reports never count feedback. Control office: every
    agency; an agency head: their own."""
    return services().feedback.report(current_user(), query["period"], split(query.get("agency")))


@public_bp.post("")
@public_bp.arguments(FeedbackSubmitSchema)
@public_bp.response(201, SenderFeedbackSchema)
@public_bp.problems(404, 429, 503)
def submit(body: dict) -> tuple:
    """Send feedback or a complaint online

    About one of my dossiers (`dossier_code`: its agency handles it; an `agency_id` beside it must be
    that agency, else 422) or to an agency (`agency_id`). Received now; answered within 13 working
    days, the answer published to me (R-7.2). At most 10 sendings a day per citizen ID number, refused
    ones included (429 with `Retry-After`)."""
    view = services().feedback.submit_online(current_applicant(), body["subject"], body["content"],
                                             body.get("dossier_code"), body.get("agency_id"), body["contact"])
    return view, {"Location": f"/api/public/feedback/{view.code}"}


@public_bp.get("")
@public_bp.arguments(PageQuerySchema, location="query")
@public_bp.response(200, SenderFeedbackPageSchema)
def mine(query: dict) -> dict:
    """My feedback, newest first"""
    items, total = services().feedback.mine(current_applicant(), *window(query))
    return page(items, total, query)


@public_bp.get("/<code>")
@public_bp.response(200, SenderFeedbackSchema)
@public_bp.problems(404)
def my_case(code: str) -> object:
    """One of my cases, with the published answer"""
    return services().feedback.get_mine(current_applicant(), code)
