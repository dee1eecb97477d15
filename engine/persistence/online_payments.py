"""Applicants' online payments (R-6.2): the record written before the payment platform is asked
(engine/services/online_payments.py). Every change of state is a compare-and-set on the state (and
the attempt), so two requests never both move the same payment."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from .models import OnlinePayment
from .repositories import _Repository

CHARGING, DECLINED, RECORDED, UNRECORDED = "charging", "declined", "recorded", "unrecorded"


@dataclass(frozen=True)
class PaymentRow:
    id: int
    dossier_id: int
    order_id: str
    attempt: int
    amount: int
    payer_id_number: str
    state: str
    reference: str | None
    detail: str | None
    started_at: datetime
    updated_at: datetime


class OnlinePaymentRepository(_Repository):
    T = OnlinePayment.__table__

    def get(self, dossier_id: int) -> PaymentRow | None:
        row = self._core(select(self.T).where(self.T.c.dossier_id == dossier_id)).mappings().first()
        return _row(row) if row is not None else None

    def start(self, *, dossier_id: int, order_id: str, amount: int, payer_id_number: str,
              now: datetime) -> bool:
        """The first attempt at paying the dossier's fee (state charging); False when the dossier
        already has a payment (the unique keys decide: two racing first attempts never both start).
        No conflict target: the racing attempt collides on order_id as well as on dossier_id (the
        order id is made from the dossier's code), and PostgreSQL raises a conflict on a unique
        index that is not the ON CONFLICT target instead of skipping the row."""
        stmt = (self._upsert(self.T).values(dossier_id=dossier_id, order_id=order_id, attempt=1, amount=amount,
                                            payer_id_number=payer_id_number, state=CHARGING, started_at=now,
                                            updated_at=now)
                .on_conflict_do_nothing().returning(self.T.c.id))
        return self._core(stmt).first() is not None

    def restart(self, payment: PaymentRow, order_id: str, amount: int, payer_id_number: str, now: datetime) -> bool:
        """Another attempt after a declined one, with a new order; False if it moved meanwhile."""
        return self._move(payment, state=CHARGING, attempt=payment.attempt + 1, order_id=order_id, amount=amount,
                          payer_id_number=payer_id_number, reference=None, detail=None, started_at=now,
                          updated_at=now)

    def settle(self, payment: PaymentRow, state: str, now: datetime, reference: str | None = None,
               detail: str | None = None) -> bool:
        """charging -> declined | recorded | unrecorded; False if it moved meanwhile."""
        return self._move(payment, state=state, reference=reference, detail=detail, updated_at=now)

    def in_state(self, state: str, limit: int = 200) -> list[PaymentRow]:
        rows = self._core(select(self.T).where(self.T.c.state == state)
                          .order_by(self.T.c.updated_at, self.T.c.id).limit(limit)).mappings()
        return [_row(r) for r in rows]

    def _move(self, payment: PaymentRow, **values: Any) -> bool:
        stmt = (update(self.T).where(self.T.c.id == payment.id, self.T.c.state == payment.state,
                                     self.T.c.attempt == payment.attempt).values(**values))
        return self._core(stmt).rowcount == 1


def _row(r: Any) -> PaymentRow:
    return PaymentRow(r["id"], r["dossier_id"], r["order_id"], r["attempt"], r["amount"], r["payer_id_number"],
                      r["state"], r["reference"], r["detail"], r["started_at"], r["updated_at"])
