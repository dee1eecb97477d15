"""Dossier use cases: start on the version in effect, list ready tasks, complete a task."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, NoReturn

from engine import logs, metrics
from engine.domain import access
from engine.domain.access import Official, can_see_dossier
from engine.domain.dossier_code import format_dossier_code
from engine.domain.dossier import Dossier, LifecycleRefused
from engine.domain.feedback import PROCEDURE_CODE as FEEDBACK_PROCEDURE
from engine.domain.lifecycle_steps import is_feedback_procedure
from engine.domain.dossier_status import Channel
from engine.domain.roles import Role
from engine.domain.forwarding import forwarding_basis
from engine.domain.timeliness import classify, open_is_late
from engine.execution.dossier_workflow import DossierWorkflow, ProcessError, StartMessageNeeded
from engine.persistence.rows import DossierRow, TaskRow

from .back_entry import BackEntry
from .context import EngineContext
from .data_limits import check_data
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessFailure, lifecycle_error
from .dossier_store import DossierRecord, keep_dates_in_step, save, to_aggregate, to_record
from .lifecycle_effects import apply_task_effect
from .officials import check_assignee
from .workflow_state import EMPTY, Snapshot

log = logging.getLogger(__name__)

# Data every dossier starts with (docs/bpmn-conventions.md §4): neither a message nor a task's
# completion may overwrite it (a form-less task took any field, so scripts and timers reading
# dossier_code or due_at saw what the official typed).
RESERVED_FIELDS = frozenset({"dossier_code", "procedure_code", "competent_agency", "channel", "received_at",
                             "started_at", "due_at", "forward_by", "applicant"})


@dataclass(frozen=True)
class TaskSummary:
    task_id: str
    dossier_id: int
    dossier_code: str
    procedure_code: str
    element_id: str
    name: str
    lane: str | None
    form: str | None
    candidate_role: str
    candidate_agency: str
    assignee: str | None
    owner: str | None
    created_at: datetime
    due_at: datetime | None
    overdue: bool
    version: int


@dataclass(frozen=True)
class TaskDetail:
    task: TaskSummary
    form_schema: dict[str, Any] | None
    data: dict[str, Any]
    dossier: "DossierView"


@dataclass(frozen=True)
class TimelineEntry:
    task_id: str
    element_id: str
    name: str
    role: str
    agency: str
    who: str | None
    received_at: datetime
    due_at: datetime | None
    done_at: datetime | None
    timeliness: str | None  # early / on_time / late; open steps: late once past due
    back_entered: bool = False  # recorded after an outage, with its real time
    back_entry_reason: str | None = None


@dataclass(frozen=True)
class DossierView:
    id: int
    code: str
    procedure_code: str
    procedure_version: int
    agency_id: str
    channel: str
    status: str
    version: int
    received_at: datetime
    started_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    timeliness: str | None
    applicant: dict[str, Any]
    status_code: int = 0  # N-8 national status code
    channel_code: int = 0  # N-8 channel code
    outcome: str | None = None  # result, not_accepted, refused, stopped, withdrawn
    status_reason: str | None = None
    original_due_at: datetime | None = None  # the appointment before the re-appointment (N-6)
    reappointment: dict[str, Any] | None = None
    paused_since: datetime | None = None  # waiting for the applicant's supplement (N-4)
    supplements: int = 0
    pauses: list[dict[str, datetime]] = field(default_factory=list)
    timeliness_reappointed: str | None = None
    fee: dict[str, Any] | None = None
    result_ready_at: datetime | None = None
    returned_at: datetime | None = None
    return_channel: str | None = None
    tracking_number: str | None = None
    assigned_official: str | None = None  # chosen in an assignment task
    current_tasks: list[TaskSummary] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Completion:
    """What completing a task changed: the dossier's new state and what is ready next."""

    dossier_id: int
    dossier_code: str
    status: str
    version: int
    completed_task_id: str
    current_tasks: list[TaskSummary]


TaskCheck = Callable[[Any, Any], None]


class DossierService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    # ------------------------------------------------------------ start

    def start(
        self,
        procedure_code: str,
        applicant: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        channel: Channel | str = Channel.DESK,
        actor: str | None = None,
        received_at: datetime | None = None,
        start_message: str | None = None,
        back_entry_reason: str | None = None,
        registrar: Official | None = None,
        also: Callable[[Any, str], None] | None = None,
    ) -> DossierView:
        """Register a dossier on the version in effect at its receipt time (R-1.3, R-3.4, R-3.5).

        A procedure that starts by a message start event is started by the registration, as that
        message; `start_message` names it when the diagram has several (InvalidInput otherwise).

        R-9.3: `received_at` in the past is a back-dated entry: it needs `back_entry_reason`
        (InvalidInput otherwise, never a silent back-date); with a `registrar` it must be an agency
        head or one-stop officer of the procedure's agency (Forbidden). The dossier, its first
        tasks and the appointment then count from `received_at`, marked back-entered.

        `also(uow, code)` runs in the same transaction just before the commit (what the entrypoint
        keeps with the dossier); what it raises undoes the registration."""
        ctx = self.ctx
        if procedure_code == FEEDBACK_PROCEDURE:  # its cases are feedback, counted apart (feedback.py)
            raise InvalidInput(f"{FEEDBACK_PROCEDURE} is the feedback procedure: send feedback to /api/feedback "
                               "(officials) or /api/public/feedback (applicants)",
                               [("procedure_code", "the feedback procedure takes no dossiers")])
        check_data(data or {}, ctx.data_limits, "data")
        check_data(applicant or {}, ctx.data_limits, "applicant")
        now = ctx.clock.now()
        received_at = received_at or now
        if received_at.tzinfo is None:
            raise InvalidInput("received_at needs a time zone", [("received_at", "no offset")])
        if received_at > now:
            raise InvalidInput("a dossier cannot be received in the future", [("received_at", "in the future")])
        back_dated = received_at < now
        if not back_dated:  # a reason without a past time
            BackEntry.of(None, back_entry_reason, "received_at")
        channel = Channel(channel)
        cal = ctx.calendars()
        with ctx.uow() as uow:
            version = uow.procedures.in_effect(procedure_code, received_at)
            if version is None:
                raise NotFound(f"procedure {procedure_code!r} has no published version in effect at "
                               f"{received_at.isoformat()}")
            meta = version.meta
            if is_feedback_procedure(meta):  # whatever its code, its cases are feedback cases
                raise InvalidInput(f"{procedure_code} is a feedback procedure: its cases are feedback, not dossiers",
                                   [("procedure_code", "the feedback procedure takes no dossiers")])
            agency = meta["agency_id"]
            if back_dated and registrar is not None:  # who may, before what is missing (403 before 422)
                try:
                    access.check_back_entry(registrar, {agency})
                except access.NotAllowed as err:
                    raise Forbidden(str(err)) from None
            back_entry = BackEntry.of(received_at if back_dated else None, back_entry_reason, "received_at")
            receipt_day = received_at.astimezone(cal.tz).date()
            code = format_dossier_code(agency, receipt_day, uow.dossiers.next_sequence(agency, receipt_day))
            logs.bind(dossier=code)
            # N-1: the code is given at registration (online: at submission, to track it):
            # the appointment counts the statutory days from the next working time after reception.
            dossier = Dossier.register(code=code, procedure_code=procedure_code, agency_id=agency, channel=channel,
                                       received_at=received_at, statutory_days=int(meta["statutory_days"]),
                                       on_the_spot=bool(meta.get("result_on_the_spot")), policy=ctx.lifecycle,
                                       cutoff_hour=meta.get("cutoff_hour"))
            process = ctx.processes.get(uow, version.id)
            if not process.has_lifecycle("reception"):
                # No reception step drawn: registering at the desk is the reception (1 -> 2 -> 4).
                dossier.receive(received_at, cal)
            started_at, due_at = dossier.started(cal), dossier.due(cal)
            forward_by = forwarding_basis(received_at, channel, cal, ctx.lifecycle.forward_cutoff_hour,
                                          ctx.lifecycle.forward_hours).due(cal)
            wf_data = {
                **(data or {}),
                "dossier_code": code,
                "procedure_code": procedure_code,
                "competent_agency": agency,
                "channel": channel.value,
                "received_at": received_at.astimezone(cal.tz).isoformat(),
                "started_at": started_at.isoformat(),
                "due_at": due_at.isoformat(),
                "forward_by": forward_by.isoformat(),  # N-3: a timer can flag late forwarding
                "applicant": applicant or {},
            }
            try:
                dw = DossierWorkflow.start(process, ctx.script_engine, ctx.clock, wf_data, start_message)
            except StartMessageNeeded as err:
                raise InvalidInput(str(err), [("start_message", str(err))]) from None
            except ProcessError as err:
                raise ProcessFailure(f"procedure {procedure_code} failed at start: {err}",
                                     element_id=err.element_id) from None
            started_by = process.messages.get(dw.started_by or "")
            if started_by is not None and started_by.form:  # the registration is that message: its form applies
                problems = ctx.processes.info(uow, version.id).form(started_by.form).problems(data or {})
                if problems:
                    raise InvalidInput(f"the data of message {started_by.name!r} has {len(problems)} problem(s)",
                                       [(f"data.{f}" if f != "data" else f, m) for f, m in problems])
            record = DossierRecord(dossier, version.id, None, applicant or {}, actor)
            event = {"channel": channel.value, "version": version.number}
            if dw.started_by:
                event["message"] = dw.started_by
            if back_entry is not None:
                event.update(back_entered=True, back_entry_reason=back_entry.reason)
            try:  # a back-dated registration's first tasks were ready from its real time
                save(ctx, uow, record, dw, EMPTY, received_at, actor, event=("received", event))
            except ProcessError as err:
                raise ProcessFailure(str(err), element_id=err.element_id) from None
            if back_entry is not None:
                uow.dossiers.add_event(dossier.id, now, "back_entry", actor,
                                       back_entry.detail(cal.tz, step="registration"))
            if also is not None:
                also(uow, code)
            uow.commit()
        return self.get(dossier.id)

    def register(self, user: Official, procedure_code: str, applicant: dict[str, Any] | None = None,
                 data: dict[str, Any] | None = None, channel: Channel | str = Channel.DESK,
                 received_at: datetime | None = None, start_message: str | None = None,
                 back_entry_reason: str | None = None) -> DossierView:
        """Registration at the one-stop desk by `user` (R-2.1, R-3): Forbidden unless a one-stop
        officer; a past `received_at` is a back-dated entry (see `start`, R-9.3)."""
        if not user.has(Role.ONE_STOP_OFFICER):
            raise Forbidden("only one-stop desk officers register dossiers")
        return self.start(procedure_code, applicant=applicant, data=data, channel=channel, actor=user.username,
                          received_at=received_at, start_message=start_message,
                          back_entry_reason=back_entry_reason, registrar=user)

    # ------------------------------------------------------------ tasks

    def list_tasks(self, **filters: Any) -> tuple[list[TaskSummary], int]:
        now = self.ctx.clock.now()
        if filters.pop("overdue", False):
            filters["overdue_at"] = now
        with self.ctx.uow(write=False, single_read=True) as uow:  # one statement (or two past the end)
            rows, total = uow.tasks.query(**filters)
            return [task_summary(t, code, proc, now) for t, code, proc in rows], total

    def get_task(self, task_id: str, check: TaskCheck | None = None) -> TaskDetail:
        with self.ctx.uow(write=False) as uow:
            row = uow.tasks.get(task_id)
            if row is None:
                raise NotFound(f"task {task_id} is not waiting for anyone")
            dossier = uow.dossiers.load(row.dossier_id)
            if dossier is None:
                raise NotFound(f"task {task_id} is not waiting for anyone")
            if check:
                check(row, dossier)
            info = self.ctx.processes.info(uow, dossier.procedure_version_id)
            dw = DossierWorkflow.restore(info.process, dossier.state, self.ctx.script_engine, self.ctx.clock)
            data = dw.task_data(task_id)
            schema = info.form(row.form).schema
        summary = task_summary(row, dossier.code, dossier.procedure_code, self.ctx.clock.now())
        return TaskDetail(summary, schema, data, self.get(dossier.id))

    def complete_task(self, task_id: str, data: dict[str, Any], actor: str | None,
                      check: TaskCheck | None = None, expected_version: int | None = None,
                      back_entry: BackEntry | None = None) -> Completion:
        """Complete a ready task with validated form data (no access rule: officials go through
        TaskService.complete). Raises NotFound, InvalidInput (422), ProcessFailure, or Conflict when
        the task is not at `expected_version` or anyone changed the task (claim, assign, …) or its
        dossier between our read and our write: of two racing actions exactly one wins.

        `back_entry` (R-9.3): the step happened on paper at `back_entry.happened_at` (not before the
        task was ready, not in the future): it is completed, classified and its effects applied at
        that time, and marked back-entered with the reason on the timeline."""
        ctx = self.ctx
        check_data(data, ctx.data_limits, "data")
        now = ctx.clock.now()
        at = back_entry.happened_at if back_entry is not None else now
        with ctx.uow() as uow:
            found = uow.tasks.get_with_dossier(task_id)
            if found is None:
                not_ready(uow, task_id)
            row, dossier = found
            logs.bind(dossier=dossier.code, element=row.element_id)
            if check:
                check(row, dossier)
            if expected_version is not None and expected_version != row.version:
                raise Conflict(f"task {task_id} is at version {row.version}, not {expected_version}: reload it")
            if back_entry is not None:  # after the access rule: a caller without the right gets 403/404 first
                back_entry.check(now)
            if back_entry is not None and at < row.created_at:
                raise InvalidInput(f"the step cannot have been done before its task was ready "
                                   f"({row.created_at.astimezone(ctx.calendars().tz).isoformat()})",
                                   [("happened_at", "before the task was ready")])
            info = ctx.processes.info(uow, dossier.procedure_version_id)
            problems = info.form(row.form).problems(data)
            problems += [(name, "is set at registration and cannot be changed by a task")
                         for name in sorted(RESERVED_FIELDS & data.keys())] if isinstance(data, dict) else []
            if problems:
                raise InvalidInput(f"the form of task {row.name!r} has {len(problems)} problem(s)", problems)
            record = to_record(dossier, ctx.lifecycle)
            if record.dossier.closed:  # N-8: a closed dossier changes no more (its tasks were cancelled)
                raise Conflict(f"dossier {dossier.code} has ended (status {record.dossier.status.label}): "
                               "its tasks can no longer be completed")
            dw = DossierWorkflow.restore(info.process, dossier.state, ctx.script_engine, ctx.clock)
            before = Snapshot.of(dw)
            if task_id not in before.ready:
                raise Conflict(f"task {task_id} is no longer ready")
            effect = dw.task_lifecycle(task_id)
            if effect == "assignment":  # the form names an active official of the competent agency
                check_assignee(uow, data.get("official"), Role.OFFICIAL.value, dossier.agency_id, field="official")
            seen = {**dw.task_data(task_id), **data}  # what earlier forms said, e.g. the drafted notice
            try:
                apply_task_effect(record.dossier, effect, seen, at, ctx.calendars())
                keep_dates_in_step(record.dossier, dw, ctx.calendars())  # the next steps read what it moved
                dw.complete(task_id, data)
                saved = save(ctx, uow, record, dw, before, at, actor, acted_on=(task_id, row.version))
            except LifecycleRefused as err:
                raise lifecycle_error(err) from None
            except ProcessError as err:
                uow.rollback()
                self._incident(dossier.id, err, now)
                raise ProcessFailure(f"the procedure could not continue after {row.name!r}: {err}",
                                     element_id=err.element_id) from None
            uow.dossiers.add_step(
                dossier_id=dossier.id, task_id=task_id, element_id=row.element_id, name=row.name,
                candidate_role=row.candidate_role, candidate_agency=row.candidate_agency, completed_by=actor,
                created_at=row.created_at, due_at=row.due_at, completed_at=at,
                timeliness=_value(classify(at, row.due_at, ctx.calendars().tz)), data=data,
                back_entered=back_entry is not None, back_entry_reason=back_entry.reason if back_entry else None,
            )
            if back_entry is not None:
                uow.dossiers.add_event(dossier.id, now, "back_entry", actor, back_entry.detail(
                    ctx.calendars().tz, task_id=task_id, element_id=row.element_id, name=row.name))
            kept = [tid for tid in saved.after.ready if tid in before.ready]
            current = [new_task_row(r) for r in saved.new_tasks] + uow.tasks.rows(kept)
            uow.commit()
        metrics.task_completed(dossier.procedure_code)
        return Completion(
            dossier.id, dossier.code, saved.status or dossier.status, saved.version, task_id,
            [task_summary(t, dossier.code, dossier.procedure_code, now) for t in current],
        )

    def _incident(self, dossier_id: int, err: ProcessError, now: datetime) -> None:
        with self.ctx.uow() as uow:
            incident = uow.incidents.add(dossier_id=dossier_id, element_id=err.element_id, kind="task",
                                         error=str(err), occurred_at=now, attempt=1)
            uow.commit()
        logs.incident_recorded(log, incident, "task", err.element_id, err)

    # ------------------------------------------------------------ dossiers

    @staticmethod
    def check_visible(uow: Any, user: Official, dossier_id: int) -> DossierRow:
        """The dossier if `user` may see it; NotFound otherwise (other agencies' dossiers do not exist)."""
        d = uow.dossiers.load(dossier_id)
        if d is not None:
            agencies, users = uow.dossiers.involved(dossier_id)
            if can_see_dossier(user, d.agency_id, agencies, users | {d.created_by or ""}):
                return d
        raise NotFound(f"dossier {dossier_id} does not exist")

    def get_for(self, user: Official, dossier_id: int) -> DossierView:
        with self.ctx.uow(write=False) as uow:
            self.check_visible(uow, user, dossier_id)
        return self.get(dossier_id)

    def get(self, dossier_id: int | None = None, code: str | None = None) -> DossierView:
        """The dossier view (the one read model of a dossier: API, slips and the CLI build on it)."""
        ctx = self.ctx
        now = ctx.clock.now()
        cal = ctx.calendars()
        with ctx.uow(write=False) as uow:
            row = uow.dossiers.load(dossier_id, code)
            if row is None:
                raise NotFound(f"dossier {code or dossier_id} does not exist")
            d = to_aggregate(row, ctx.lifecycle)
            number = ctx.processes.info(uow, row.procedure_version_id).number  # cached per version
            ready = uow.tasks.for_dossier(d.id)
            steps = uow.dossiers.steps(d.id)
            timeline = [
                TimelineEntry(s.task_id, s.element_id, s.name, s.candidate_role, s.candidate_agency,
                              s.completed_by, s.created_at, s.due_at, s.completed_at, s.timeliness,
                              bool(s.back_entered), s.back_entry_reason)
                for s in steps
            ] + [
                TimelineEntry(t.task_id, t.element_id, t.name, t.candidate_role, t.candidate_agency,
                              t.assignee, t.created_at, t.due_at, None,
                              "late" if open_is_late(now, t.due_at) else None)
                for t in sorted(ready, key=lambda t: t.created_at)
            ]
            if d.ended:
                timeliness = _value(d.timeliness)
            else:
                timeliness = "late" if d.is_late(now, cal) else None
            re = d.basis.reappointment
            return DossierView(
                id=d.id, code=d.code, procedure_code=d.procedure_code, procedure_version=number,
                agency_id=d.agency_id, channel=d.channel.value, status=d.status.value, version=d.version,
                received_at=d.received_at, started_at=row.started_at, due_at=row.due_at,
                completed_at=d.completed_at, timeliness=timeliness, applicant=row.applicant,
                status_code=d.status.national_code, channel_code=d.channel.national_code,
                outcome=_value(d.outcome), status_reason=d.status_reason,
                original_due_at=d.basis.statutory_due(cal) if re is not None else None,
                reappointment=re.to_json() if re is not None else None,
                paused_since=d.paused_since, supplements=d.supplements,
                pauses=[{"from": a, "to": b} for a, b in d.basis.pauses],
                timeliness_reappointed=_value(d.timeliness_reappointed),
                fee=d.fee.to_json() if d.fee else None,
                result_ready_at=d.result_ready_at, returned_at=d.returned_at, return_channel=d.return_channel,
                tracking_number=d.tracking_number, assigned_official=d.assigned_official,
                current_tasks=[task_summary(t, d.code, d.procedure_code, now) for t in ready],
                timeline=timeline,
                events=[{"at": e.at, "kind": e.kind, "actor": e.actor, "detail": e.detail}
                        for e in uow.dossiers.events(d.id)],
                incidents=[{"id": i.id, "at": i.occurred_at, "element_id": i.element_id, "kind": i.kind,
                            "error": i.error,
                            "attempt": i.attempt, "resolved_at": i.resolved_at}
                           for i in uow.incidents.for_dossier(d.id)],
            )


def not_ready(uow: Any, task_id: str) -> NoReturn:
    """A task that is not ready: Conflict if it was completed (a racing action lost), else NotFound."""
    if uow.dossiers.step_done(task_id):
        raise Conflict(f"task {task_id} was already completed")
    raise NotFound(f"task {task_id} is not waiting for anyone")


def _value(t: Any) -> str | None:
    return t.value if t is not None else None


def new_task_row(values: dict[str, Any]) -> TaskRow:
    """The row of a task just inserted (unclaimed, or pre-assigned to the dossier's assigned official)."""
    return TaskRow(**{"assignee": None, "owner": None, **values})


def task_summary(t: TaskRow, dossier_code: str, procedure_code: str, now: datetime) -> TaskSummary:
    return TaskSummary(
        task_id=t.task_id, dossier_id=t.dossier_id, dossier_code=dossier_code, procedure_code=procedure_code,
        element_id=t.element_id, name=t.name, lane=t.lane, form=t.form, candidate_role=t.candidate_role,
        candidate_agency=t.candidate_agency, assignee=t.assignee, owner=t.owner, created_at=t.created_at,
        due_at=t.due_at, overdue=open_is_late(now, t.due_at), version=t.version,
    )
