"""The one write path of a dossier: registration and every later change are saved here.

`save` writes, in the caller's transaction and after the optimistic version check on the dossier
row: the workflow state, the lifecycle aggregate's fields (status, deadline basis, pauses, fee,
outcome, stored classification), the ready-task and timer rows, the dossier's events and the
outbox rows of its status changes (N-8, R-9.5) and notices (R-3.1, N-6). The caller commits.

It also makes the rules hold whatever a diagram draws: a process that ends while the dossier is in
handling marks it processed (9); one that ends at reception leaves it not accepted (3, the
guidance given); a dossier that ended by a rule (refused, stopped, withdrawn) has its process
cancelled, so no task of it stays in anyone's inbox (a processed one, 9, still returns its result).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.domain.deadline import DeadlineBasis, timer_due_under_pauses
from engine.domain.dossier import (
    IN_HANDLING,
    Dossier,
    Fee,
    LifecyclePolicy,
    Notice,
    Outcome,
    Recorded,
    StatusChanged,
)
from engine.domain.dossier_status import Channel, DossierStatus
from engine.domain.search_text import fold
from engine.domain.timeliness import Timeliness
from engine.execution.dossier_workflow import DossierWorkflow, ProcessError
from engine.persistence.rows import DossierRow
from engine.persistence.unit_of_work import UnitOfWork

from .context import EngineContext
from .errors import Conflict
from .workflow_state import Snapshot, write_rows

S = DossierStatus


@dataclass
class DossierRecord:
    """A dossier as loaded for a change: its aggregate and the row's bookkeeping."""

    dossier: Dossier
    procedure_version_id: int
    state: str | None  # SpiffWorkflow state as loaded (None before the first save)
    applicant: dict[str, Any] = field(default_factory=dict)
    created_by: str | None = None

    @property
    def id(self) -> int | None:
        return self.dossier.id

    @property
    def code(self) -> str:
        return self.dossier.code

    @property
    def agency_id(self) -> str:
        return self.dossier.agency_id

    @property
    def status(self) -> str:
        return self.dossier.status.value

    @property
    def version(self) -> int:
        return self.dossier.version

    @property
    def procedure_code(self) -> str:
        return self.dossier.procedure_code


def to_aggregate(row: DossierRow, policy: LifecyclePolicy) -> Dossier:
    return Dossier(
        id=row.id, code=row.code, procedure_code=row.procedure_code, agency_id=row.agency_id,
        channel=Channel(row.channel), status=DossierStatus(row.status), received_at=row.received_at,
        basis=(DeadlineBasis.from_json(row.due_basis) if row.due_basis
               else DeadlineBasis(row.received_at, working_days=0)),
        on_the_spot=bool(row.on_the_spot), version=row.version, completed_at=row.completed_at,
        outcome=Outcome(row.outcome) if row.outcome else None, status_reason=row.status_reason,
        timeliness=Timeliness(row.timeliness) if row.timeliness else None,
        timeliness_reappointed=Timeliness(row.timeliness_reappointed) if row.timeliness_reappointed else None,
        paused_since=row.paused_since, supplements=row.supplements or 0, forced_late=bool(row.forced_late),
        fee=Fee.from_json(row.fee), result_ready_at=row.result_ready_at, returned_at=row.returned_at,
        return_channel=row.return_channel, tracking_number=row.tracking_number,
        assigned_official=row.assigned_official, policy=policy,
    )


def to_record(row: DossierRow, policy: LifecyclePolicy) -> DossierRecord:
    return DossierRecord(to_aggregate(row, policy), row.procedure_version_id, row.state, row.applicant or {},
                         row.created_by)


def load_record(ctx: EngineContext, uow: UnitOfWork, dossier_id: int | None = None,
                code: str | None = None) -> DossierRecord | None:
    row = uow.dossiers.load(dossier_id, code)
    return to_record(row, ctx.lifecycle) if row is not None else None


def load_workflow(ctx: EngineContext, uow: UnitOfWork, record: DossierRecord | DossierRow) -> DossierWorkflow:
    process = ctx.processes.get(uow, record.procedure_version_id)
    return DossierWorkflow.restore(process, record.state, ctx.script_engine, ctx.clock)


@dataclass(frozen=True)
class Saved:
    after: Snapshot
    new_tasks: list[dict[str, Any]]  # ready-task rows inserted
    status: str | None  # the dossier's new status, if it changed
    version: int


def save(ctx: EngineContext, uow: UnitOfWork, record: DossierRecord, dw: DossierWorkflow, before: Snapshot,
         now: datetime, actor: str | None, acted_on: tuple[str, int] | None = None,
         event: tuple[str, dict[str, Any]] | None = None) -> Saved:
    """Save the dossier after a change (module docstring). Raises Conflict if it changed since it
    was loaded, or if `acted_on` (task id, version) is no longer at that version; ProcessError when
    a diagram ends while the dossier waits for the applicant (a supplement or a fee). The caller
    must not commit after either. `event`: (kind, detail) of the operation, recorded first on the
    dossier's timeline (e.g. "received" at registration)."""
    d = record.dossier
    cal = ctx.calendars()
    if dw.completed and d.status in (S.NEW, *IN_HANDLING) and not d.ended:
        _end_of_process(d, now, cal)
    elif d.closed and not dw.completed:
        dw.cancel()
    hold_paused_timers(d, dw, cal)
    keep_dates_in_step(d, dw, cal)
    after = Snapshot.of(dw)
    values = _columns(d, cal)
    values.update(state=dw.dump(), updated_at=now)
    if d.id is None:
        values.update(applicant=record.applicant, created_by=record.created_by,
                      procedure_version_id=record.procedure_version_id, version=1,
                      applicant_name=_applicant_name(record.applicant),
                      applicant_name_key=_name_key(record.applicant),
                      applicant_id_number=_applicant_id(record.applicant))
        d.id = uow.dossiers.add(**values)
        d.version = 1
    else:
        # First statement of the transaction on this dossier: takes its row lock (PostgreSQL) and
        # fails if anyone saved since we loaded.
        if not uow.dossiers.save_state(d.id, d.version, **values):
            raise Conflict(f"dossier {d.code} was changed by someone else; reload and try again")
        d.version += 1
    if event is not None:
        uow.dossiers.add_event(d.id, now, event[0], actor, event[1])
    new_tasks = write_rows(ctx, uow, d, dw, before, after, now, actor, acted_on)
    changed = _write_events(uow, d, now, actor, cal)
    return Saved(after, new_tasks, d.status.value if changed else None, d.version)


def _end_of_process(d: Dossier, now: datetime, cal: Any) -> None:
    if d.status is S.NEW:  # the diagram ended at reception: guided to supplement, not received
        d.refuse_reception(now, "not received: guidance to supplement was given at reception (R-3.2)")
    elif d.status is S.PROCESSING:
        d.mark_result_ready(now, cal)
    else:
        waits = "a supplement from the applicant" if d.status is S.SUPPLEMENT_REQUESTED else "the fee to be paid"
        raise ProcessError(f"the process ended while the dossier waits for {waits} (status {d.status.label}): "
                           "the diagram must wait for it before its end")


def _columns(d: Dossier, cal: Any) -> dict[str, Any]:
    return {
        "code": d.code, "procedure_code": d.procedure_code, "agency_id": d.agency_id,
        "channel": d.channel.value, "status": d.status.value, "received_at": d.received_at,
        "started_at": d.started(cal), "due_at": d.due(cal), "due_basis": d.basis.to_json(),
        "completed_at": d.completed_at, "on_the_spot": d.on_the_spot,
        "outcome": d.outcome.value if d.outcome else None, "status_reason": d.status_reason,
        "timeliness": d.timeliness.value if d.timeliness else None,
        "timeliness_reappointed": d.timeliness_reappointed.value if d.timeliness_reappointed else None,
        "paused_since": d.paused_since, "supplements": d.supplements, "forced_late": d.forced_late,
        "fee": d.fee.to_json() if d.fee else None, "result_ready_at": d.result_ready_at,
        "returned_at": d.returned_at, "return_channel": d.return_channel, "tracking_number": d.tracking_number,
        "assigned_official": d.assigned_official,
    }


def _write_events(uow: UnitOfWork, d: Dossier, now: datetime, actor: str | None, cal: Any) -> bool:
    """Write the aggregate's pending events; True if the status changed."""
    outbox: list[dict[str, Any]] = []
    changed = False
    for event in d.drain():
        if isinstance(event, StatusChanged):
            changed = True
            detail = event.detail()
            uow.dossiers.add_event(d.id, event.at, "status", actor, detail)
            outbox.append(_out("portal", "status", d, event.at, now, {
                **detail, "procedure_code": d.procedure_code, "agency_id": d.agency_id,
                "at": event.at.astimezone(cal.tz).isoformat()}))
        elif isinstance(event, Notice):
            uow.dossiers.add_event(d.id, event.at, f"notice.{event.kind.value}", actor, event.detail)
            outbox.append(_out("notification", event.kind.value, d, event.at, now,
                               {**event.detail, "at": event.at.astimezone(cal.tz).isoformat()}))
        elif isinstance(event, Recorded):
            uow.dossiers.add_event(d.id, event.at, event.kind, actor, event.detail)
            if event.kind == "supplemented":
                _pause_open_steps(uow, d, event, cal)
    uow.outbox.add(outbox)
    return changed


def _pause_open_steps(uow: UnitOfWork, d: Dossier, event: Recorded, cal: Any) -> None:
    """N-4: the open steps' deadlines move by the paused working time too."""
    pause = (datetime.fromisoformat(event.detail["paused_from"]), event.at)
    for task in uow.tasks.for_dossier(d.id):  # type: ignore[arg-type]
        if task.due_basis:
            basis = DeadlineBasis.from_json(task.due_basis)
            basis = DeadlineBasis(basis.start, basis.working_hours, basis.working_days,
                                  basis.pauses + (pause,), basis.reappointment)
            uow.tasks.set_due(task.task_id, basis.due(cal), basis.to_json())


def keep_dates_in_step(d: Dossier, dw: DossierWorkflow, cal: Any) -> None:
    """Give the diagram's data the dossier's count start and appointment in force (`started_at`,
    `due_at`: ISO, province time), so a gateway or script reading them after a supplement pause
    (N-4), an apology (N-6), an online reception (R-3.4) or a calendar change decides on the row's
    values, not registration's. `save` does it; a step whose lifecycle effect moves them calls it
    before the workflow runs on, so the steps right after it read the new values too."""
    dw.set_dossier_fields({"started_at": d.started(cal).astimezone(cal.tz).isoformat(),
                           "due_at": d.due(cal).astimezone(cal.tz).isoformat()})


def hold_paused_timers(d: Dossier, dw: DossierWorkflow, cal: Any) -> None:
    """What `save` does to the waiting deadline timers of a dossier under a supplement pause
    (N-4); public for a caller that must know before saving whether a timer moves (recalculation)."""
    if d.basis.pauses or d.paused_since is not None:
        _pause_deadline_timers(d, dw, cal)


def _pause_deadline_timers(d: Dossier, dw: DossierWorkflow, cal: Any) -> None:
    """N-4: the waiting deadline timers (those with a working-time basis) hold while the applicant
    supplements and move on by the paused working time after (timer_due_under_pauses); the rows
    follow through write_rows, as any moved timer does."""
    for timer in dw.waiting_timers():
        if not timer.basis:
            continue
        due = timer_due_under_pauses(DeadlineBasis.from_json(timer.basis), d.basis.pauses, d.paused_since, cal)
        if due != timer.due_at:
            dw.set_timer_due(timer.task_id, due)


def _out(topic: str, kind: str, d: Dossier, at: datetime, now: datetime, payload: dict[str, Any]) -> dict[str, Any]:
    return {"topic": topic, "kind": kind, "dossier_id": d.id, "dossier_code": d.code, "at": at,
            "payload": {"dossier_code": d.code, **payload}, "attempts": 0}


def _applicant_name(applicant: dict[str, Any]) -> str | None:
    name = applicant.get("name") if isinstance(applicant, dict) else None
    return name.strip()[:255] if isinstance(name, str) and name.strip() else None


def _name_key(applicant: dict[str, Any]) -> str | None:
    """R-7.1: the name as searched (search_text.fold: no case, no diacritics)."""
    name = _applicant_name(applicant)
    return fold(name)[:255] if name else None


def _applicant_id(applicant: dict[str, Any]) -> str | None:
    number = applicant.get("id_number") if isinstance(applicant, dict) else None
    return number if isinstance(number, str) and len(number) == 12 and number.isdigit() else None
