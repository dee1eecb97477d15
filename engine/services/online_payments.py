"""Paying a dossier's fee online (R-6.2) so that money is never taken twice nor lost (found breaking
issue 10: two payment requests at once were both charged by the platform and only one was recorded;
a payment racing a withdrawal was charged and recorded nowhere).

The platform is outside the database's transaction, so the order of things is:
1. the payment is written first (engine/persistence/online_payments.py: one per dossier, state
   `charging`, with the order id the platform will see); a second request finds it;
2. the platform charges the order; it charges an order id at most once (engine/services/payments.py),
   so a request that finds a `charging` payment (a racing twin, or a retry after a time-out or a
   crash) sends the same order and gets the same receipt, never a second charge;
3. the receipt is recorded on the dossier (`fee_paid`, method online) and the payment `recorded`;
   a concurrent change of the dossier only retries this step. When the dossier no longer waits for
   the fee (withdrawn, paid at the desk meanwhile, the procedure failed), the payment becomes
   `unrecorded`: taken and kept, with its reference, for the operators to refund
   (`motcua payments list --state unrecorded`). A declined order lets the applicant try again with a
   new order id.
"""
from __future__ import annotations

import logging
from typing import Any

from engine.domain.applicant import Applicant
from engine.domain.dossier_status import DossierStatus
from engine.persistence.online_payments import CHARGING, DECLINED, RECORDED, UNRECORDED, PaymentRow
from engine.persistence.rows import DossierRow

from .context import EngineContext
from .errors import Conflict, InvalidInput, ServiceError, Unavailable
from .payments import PaymentDeclined, PaymentGateway, PaymentOrder, PaymentReceipt

log = logging.getLogger(__name__)
RECORD_ATTEMPTS = 5  # a dossier changed by someone else meanwhile: read it again and record again


def waiting_fee(row: DossierRow) -> int | None:
    """The fee (VND) `row` waits for the applicant to pay, or None (R-6.2: status 6, not paid)."""
    fee = row.fee or {}
    if row.status != DossierStatus.PAYMENT_REQUESTED.value or not fee.get("amount") or fee.get("paid_at"):
        return None
    return int(fee["amount"])


def pay_online(ctx: EngineContext, gateway: PaymentGateway, record: Any, applicant: Applicant,
               row: DossierRow) -> None:
    """Charge the fee `row` waits for through `gateway` and record it with `record(reference)` (the
    lifecycle's `fee_paid` as the applicant). Raises Conflict (no fee waiting, already paid, or taken
    but no longer wanted: then kept for refund), InvalidInput (declined), Unavailable (the platform
    failed: trying again sends the same order)."""
    amount = waiting_fee(row)
    if amount is None:
        raise Conflict(f"no fee is waiting to be paid for dossier {row.code} (status {row.status})")
    payment = _claim(ctx, applicant, row, amount)
    order = PaymentOrder(row.code, payment.amount, applicant.id_number, applicant.name, payment.order_id)
    try:
        receipt = gateway.charge(order, ctx.clock.now())
    except PaymentDeclined as err:
        _settle(ctx, payment, DECLINED, detail=str(err)[:2000])
        raise InvalidInput(f"the payment was declined: {err}", [("payment", str(err))]) from None
    except Exception as err:  # the platform's state is unknown: the same order is sent again next time
        log.warning("payment platform failed for order %s: %s", payment.order_id, err,
                    extra={"dossier": row.code, "order": payment.order_id})
        raise Unavailable("the payment platform did not answer: try again (the same order is sent again "
                          "and charged at most once)") from None
    _record(ctx, record, payment, receipt, row)


def _claim(ctx: EngineContext, applicant: Applicant, row: DossierRow, amount: int) -> PaymentRow:
    """The dossier's payment in state `charging`: started now, restarted after a decline, or the one
    already charging (its order is sent again: charged at most once)."""
    now = ctx.clock.now()
    for _ in range(3):  # a racing request may move the row between our read and our write
        with ctx.uow() as uow:
            payment = uow.online_payments.get(row.id)
            if payment is None:
                moved = uow.online_payments.start(dossier_id=row.id, order_id=_order_id(row, 1), amount=amount,
                                                  payer_id_number=applicant.id_number, now=now)
            elif payment.state == CHARGING:
                return payment
            elif payment.state == DECLINED:
                moved = uow.online_payments.restart(payment, _order_id(row, payment.attempt + 1), amount,
                                                    applicant.id_number, now)
            else:
                raise Conflict(f"the fee of dossier {row.code} was already paid online "
                               f"(reference {payment.reference}, {payment.state})")
            if moved:
                uow.commit()
                with ctx.uow(write=False) as again:
                    found = again.online_payments.get(row.id)
                assert found is not None
                return found
    raise Conflict(f"dossier {row.code} is being paid by another request: reload it")


def _order_id(row: DossierRow, attempt: int) -> str:
    return f"{row.code}-{attempt}"  # dossier codes are unique (N-1); a new attempt only after a decline


def _record(ctx: EngineContext, record: Any, payment: PaymentRow, receipt: PaymentReceipt, row: DossierRow) -> None:
    failure: str | None = None
    for _ in range(RECORD_ATTEMPTS):
        try:
            record(receipt.reference)
            _settle(ctx, payment, RECORDED, reference=receipt.reference)
            return
        except ServiceError as err:
            with ctx.uow(write=False) as uow:
                fresh = uow.dossiers.load(row.id)
            fee = (fresh.fee or {}) if fresh is not None else {}
            if fee.get("paid_at") and fee.get("method") == "online" and fee.get("reference") == receipt.reference[:128]:
                _settle(ctx, payment, RECORDED, reference=receipt.reference)  # a twin request recorded it
                return
            failure = err.detail
            if fresh is None or waiting_fee(fresh) is None:
                failure = f"it is {fresh.status if fresh else 'gone'} and no longer waits for the fee"
                break
            if not isinstance(err, Conflict):
                break  # the procedure refused or failed: retrying cannot help
    detail = failure or "not recorded"
    _settle(ctx, payment, UNRECORDED, reference=receipt.reference, detail=detail[:2000])
    log.warning("online payment %s (reference %s, %s VND) taken but not recorded on dossier %s: %s",
                payment.order_id, receipt.reference, payment.amount, row.code, detail,
                extra={"dossier": row.code, "order": payment.order_id, "reference": receipt.reference})
    raise Conflict(f"the payment was taken (reference {receipt.reference}, {payment.amount} VND) but dossier "
                   f"{row.code} could not record it ({detail}): it is kept for a refund by the agency")


def _settle(ctx: EngineContext, payment: PaymentRow, state: str, reference: str | None = None,
            detail: str | None = None) -> None:
    """Move a charging payment to `state`; a twin request that already moved it settles it the same."""
    with ctx.uow() as uow:
        uow.online_payments.settle(payment, state, ctx.clock.now(), reference[:128] if reference else None, detail)
        uow.commit()


STATES = (CHARGING, DECLINED, RECORDED, UNRECORDED)


def listing(ctx: EngineContext, state: str, limit: int = 200) -> list[tuple[str, PaymentRow]]:
    """The online payments in `state`, oldest change first, with their dossier's code: for operators
    (`unrecorded`: taken, to refund; `charging` for long: the platform's answer never came)."""
    if state not in STATES:
        raise InvalidInput(f"state must be one of {', '.join(STATES)}", [("state", "unknown")])
    with ctx.uow(write=False) as uow:
        rows = uow.online_payments.in_state(state, limit)
        return [(getattr(uow.dossiers.load(p.dossier_id), "code", "?"), p) for p in rows]
