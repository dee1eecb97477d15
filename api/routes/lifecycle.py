"""/api/dossiers/...: the officials' lifecycle actions on a dossier, late dossiers and finding a
dossier (issue 9; docs/lifecycle.md). Each action answers the dossier with its version as ETag;
`If-Match` (optional) makes it act only on that version (409 otherwise)."""
from __future__ import annotations

import functools
from typing import Any, Callable

from ..access import current_user
from ..endpoints import Blueprint
from ..paging import page, window
from ..lifecycle_schemas import (
    ApologyInSchema,
    DossierPageSchema,
    DossierSearchQuerySchema,
    LateQuerySchema,
    PaymentInSchema,
    PaymentRequestInSchema,
    ReasonInSchema,
    ResultReturnInSchema,
    SupplementInSchema,
    WatchlistSchema,
    WithdrawalInSchema,
)
from ..schemas import DossierSchema
from .common import services

bp = Blueprint("lifecycle", __name__, url_prefix="/api/dossiers",
               description="The dossier lifecycle: officials' actions, late dossiers, finding a dossier (issue 9)")


def dossier_action(fn: Callable[..., Any]) -> Callable[..., Any]:
    """An action on a dossier: answers the dossier with its version as ETag; If-Match optional;
    404 (not visible), 409 (stale version, or a status that does not allow it), 422 (a rule)."""
    @functools.wraps(fn)
    def with_etag(*args: Any, **kwargs: Any) -> tuple:
        view = fn(*args, **kwargs)
        return view, {"ETag": f'"{view.version}"'}

    return bp.response(200, DossierSchema)(bp.problems(404, 409)(bp.if_match(with_etag)))


@bp.post("/<id:dossier_id>/apology")
@bp.arguments(ApologyInSchema)
@dossier_action
def apology(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Apologise with a new appointment (R-5.3, N-6)

    Agency head or approver of the competent agency. 422 when asked less than 1 working day before
    the appointment in force (naming it), for a second re-appointment, or a new appointment not later
    than the current one; the applicant is notified (outbox)."""
    return services().lifecycle.apologize(current_user(), dossier_id, body["new_due"], body["reason"],
                                          expected_version)


@bp.post("/<id:dossier_id>/stop")
@bp.arguments(ReasonInSchema)
@dossier_action
def stop(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Stop the handling with a notice of stopping (status 8)

    Agency head or approver of the competent agency; the dossier ends, its tasks are cancelled."""
    return services().lifecycle.stop(current_user(), dossier_id, body["reason"], expected_version)


@bp.post("/<id:dossier_id>/payment-request")
@bp.arguments(PaymentRequestInSchema)
@dossier_action
def payment_request(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Ask the applicant to pay a fee (status 6, R-6.2)

    Official, one-stop officer or agency head of the competent agency; one request per dossier."""
    return services().lifecycle.request_payment(current_user(), dossier_id, body["amount"], expected_version)


@bp.post("/<id:dossier_id>/payments")
@bp.arguments(PaymentInSchema)
@dossier_action
def payment(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Record a fee paid at the desk (R-6.2)

    One-stop officer of the competent agency, with the desk's receipt number: 6 → 4. When the
    diagram waits for message `fee_paid`, it is delivered and the dossier runs on."""
    return services().lifecycle.record_payment(current_user(), dossier_id, body["receipt_number"], expected_version)


@bp.post("/<id:dossier_id>/refund")
@bp.arguments(ReasonInSchema)
@dossier_action
def refund(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Refund a paid fee (R-6.3)

    One-stop officer or agency head: only when the agency could not perform the service (status 8);
    never once the result was ready (422)."""
    return services().lifecycle.refund(current_user(), dossier_id, body["reason"], expected_version)


@bp.post("/<id:dossier_id>/result-return")
@bp.arguments(ResultReturnInSchema)
@dossier_action
def result_return(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Return the result (status 10, R-6.1)

    One-stop officer of the competent agency: `online`, `postal` (tracking number required) or `desk`;
    409 while the dossier is still in processing (4): its steps make the result first."""
    return services().lifecycle.return_result(current_user(), dossier_id, body["channel"],
                                              body.get("tracking_number"), expected_version)


@bp.post("/<id:dossier_id>/withdrawal")
@bp.arguments(WithdrawalInSchema)
@dossier_action
def withdrawal(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Record the applicant's withdrawal (status 7)

    One-stop officer of the competent agency, on the applicant's written request, before a result."""
    return services().lifecycle.withdraw(current_user(), dossier_id, body.get("reason"), expected_version)


@bp.post("/<id:dossier_id>/supplement")
@bp.arguments(SupplementInSchema)
@dossier_action
def supplement(dossier_id: int, body: dict, expected_version: int | None) -> object:
    """Record a supplement brought to the desk (5 → 4, R-2.4, N-4)

    One-stop officer of the competent agency. The pause ends: the appointment and open step deadlines
    move by the paused working time. When the diagram waits for message `supplement_received`, it is
    delivered and the dossier runs on."""
    return services().lifecycle.supplement_received(current_user(), dossier_id, body.get("note"), expected_version)


@bp.get("")
@bp.arguments(DossierSearchQuerySchema, location="query")
@bp.response(200, DossierPageSchema)
def find(query: dict) -> object:
    """Find dossiers by code or applicant (R-7.1)

    Newest first; only dossiers the caller may see (as the dossier view: the competent agency, the
    agencies and officials that worked on it; the control office every dossier)."""
    limit, offset = window(query)
    items, total = services().search.find(current_user(), code=query.get("code"), applicant=query.get("applicant"),
                                          status=query.get("status"), limit=limit, offset=offset)
    return page(items, total, query)


@bp.get("/late")
@bp.arguments(LateQuerySchema, location="query")
@bp.response(200, WatchlistSchema)
def late(query: dict) -> object:
    """Overdue and at-risk dossiers (R-5.3, N-6)

    Open dossiers past their appointment and those due within `within_hours` working hours, each with
    its open incidents, plus the overdue steps. Agency heads: their agency; the control office: every
    agency; anyone else 403."""
    return services().watchlist.late(current_user(), query.get("within_hours"))
