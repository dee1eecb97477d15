"""Late dossiers to act on (R-5.3, N-6): open dossiers past their appointment and those due within a
configurable number of working hours ("at risk": time left for an apology with a new appointment,
which must come at least 1 working day before the due instant), each with its open incidents, plus
the overdue steps. Agency heads see their agency's; the control office every agency's
(access.watch_scope).

"Past the appointment" is the appointment in force (`due_at`: the re-appointment if any); dossiers
waiting for the applicant's supplement are paused (N-4) and listed in neither.
Feedback unanswered past its 13 working days (R-7.2, engine/services/feedback.py) is listed beside
them, in the same scope.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.domain import access
from engine.domain.access import Official
from engine.domain.deadline import DeadlineBasis
from engine.domain.dossier_status import DossierStatus
from engine.persistence.rows import DossierRow

from .context import EngineContext
from .dossiers import TaskSummary, task_summary
from .errors import Forbidden, InvalidInput
from .feedback import WatchedFeedback, overdue_feedback
from .incidents import IncidentService, IncidentView

MAX_HOURS = 8 * 260  # a working year: a wider horizon is a typo


@dataclass(frozen=True)
class WatchedDossier:
    id: int
    code: str
    procedure_code: str
    agency_id: str
    status: str
    status_code: int  # N-8
    applicant_name: str | None
    received_at: datetime
    due_at: datetime  # the appointment in force
    reappointed: bool  # an apology already moved it (N-6: no second one)
    original_due_at: datetime | None  # the statutory appointment, when re-appointed
    hours_left: float  # working hours until due_at; negative: overdue by that much
    assigned_official: str | None = None
    incidents: list[IncidentView] = field(default_factory=list)  # open problems (incidents.IncidentService)


@dataclass(frozen=True)
class Watchlist:
    at: datetime
    within_hours: float
    agencies: list[str] | None  # None: every agency (control office)
    overdue: list[WatchedDossier]  # past due, most overdue first
    at_risk: list[WatchedDossier]  # due within `within_hours` working hours, soonest first
    overdue_steps: list[TaskSummary]  # ready tasks past their step deadline: the agencies' own, and other
    # agencies' steps in their dossiers (a consultation answered late, R-4.2)
    overdue_feedback: list[WatchedFeedback] = field(default_factory=list)  # unanswered past 13 working days


class WatchlistService:
    def __init__(self, ctx: EngineContext, incidents: IncidentService, default_hours: float = 8):
        self.ctx = ctx
        self.incidents = incidents
        self.default_hours = default_hours

    def late(self, user: Official, within_hours: float | None = None, limit: int = 500) -> Watchlist:
        """The watchlist for `user` now. Forbidden unless an agency head or oversight role;
        InvalidInput when `within_hours` is negative or beyond a working year."""
        try:
            scope = access.watch_scope(user)
        except access.NotAllowed as err:
            raise Forbidden(str(err)) from None
        hours = self.default_hours if within_hours is None else within_hours
        if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= MAX_HOURS:
            raise InvalidInput(f"within_hours is a number of working hours from 0 to {MAX_HOURS}",
                               [("within_hours", f"not between 0 and {MAX_HOURS}")])
        ctx = self.ctx
        now = ctx.clock.now()
        cal = ctx.calendars()
        agencies = set(scope) if scope is not None else None
        horizon = cal.add_working_hours(now, hours) if hours else now
        with ctx.uow(write=False) as uow:
            overdue_rows = uow.dossiers.open_past(now, agencies)[:limit]
            risk_rows = uow.dossiers.open_due_between(now, horizon, agencies)[:limit] if hours else []
            filters: dict[str, Any] = {}
            if agencies is not None:  # the agency's own steps, and consulted agencies' steps in its dossiers
                filters["involving"] = agencies
            steps, _ = uow.tasks.query(overdue_at=now, order="due", limit=limit, **filters)
            feedback = overdue_feedback(uow, agencies, now, cal, limit)
        # The open problems (one per dossier, kind and element) as the operators see them (issue 14).
        incidents = self.incidents.open_by_dossier([r.id for r in overdue_rows + risk_rows])
        return Watchlist(
            at=now, within_hours=float(hours), agencies=sorted(agencies) if agencies is not None else None,
            overdue=[_watched(r, now, cal, incidents.get(r.id, [])) for r in overdue_rows],
            at_risk=[_watched(r, now, cal, incidents.get(r.id, [])) for r in risk_rows],
            overdue_steps=[task_summary(t, code, proc, now) for t, code, proc in steps],
            overdue_feedback=feedback,
        )


def _watched(row: DossierRow, now: datetime, cal: Any, incidents: list[IncidentView]) -> WatchedDossier:
    basis = DeadlineBasis.from_json(row.due_basis) if row.due_basis else None
    reappointed = basis is not None and basis.reappointment is not None
    due = row.due_at
    return WatchedDossier(
        id=row.id, code=row.code, procedure_code=row.procedure_code, agency_id=row.agency_id, status=row.status,
        status_code=DossierStatus(row.status).national_code, applicant_name=row.applicant_name,
        received_at=row.received_at, due_at=due, reappointed=reappointed,
        original_due_at=basis.statutory_due(cal) if reappointed else None,
        hours_left=round(cal.working_hours_between(now, due), 2), assigned_official=row.assigned_official,
        incidents=incidents,
    )
