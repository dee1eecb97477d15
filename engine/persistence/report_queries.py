"""Read-only queries of the reports (R-5.4, R-7.4, N-2): set-based counts over stored columns.

One scan per table and period: every figure is a conditional sum over the rows that can matter
(received before the as-of instant and not ended before the period's start), grouped by agency
and procedure; the service rolls those groups up. The counting rules are in engine/domain/ontime.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from engine.domain.ontime import CLASSES, MET

from .models import Dossier, Procedure, ProcedureVersion, ReadyTask, Step

T_D = Dossier.__table__
T_S = Step.__table__
T_R = ReadyTask.__table__


@dataclass(frozen=True)
class GroupCounts:
    """Figures of one (agency, procedure) group; see engine/domain/ontime.py for each rule."""

    agency_id: str
    procedure_code: str
    received: int
    received_online: int
    finished: int
    early: int
    on_time: int
    late: int
    reappointed: int
    reappointed_met: int
    open: int
    open_late: int  # open and past due as of the as-of instant, pauses not yet taken out
    handling_seconds: float  # sum of completed_at - received_at over the finished with a class


@dataclass(frozen=True)
class OpenLate:
    """An open dossier past due as of the as-of instant: the service checks its pauses."""

    agency_id: str
    procedure_code: str
    status: str
    due_basis: Any


@dataclass(frozen=True)
class RegisterRow:
    code: str
    procedure_code: str
    agency_id: str
    applicant_name: str | None
    channel: str
    status: str
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    timeliness: str | None
    timeliness_reappointed: str | None
    reappointed: bool


@dataclass(frozen=True)
class CatalogueEntry:
    """A procedure as its newest version describes it (field, names) for grouping and labels."""

    code: str
    name: str
    field: str
    agency_id: str
    agency_name: str


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class ReportQueries:
    def __init__(self, session: Session, dialect: str):
        self.session = session
        self.dialect = dialect

    def _seconds(self, start: Any, end: Any) -> Any:
        if self.dialect == "postgresql":
            return func.extract("epoch", end - start)
        return (func.julianday(end) - func.julianday(start)) * 86400.0

    @staticmethod
    def _filters(table: Any, agency_col: Any, agencies: Sequence[str] | None,
                 procedures: Sequence[str] | None, procedure_col: Any) -> list[Any]:
        out = []
        if agencies is not None:
            out.append(agency_col.in_(list(agencies)))
        if procedures is not None:
            out.append(procedure_col.in_(list(procedures)))
        return out

    # ------------------------------------------------------------ dossiers

    def dossier_counts(self, start: datetime, end: datetime, as_of: datetime, agencies: Sequence[str] | None,
                       procedures: Sequence[str] | None) -> list[GroupCounts]:
        d = T_D.c
        received = and_(d.received_at >= start, d.received_at < end)
        finished = and_(d.completed_at >= start, d.completed_at < end)
        classified = and_(finished, d.timeliness.in_(CLASSES))
        is_open = and_(d.received_at < as_of, or_(d.completed_at.is_(None), d.completed_at >= as_of))
        stmt = (
            select(
                d.agency_id, d.procedure_code,
                _sum(received), _sum(and_(received, d.channel == "online")), _sum(finished),
                *[_sum(and_(finished, d.timeliness == c)) for c in CLASSES],
                _sum(and_(finished, d.timeliness_reappointed.is_not(None))),
                _sum(and_(finished, d.timeliness_reappointed.in_(MET))),
                _sum(is_open), _sum(and_(is_open, d.due_at < as_of)),
                func.coalesce(func.sum(case((classified, self._seconds(d.received_at, d.completed_at)),
                                            else_=0.0)), 0.0),
            )
            # Only rows that can count: received before as-of (or the end) and not ended before the start.
            .where(d.received_at < end, or_(d.completed_at.is_(None), d.completed_at >= start),
                   *self._filters(T_D, d.agency_id, agencies, procedures, d.procedure_code))
            .group_by(d.agency_id, d.procedure_code)
        )
        return [GroupCounts(r[0], r[1], *(int(x) for x in r[2:12]), float(r[12]))
                for r in self.session.execute(stmt)]

    def open_late_dossiers(self, as_of: datetime, agencies: Sequence[str] | None,
                           procedures: Sequence[str] | None) -> list[OpenLate]:
        d = T_D.c
        stmt = select(d.agency_id, d.procedure_code, d.status, d.due_basis).where(
            d.received_at < as_of, or_(d.completed_at.is_(None), d.completed_at >= as_of), d.due_at < as_of,
            *self._filters(T_D, d.agency_id, agencies, procedures, d.procedure_code))
        return [OpenLate(*r) for r in self.session.execute(stmt)]

    # ------------------------------------------------------------ steps

    def step_counts(self, start: datetime, end: datetime, as_of: datetime, agencies: Sequence[str] | None,
                    procedures: Sequence[str] | None) -> list[GroupCounts]:
        """Finished steps (`steps`) and steps still waiting (`ready_tasks`) by the agency whose
        officials were candidates (a participating agency's steps count for it)."""
        s, r, d = T_S.c, T_R.c, T_D.c
        zero = literal(0)
        received = and_(s.created_at >= start, s.created_at < end)
        finished = and_(s.completed_at >= start, s.completed_at < end)
        is_open = and_(s.created_at < as_of, s.completed_at >= as_of)
        done = (
            select(
                s.candidate_agency.label("agency_id"), d.procedure_code.label("procedure_code"),
                _sum(received).label("received"), _sum(finished).label("finished"),
                *[_sum(and_(finished, s.timeliness == c)).label(c) for c in CLASSES],
                _sum(is_open).label("open"), _sum(and_(is_open, s.due_at < as_of)).label("open_late"),
            )
            .join(T_D, d.id == s.dossier_id)
            .where(s.created_at < end, s.completed_at >= start,
                   *self._filters(T_S, s.candidate_agency, agencies, procedures, d.procedure_code))
            .group_by(s.candidate_agency, d.procedure_code)
        )
        r_received = and_(r.created_at >= start, r.created_at < end)
        r_open = r.created_at < as_of
        waiting = (
            select(
                r.candidate_agency.label("agency_id"), d.procedure_code.label("procedure_code"),
                _sum(r_received).label("received"), zero.label("finished"),
                *[zero.label(c) for c in CLASSES],
                _sum(r_open).label("open"), _sum(and_(r_open, r.due_at < as_of)).label("open_late"),
            )
            .join(T_D, d.id == r.dossier_id)
            .where(r.created_at < end,
                   *self._filters(T_R, r.candidate_agency, agencies, procedures, d.procedure_code))
            .group_by(r.candidate_agency, d.procedure_code)
        )
        both = union_all(done, waiting).subquery()
        b = both.c
        stmt = select(b.agency_id, b.procedure_code, *[func.sum(b[n]) for n in
                                                        ("received", "finished", *CLASSES, "open", "open_late")]
                      ).group_by(b.agency_id, b.procedure_code)
        out = []
        for row in self.session.execute(stmt):
            rec, fin, early, on_time, late, opened, open_late = (int(x or 0) for x in row[2:])
            out.append(GroupCounts(row[0], row[1], rec, 0, fin, early, on_time, late, 0, 0, opened, open_late, 0.0))
        return out

    # ------------------------------------------------------------ register and catalogue

    def register(self, start: datetime, end: datetime, agencies: Sequence[str] | None,
                 procedures: Sequence[str] | None, limit: int | None = None) -> list[RegisterRow]:
        """Dossiers received in [start, end), oldest first (N-2 dossier register)."""
        d = T_D.c
        stmt = (
            select(d.code, d.procedure_code, d.agency_id, d.applicant_name, d.applicant, d.channel, d.status,
                   d.received_at, d.due_at, d.completed_at, d.timeliness, d.timeliness_reappointed, d.due_basis)
            .where(d.received_at >= start, d.received_at < end,
                   *self._filters(T_D, d.agency_id, agencies, procedures, d.procedure_code))
            .order_by(d.received_at, d.code)
        )
        if limit is not None:
            stmt = stmt.limit(limit)
        out = []
        for r in self.session.execute(stmt):
            name = r.applicant_name
            if name is None and isinstance(r.applicant, dict) and isinstance(r.applicant.get("name"), str):
                name = r.applicant["name"]
            reappointed = isinstance(r.due_basis, dict) and r.due_basis.get("reappointment") is not None
            out.append(RegisterRow(r.code, r.procedure_code, r.agency_id, name, r.channel, r.status, r.received_at,
                                   r.due_at, r.completed_at, r.timeliness, r.timeliness_reappointed, reappointed))
        return out

    def catalogue(self) -> dict[str, CatalogueEntry]:
        """Procedure code -> its newest version's name, field and agency (metadata of procedure.toml)."""
        stmt = (select(Procedure.code, ProcedureVersion.meta)
                .join(ProcedureVersion, ProcedureVersion.procedure_id == Procedure.id)
                .order_by(Procedure.code, ProcedureVersion.number))
        out: dict[str, CatalogueEntry] = {}
        for code, meta in self.session.execute(stmt):
            meta = meta or {}
            out[code] = CatalogueEntry(code, str(meta.get("name", code)), str(meta.get("field", "")),
                                       str(meta.get("agency_id", "")), str(meta.get("agency_name", "")))
        return out
