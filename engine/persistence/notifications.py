"""The notification rows of the outbox, as the sending worker claims and records them (R-3.1, N-6).

A row of topic `notification` is due when it is not sent, not given up (`delivery` NULL) and its
`next_attempt_at` is NULL or past. Claiming one moves `next_attempt_at` to the end of a lease and
counts the attempt, in one conditional UPDATE that re-checks the row is still due, committed before
anything is sent: another worker's claim can then never take it, on PostgreSQL (the candidates are
read `FOR UPDATE SKIP LOCKED`, and a row claimed meanwhile no longer matches the UPDATE) or SQLite
(writers queue behind `BEGIN IMMEDIATE`). The outcome is written only if the row still carries the
attempt this worker claimed (compare-and-set on `attempts`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select

from .models import Dossier, OutboxEntry, ProcedureVersion
from .repositories import _Repository

TOPIC = "notification"
T = OutboxEntry.__table__
D = Dossier.__table__
V = ProcedureVersion.__table__


@dataclass(frozen=True)
class NoticeRow:
    """One notification row with what sending it needs from its dossier."""

    id: int
    kind: str
    dossier_id: int | None
    dossier_code: str | None
    at: datetime
    payload: dict[str, Any]
    attempts: int  # including the attempt under way once claimed
    sent_at: datetime | None
    delivery: str | None  # None, "failed", "undeliverable"
    delivered: dict[str, Any]  # channel -> {"to", "at"}
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    applicant: dict[str, Any]  # the dossier's applicant record (name, email, phone…)
    agency_id: str | None
    procedure_name: str | None


def _due(now: datetime) -> Any:
    return and_(T.c.topic == TOPIC, T.c.sent_at.is_(None), T.c.delivery.is_(None),
                or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now))


_ROWS = (select(T, D.c.applicant, D.c.agency_id, V.c["metadata"].label("meta"))
         .select_from(T.outerjoin(D, D.c.id == T.c.dossier_id).outerjoin(V, V.c.id == D.c.procedure_version_id))
         .where(T.c.topic == TOPIC))


def _row(r: Any) -> NoticeRow:
    meta = r["meta"] if isinstance(r["meta"], dict) else {}
    name = meta.get("name")
    return NoticeRow(r["id"], r["kind"], r["dossier_id"], r["dossier_code"], r["at"], r["payload"] or {},
                     int(r["attempts"] or 0), r["sent_at"], r["delivery"], dict(r["delivered"] or {}),
                     r["next_attempt_at"], r["last_attempt_at"], r["last_error"],
                     r["applicant"] if isinstance(r["applicant"], dict) else {}, r["agency_id"],
                     name if isinstance(name, str) and name else None)


class NotificationRepository(_Repository):
    def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[NoticeRow]:
        """Take up to `limit` due rows, oldest first: count the attempt, hold them until `lease_until`.
        The caller commits before sending, and records the attempt's time with its outcome."""
        candidates = select(T.c.id).where(_due(now)).order_by(T.c.id).limit(limit)
        if self.dialect == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        ids = [int(i) for i in self._core(candidates).scalars()]
        if not ids:
            return []
        taken = self._core(T.update().where(T.c.id.in_(ids), _due(now))
                           .values(attempts=T.c.attempts + 1, next_attempt_at=lease_until)
                           .returning(T.c.id)).scalars().all()
        return self.get_many(sorted(int(i) for i in taken))

    def get_many(self, ids: list[int]) -> list[NoticeRow]:
        if not ids:
            return []
        return [_row(r) for r in self._core(_ROWS.where(T.c.id.in_(ids)).order_by(T.c.id)).mappings()]

    def get(self, notice_id: int) -> NoticeRow | None:
        found = self.get_many([notice_id])
        return found[0] if found else None

    def finish(self, notice_id: int, attempt: int, **values: Any) -> bool:
        """Record the outcome of attempt number `attempt` (sent_at, delivery, next_attempt_at,
        last_error, delivered); False when the row moved on meanwhile (its lease ran out and
        another worker claimed it, or an operator retried it)."""
        done = self._core(T.update().where(T.c.id == notice_id, T.c.topic == TOPIC, T.c.attempts == attempt,
                                           T.c.sent_at.is_(None)).values(**values).returning(T.c.id)).first()
        return done is not None

    def retry_now(self, notice_id: int) -> bool:
        """Make an unsent row due at once with a fresh count of attempts (an operator's retry); False
        when it was sent meanwhile."""
        done = self._core(T.update().where(T.c.id == notice_id, T.c.topic == TOPIC, T.c.sent_at.is_(None))
                          .values(delivery=None, next_attempt_at=None, attempts=0).returning(T.c.id)).first()
        return done is not None

    def problems(self, state: str | None, agency_id: str | None, limit: int,
                 offset: int) -> tuple[list[NoticeRow], int]:
        """Unsent rows an operator should see, oldest first: `failed`, `undeliverable`, `retrying`
        (an attempt failed, the next one is scheduled) or None for all three."""
        conds = {
            "failed": T.c.delivery == "failed",
            "undeliverable": T.c.delivery == "undeliverable",
            "retrying": and_(T.c.delivery.is_(None), T.c.last_error.is_not(None)),
        }
        where = [T.c.topic == TOPIC, T.c.sent_at.is_(None),
                 conds[state] if state is not None else or_(*conds.values())]
        if agency_id is not None:
            where.append(D.c.agency_id == agency_id)
        total = self._core(select(func.count()).select_from(T.outerjoin(D, D.c.id == T.c.dossier_id))
                           .where(*where)).scalar_one()
        rows = self._core(_ROWS.where(*where).order_by(T.c.id).limit(limit).offset(offset)).mappings()
        return [_row(r) for r in rows], int(total)

    def summary(self) -> dict[str, Any]:
        """Counts by state: pending (due now or later, never failed), retrying, failed,
        undeliverable, sent; and the oldest unsent notice's time."""
        unsent = and_(T.c.topic == TOPIC, T.c.sent_at.is_(None))
        r = self._core(select(
            func.count().filter(unsent, T.c.delivery.is_(None), T.c.last_error.is_(None)).label("pending"),
            func.count().filter(unsent, T.c.delivery.is_(None), T.c.last_error.is_not(None)).label("retrying"),
            func.count().filter(unsent, T.c.delivery == "failed").label("failed"),
            func.count().filter(unsent, T.c.delivery == "undeliverable").label("undeliverable"),
            func.count().filter(T.c.topic == TOPIC, T.c.sent_at.is_not(None)).label("sent"),
            func.min(T.c.at).filter(unsent, T.c.delivery.is_(None)).label("oldest_waiting_at"),
        )).mappings().one()
        return dict(r)
