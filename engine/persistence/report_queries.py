"""Read-only queries of the reports (R-5.4, R-7.4, N-2): set-based counts over stored columns.

One scan per table and period: every figure is a conditional sum over the rows that can matter
(received before the as-of instant and not ended before the period's start), grouped by agency
and procedure; the service rolls those groups up. The counting rules are in engine/domain/ontime.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

from sqlalchemy import and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from engine.domain.ontime import CLASSES, MET

from .models import Dossier, DossierRating, FeedbackCase, Procedure, ProcedureVersion, ReadyTask, Step

T_D = Dossier.__table__
T_S = Step.__table__
T_R = ReadyTask.__table__
T_RATING = DossierRating.__table__
T_FEEDBACK = FeedbackCase.__table__


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
    pause_candidates: int = 0  # how many of open_late may have been paused then


@dataclass(frozen=True)
class OpenLate:
    """An open dossier past due as of the as-of instant: the service checks its pauses."""

    agency_id: str
    procedure_code: str
    paused_since: datetime | None
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
    """How many rows of the group meet `condition` (COUNT(*) FILTER: no expression per row beyond it)."""
    return func.count().filter(condition)


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
                       procedures: Sequence[str] | None, for_indicators: bool = False) -> list[GroupCounts]:
        """One scan, grouped by agency, procedure and stored class (fewer conditions per row than a
        filtered count per class); `for_indicators` adds the online receipts and the handling seconds.
        Open-and-late rows that may have been paused at as-of (a pause recorded in their basis, or a
        current pause begun by then) are counted, for the service to read them (`pause_states`) and
        check (N-4). Every aggregate is parallel-safe, so PostgreSQL scans with its parallel workers."""
        d = T_D.c
        received = d.received_at >= start  # received_at < end: the WHERE below
        finished = d.completed_at < end  # completed_at >= start or NULL: the WHERE below
        not_ended = or_(d.completed_at.is_(None), d.completed_at >= as_of)
        is_open = not_ended if as_of >= end else and_(d.received_at < as_of, not_ended)
        open_late = and_(is_open, d.due_at < as_of)
        may_pause = self._may_pause(as_of)
        figures = {
            "received": received, "finished": finished,
            "reappointed": and_(finished, d.timeliness_reappointed.is_not(None)),
            "reappointed_met": and_(finished, d.timeliness_reappointed.in_(MET)),
            "open": is_open, "open_late": open_late, "pause_candidates": and_(open_late, may_pause),
        }
        if for_indicators:
            figures["received_online"] = and_(received, d.channel == "online")
        columns = [d.agency_id, d.procedure_code, d.timeliness, *[_sum(c).label(n) for n, c in figures.items()]]
        if for_indicators:
            columns.append(func.sum(self._seconds(d.received_at, d.completed_at)).filter(finished)
                           .label("handling_seconds"))
        stmt = (
            select(*columns)
            # Only rows that can count: received before the end and not ended before the start.
            .where(d.received_at < end, or_(d.completed_at.is_(None), d.completed_at >= start),
                   *self._filters(T_D, d.agency_id, agencies, procedures, d.procedure_code))
            .group_by(d.agency_id, d.procedure_code, d.timeliness)
        )
        groups: dict[tuple[str, str], dict[str, Any]] = {}
        for r in self.session.execute(stmt):
            row = r._mapping
            g = groups.setdefault((r.agency_id, r.procedure_code), {
                "received": 0, "received_online": 0, "finished": 0, "early": 0, "on_time": 0, "late": 0,
                "reappointed": 0, "reappointed_met": 0, "open": 0, "open_late": 0, "handling_seconds": 0.0,
                "pause_candidates": 0})
            for name in figures:
                g[name] += int(row[name] or 0)
            if r.timeliness in CLASSES:  # the class's own count, and the handling time of the classified
                g[r.timeliness] += int(row["finished"] or 0)
                if for_indicators:
                    g["handling_seconds"] += float(row["handling_seconds"] or 0.0)
        return [GroupCounts(agency, procedure, **g) for (agency, procedure), g in groups.items()]

    def _may_pause(self, as_of: datetime) -> Any:
        """A pause recorded in the basis, or a current pause begun by `as_of`: the predicate of the
        partial index ix_dossiers_pausing (the same expression, so both databases use it)."""
        d = T_D.c
        has_pauses = (d.due_basis.op("?")("pauses") if self.dialect == "postgresql"  # JSONB: the key exists
                      else func.json_extract(d.due_basis, "$.pauses").is_not(None))
        return or_(has_pauses, and_(d.paused_since.is_not(None), d.paused_since <= as_of))

    def pause_states(self, as_of: datetime, agencies: Sequence[str] | None,
                     procedures: Sequence[str] | None) -> list[OpenLate]:
        """Open dossiers past due as of `as_of` that may have been paused then (see dossier_counts),
        found through the partial index ix_dossiers_pausing."""
        d = T_D.c
        stmt = select(d.agency_id, d.procedure_code, d.paused_since, d.due_basis).where(
            d.received_at < as_of, or_(d.completed_at.is_(None), d.completed_at >= as_of), d.due_at < as_of,
            self._may_pause(as_of), *self._filters(T_D, d.agency_id, agencies, procedures, d.procedure_code))
        return [OpenLate(*r) for r in self.session.execute(stmt)]

    # ------------------------------------------------------------ payments and result returns (N-9)

    def returns(self, start: datetime, end: datetime, agencies: Sequence[str] | None) -> dict[str, tuple[int, int]]:
        """Agency -> (results returned in [start, end), of them online) (R-6.1)."""
        d = T_D.c
        stmt = (select(d.agency_id, func.count(), _sum(d.return_channel == "online"))
                .where(d.returned_at >= start, d.returned_at < end,
                       *self._filters(T_D, d.agency_id, agencies, None, d.procedure_code))
                .group_by(d.agency_id))
        return {r[0]: (int(r[1]), int(r[2])) for r in self.session.execute(stmt)}

    def fees(self, start: datetime, end: datetime, agencies: Sequence[str] | None) -> list[tuple[str, Any]]:
        """(agency, fee JSON) of dossiers with a fee that may have been paid in [start, end): received
        before the end and not ended before the start (a fee is paid while the dossier is open)."""
        d = T_D.c
        stmt = select(d.agency_id, d.fee).where(
            d.fee.is_not(None), d.received_at < end, or_(d.completed_at.is_(None), d.completed_at >= start),
            *self._filters(T_D, d.agency_id, agencies, None, d.procedure_code))
        return [(r[0], r[1]) for r in self.session.execute(stmt)]

    # ------------------------------------------------------------ ratings and feedback (N-9 satisfaction)

    def ratings(self, start: datetime, end: datetime, agencies: Sequence[str] | None) -> dict[str, tuple[int, int]]:
        """Agency of the dossier -> (ratings given in [start, end), of them "satisfied") (R-7.3)."""
        r, d = T_RATING.c, T_D.c
        stmt = (select(d.agency_id, func.count(), _sum(r.rating == "satisfied"))
                .join(T_D, d.id == r.dossier_id)
                .where(r.rated_at >= start, r.rated_at < end,
                       *self._filters(T_D, d.agency_id, agencies, None, d.procedure_code))
                .group_by(d.agency_id))
        return {row[0]: (int(row[1]), int(row[2])) for row in self.session.execute(stmt)}

    def with_complaints(self, start: datetime, end: datetime, as_of: datetime,
                        agencies: Sequence[str] | None) -> dict[str, int]:
        """Agency of the dossier -> how many dossiers received in [start, end) have at least one
        feedback case (R-7.2) linked to them (feedback.dossier_id) received before `as_of`. Each
        dossier counts once however many cases it has; feedback not about a dossier never counts."""
        f, d = T_FEEDBACK.c, T_D.c
        linked = select(f.id).where(f.dossier_id == d.id, f.received_at < as_of).exists()
        stmt = (select(d.agency_id, func.count())
                .where(d.received_at >= start, d.received_at < end, linked,
                       *self._filters(T_D, d.agency_id, agencies, None, d.procedure_code))
                .group_by(d.agency_id))
        return {row[0]: int(row[1]) for row in self.session.execute(stmt)}

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
