"""Incidents for operators: list, show, retry now, resolve with a note (R-9.1: stable, continuous).

An incident is a step of a dossier that failed at run time (engine/services: nothing is saved):
- `timer`: the sweep fired a due timer and the step after it failed; the timer stays due and is
  retried with backoff (timers.backoff), one incident row per attempt;
- `task` / `message`: an official's completion or a delivered message made the procedure fail;
  the task or the wait is still there, so the retry is the official's (doing it again).

Operators see one *problem* per dossier, kind and element: its latest row, open since its first.
A problem closes when the timer fires (the sweep) or by hand with a note (`resolve`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Iterable

from engine.domain import administration as rules
from engine.domain.access import Official
from engine.persistence.rows import IncidentRow

from .account_admin import rule
from .change_audit import record_change
from .context import EngineContext
from .errors import Conflict, InvalidInput, NotFound
from .timers import TimerService

MAX_NOTE = 2000
_AGE = re.compile(r"^\s*(\d{1,6})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_age(text: str, field: str = "older_than") -> timedelta:
    """"45m", "2h", "3d" (minutes, hours, days of elapsed time). Raises InvalidInput naming `field`."""
    m = _AGE.match(text or "")
    if not m:
        raise InvalidInput(f"{text!r} is not an age", [(field, "a whole number of minutes, hours or days: 45m, 2h, 3d")])
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


@dataclass(frozen=True)
class IncidentView:
    id: int  # the latest row of the problem
    dossier_id: int
    dossier_code: str
    agency_id: str
    procedure_code: str
    element_id: str | None
    kind: str
    error: str  # of the latest attempt
    attempt: int
    occurred_at: datetime  # the latest attempt
    since: datetime  # the first attempt still open
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    next_retry_at: datetime | None  # timers only: when the sweep tries again


@dataclass(frozen=True)
class Attempt:
    id: int
    attempt: int
    at: datetime
    error: str
    resolved_at: datetime | None


@dataclass(frozen=True)
class TimerState:
    element_id: str
    due_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class IncidentDetail:
    incident: IncidentView
    dossier_status: str
    attempts: list[Attempt]  # every row of the problem, oldest first
    timers: list[TimerState]  # the dossier's waiting timers


@dataclass(frozen=True)
class RetryOutcome:
    incident_id: int
    dossier_code: str
    outcome: str  # "fired" (the step went through: resolved), "failed" (a new attempt), "pending" (the sweep has it)
    incident: IncidentView | None  # the problem after the retry (None when it closed)


class IncidentService:
    def __init__(self, ctx: EngineContext, timers: TimerService):
        self.ctx = ctx
        self.timers = timers

    def list(self, user: Official, agency: str | None = None, procedure: str | None = None,
             older_than: timedelta | None = None, limit: int = 50, offset: int = 0) -> tuple[list[IncidentView], int]:
        """Open problems, oldest first, and their total; `older_than`: open for at least that long.
        Raises Forbidden (not an administrator; an agency administrator asking for another agency)."""
        agency = rule(rules.check_list, user, agency, what="incident")
        since_before = self.ctx.clock.now() - older_than if older_than is not None else None
        with self.ctx.uow(write=False) as uow:
            rows, total = uow.incidents.open_problems(agency, procedure, since_before, limit=limit, offset=offset)
            return [self._view(uow, r) for r in rows], total

    def show(self, user: Official, incident_id: int) -> IncidentDetail:
        """An incident with every attempt of its problem and the dossier's timers. Raises Forbidden,
        NotFound (no such incident, or another agency's for an agency administrator)."""
        with self.ctx.uow(write=False) as uow:
            row = self._visible(uow, user, incident_id)
            attempts = uow.incidents.same_problem(row)
            open_rows = [a for a in attempts if a.resolved_at is None]
            row = replace(row, since=min((a.occurred_at for a in open_rows), default=row.occurred_at))
            return IncidentDetail(
                self._view(uow, row), row.dossier_status,
                [Attempt(a.id, a.attempt, a.occurred_at, a.error, a.resolved_at) for a in attempts],
                [TimerState(t.element_id, t.due_at, t.attempts, t.next_attempt_at, t.last_error)
                 for t in sorted(uow.timers.for_dossier(row.dossier_id), key=lambda t: t.due_at)])

    def retry(self, user: Official, incident_id: int, request_id: str = "") -> RetryOutcome:
        """Retry a timer incident now: its failed timers become due at once and fire through the
        sweep's own path (TimerService, workflow_state.save_workflow). Raises Forbidden, NotFound,
        Conflict (resolved already; a task or message incident, which the official retries by acting
        again; no failed timer left to fire: the dossier moved on, resolve it with a note)."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            incident = row = self._visible(uow, user, incident_id)
            if incident.resolved_at is not None:
                raise Conflict(f"incident {incident_id} is resolved already")
            if incident.kind != "timer":
                raise Conflict(f"a {incident.kind} incident is retried by doing the action again (nothing was saved "
                               "when it failed): the official completes the task or delivers the message again; "
                               "then resolve the incident with a note")
            if not uow.timers.retry_now(incident.dossier_id, now):
                raise Conflict(f"dossier {row.dossier_code} has no failed timer waiting any more (it moved on): "
                               "resolve the incident with a note")
            record_change(uow, now, user, "incident.retry", f"incidents/{incident_id}", request_id,
                          {"dossier": row.dossier_code, "element_id": incident.element_id})
            uow.commit()
        report = self.timers.fire_dossier(incident.dossier_id)
        outcome = "fired" if report.fired else "failed" if report.failed else "pending"
        with self.ctx.uow(write=False) as uow:
            problems, _ = uow.incidents.open_problems(dossier_ids=[incident.dossier_id], limit=None)
            now_open = [self._view(uow, p) for p in problems
                        if (p.kind, p.element_id) == ("timer", incident.element_id)]
        return RetryOutcome(incident_id, row.dossier_code, outcome, now_open[0] if now_open else None)

    def resolve(self, user: Official, incident_id: int, note: str, request_id: str = "") -> IncidentView:
        """Close the incident's problem (every open attempt) with who and why. A timer that is still
        failing will record a new incident at its next attempt. Raises InvalidInput (`note` empty or
        too long), Forbidden, NotFound, Conflict (resolved already)."""
        note = (note or "").strip()
        if not note or len(note) > MAX_NOTE or "\x00" in note:
            raise InvalidInput("a resolution needs a note", [("note", f"1 to {MAX_NOTE} characters saying what was done")])
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = self._visible(uow, user, incident_id)
            if row.resolved_at is not None or not uow.incidents.resolve_problem(row, now, user.username, note):
                raise Conflict(f"incident {incident_id} is resolved already")
            record_change(uow, now, user, "incident.resolve", f"incidents/{incident_id}", request_id,
                          {"dossier": row.dossier_code, "note": note})
            uow.commit()
        return self.show(user, incident_id).incident

    def open_by_dossier(self, dossier_ids: Iterable[int]) -> dict[int, list[IncidentView]]:
        """Open problems of these dossiers, for lists that show them beside each dossier (the
        overdue lists): no access rule here, the caller has decided who sees the dossiers."""
        ids = sorted(set(dossier_ids))
        out: dict[int, list[IncidentView]] = {}
        if not ids:
            return out
        with self.ctx.uow(write=False) as uow:
            rows, _ = uow.incidents.open_problems(dossier_ids=ids, limit=None)  # each shown: none cut
            for r in rows:
                out.setdefault(r.dossier_id, []).append(self._view(uow, r))
        return out

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _visible(uow: Any, user: Official, incident_id: int) -> IncidentRow:
        rule(rules.administered_agency, user, what="incident")
        row = uow.incidents.get(incident_id)
        if row is None:
            raise NotFound(f"no incident {incident_id}")
        rule(rules.check_see, user, row.agency_id, what="incident")
        return row

    @staticmethod
    def _view(uow: Any, i: IncidentRow) -> IncidentView:
        next_retry = None
        if i.kind == "timer" and i.resolved_at is None:
            waits = [t.next_attempt_at for t in uow.timers.for_dossier(i.dossier_id)
                     if t.attempts > 0 and t.next_attempt_at is not None]
            next_retry = min(waits, default=None)
        return IncidentView(i.id, i.dossier_id, i.dossier_code, i.agency_id, i.procedure_code, i.element_id,
                            i.kind, i.error, i.attempt, i.occurred_at, i.since or i.occurred_at,
                            i.resolved_at, i.resolved_by, i.resolution_note, next_retry)
