"""Feedback cases (R-7.2) in the database: the `feedback` table (one row per case, loaded as the
engine/domain/feedback.py aggregate), its timeline `feedback_events`, its code series and the
counts the reports and the overdue list read."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import and_, func, select
from sqlalchemy import case as sql_case

from engine.domain.applicant import name_key
from engine.domain.feedback import Feedback, FeedbackChannel, FeedbackStatus, Sender
from engine.domain.timeliness import Timeliness

from .models import FeedbackCase, FeedbackCodeCounter, FeedbackEventRow
from .repositories import _Repository


@dataclass(frozen=True)
class FeedbackEntry:
    """One line of a case's timeline."""

    at: datetime
    kind: str
    actor: str | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class FeedbackCounts:
    """Feedback of one agency: received in the period, answered in it (early / on time / late),
    entered late among those received, and open / open past due as of the period's end."""

    agency_id: str
    received: int = 0
    received_online: int = 0
    entered_late: int = 0
    answered: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    open_overdue: int = 0


class FeedbackRepository(_Repository):
    T = FeedbackCase.__table__
    E = FeedbackEventRow.__table__

    def next_sequence(self, agency_id: str, day: date) -> int:
        """Atomic per-agency, per-day counter of the PAKN- series: safe under concurrent entries."""
        c = FeedbackCodeCounter.__table__
        stmt = (self._upsert(c).values(agency_id=agency_id, day=day, value=1)
                .on_conflict_do_update(index_elements=["agency_id", "day"], set_={"value": c.c.value + 1})
                .returning(c.c.value))
        return int(self._core(stmt).scalar_one())

    def add(self, case: Feedback, dossier_id: int | None) -> int:
        values = {**_columns(case), "dossier_id": dossier_id, "version": 1}
        case.id = int(self._core(self.T.insert().values(**values).returning(self.T.c.id)).scalar_one())
        case.version = 1
        return case.id

    def save(self, case: Feedback) -> bool:
        """Write the case if nobody saved it since it was loaded (compare-and-set on `version`, which
        also takes the row lock on PostgreSQL); False otherwise."""
        stmt = (self.T.update().where(and_(self.T.c.id == case.id, self.T.c.version == case.version))
                .values(**_columns(case), version=case.version + 1).returning(self.T.c.id))
        if self._core(stmt).first() is None:
            return False
        case.version += 1
        return True

    def add_events(self, feedback_id: int, events: Iterable[tuple[datetime, str, str | None, dict[str, Any]]]) -> None:
        rows = [{"feedback_id": feedback_id, "at": at, "kind": kind, "actor": actor, "detail": detail}
                for at, kind, actor, detail in events]
        if rows:
            self._core(self.E.insert(), rows)

    def get(self, code: str) -> tuple[Feedback, int | None] | None:
        """The case with this code and the id of the dossier it concerns."""
        row = self._core(select(self.T).where(self.T.c.code == code)).mappings().first()
        return (_aggregate(row), row["dossier_id"]) if row is not None else None

    def events(self, feedback_id: int) -> list[FeedbackEntry]:
        rows = self._core(select(self.E).where(self.E.c.feedback_id == feedback_id)
                          .order_by(self.E.c.at, self.E.c.id)).mappings()
        return [FeedbackEntry(r["at"], r["kind"], r["actor"], r["detail"]) for r in rows]

    def query(self, agencies: Iterable[str] | None = None, status: str | None = None,
              sender_id_number: str | None = None, overdue_at: datetime | None = None,
              limit: int = 50, offset: int = 0, sender_name: str | None = None) -> tuple[list[Feedback], int]:
        """Cases matching every filter given (None: any), newest first, and how many match.
        `overdue_at`: unanswered and past due at that instant, most overdue first. `sender_name`:
        the sender's name as Applicant.owns compares it (name_key), matched in SQL so the page
        and the total hold only the sender's own cases (R-7.1)."""
        where = []
        if agencies is not None:
            where.append(self.T.c.agency_id.in_(list(agencies)))
        if status is not None:
            where.append(self.T.c.status == status)
        if sender_id_number is not None:
            where.append(self.T.c.sender_id_number == sender_id_number)
        if sender_name is not None:
            where.append(self.T.c.sender_name_key == name_key(sender_name))
        if overdue_at is not None:
            where += [self.T.c.status != FeedbackStatus.ANSWERED.value, self.T.c.due_at < overdue_at]
        total = int(self._core(select(func.count()).select_from(self.T).where(*where)).scalar_one())
        order = ((self.T.c.due_at, self.T.c.id) if overdue_at is not None
                 else (self.T.c.received_at.desc(), self.T.c.id.desc()))
        rows = self._core(select(self.T).where(*where).order_by(*order).limit(limit).offset(offset)).mappings()
        return [_aggregate(r) for r in rows], total

    def counts(self, start: datetime, end: datetime, as_of: datetime,
               agencies: Iterable[str] | None) -> list[FeedbackCounts]:
        """Per agency: received in [start, end), answered in it by class, and those still open at
        `as_of` (received before it, not answered by it) with how many were past due then."""
        t = self.T.c
        scope = [t.agency_id.in_(list(agencies))] if agencies is not None else []
        acc: dict[str, dict[str, int]] = {}

        def bump(agency: str, key: str, n: int) -> None:
            acc.setdefault(agency, {})[key] = acc.get(agency, {}).get(key, 0) + int(n or 0)

        received = select(t.agency_id, func.count(), func.sum(_as_int(t.channel == FeedbackChannel.ONLINE.value)),
                          func.sum(_as_int(t.entered_late))).where(
            t.received_at >= start, t.received_at < end, *scope).group_by(t.agency_id)
        for agency, n, online, late_entry in self._core(received):
            bump(agency, "received", n)
            bump(agency, "received_online", online)
            bump(agency, "entered_late", late_entry)
        answered = select(t.agency_id, t.timeliness, func.count()).where(
            t.answered_at >= start, t.answered_at < end, *scope).group_by(t.agency_id, t.timeliness)
        for agency, cls, n in self._core(answered):
            bump(agency, "answered", n)
            if cls in {c.value for c in Timeliness}:
                bump(agency, cls, n)
        still_open = and_(t.received_at < as_of, (t.answered_at.is_(None)) | (t.answered_at >= as_of))
        opened = select(t.agency_id, func.count(), func.sum(_as_int(t.due_at < as_of))).where(
            still_open, *scope).group_by(t.agency_id)
        for agency, n, overdue in self._core(opened):
            bump(agency, "open", n)
            bump(agency, "open_overdue", overdue)
        return [FeedbackCounts(agency, **values) for agency, values in sorted(acc.items())]


def _as_int(condition: Any) -> Any:
    return sql_case((condition, 1), else_=0)


def _columns(c: Feedback) -> dict[str, Any]:
    return {
        "code": c.code, "agency_id": c.agency_id, "channel": c.channel.value, "status": c.status.value,
        "sender": c.sender.to_json(), "sender_id_number": c.sender.id_number,
        "sender_name_key": name_key(c.sender.name), "subject": c.subject,
        "content": c.content, "dossier_code": c.dossier_code, "received_at": c.received_at,
        "entered_at": c.entered_at, "entered_by": c.entered_by, "entry_due_at": c.entry_due_at,
        "entered_late": c.entered_late, "due_at": c.due_at, "assigned_to": c.assigned_to,
        "assigned_at": c.assigned_at, "answer": c.answer, "answered_at": c.answered_at,
        "answered_by": c.answered_by, "timeliness": c.timeliness.value if c.timeliness else None,
        "procedure_version_id": c.procedure_version_id, "state": c.workflow_state,
    }


def _aggregate(r: Any) -> Feedback:
    return Feedback(
        id=r["id"], version=r["version"], code=r["code"], agency_id=r["agency_id"],
        channel=FeedbackChannel(r["channel"]), status=FeedbackStatus(r["status"]), sender=Sender.from_json(r["sender"]),
        subject=r["subject"], content=r["content"], dossier_code=r["dossier_code"], received_at=r["received_at"],
        entered_at=r["entered_at"], entered_by=r["entered_by"], entry_due_at=r["entry_due_at"],
        entered_late=bool(r["entered_late"]), due_at=r["due_at"], assigned_to=r["assigned_to"],
        assigned_at=r["assigned_at"], answer=r["answer"], answered_at=r["answered_at"], answered_by=r["answered_by"],
        timeliness=Timeliness(r["timeliness"]) if r["timeliness"] else None,
        procedure_version_id=r["procedure_version_id"], workflow_state=r["state"],
    )
