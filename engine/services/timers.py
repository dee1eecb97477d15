"""Firing due timers from the timer table, and moving deadlines after a calendar change.

Each dossier fires in its own transaction. On PostgreSQL the dossier row is locked with
``FOR UPDATE SKIP LOCKED``, so several scheduler processes share the work and never fire the same
dossier twice; on SQLite, writers are serialized by ``BEGIN IMMEDIATE``. The optimistic version
check on the dossier row is the last line of defence either way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine import logs
from engine.execution.dossier_workflow import ProcessError
from engine.execution.spiff_clock import reached
from engine.domain.deadline import DeadlineBasis

from .context import EngineContext
from .errors import Conflict
from .dossier_store import load_workflow, save, to_record
from .workflow_state import Snapshot

log = logging.getLogger(__name__)

BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=6)


def backoff(attempt: int) -> timedelta:
    """1, 2, 4, … minutes, at most 6 hours: a broken dossier is retried without hammering."""
    return min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_MAX)


@dataclass
class SweepReport:
    fired: list[str] = field(default_factory=list)  # dossier codes
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # locked by another process, or no longer due
    due: int = 0  # timers found due in the dossiers tried (fired or failed)
    delays: list[float] = field(default_factory=list)  # seconds from due time to firing, per timer fired


@dataclass
class RecalculationReport:
    timers_moved: int = 0
    tasks_moved: int = 0
    dossiers_moved: int = 0
    conflicts: int = 0


class TimerService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def fire_due(self, batch: int = 200, max_batches: int = 100) -> SweepReport:
        """Fire every timer due by the injected clock; one transaction per dossier. Each dossier
        fires at the clock's instant when its turn comes (its timers_fired event and the reported
        delays say when it really fired, not when the sweep began: issue 15's observed lateness)."""
        now = self.ctx.clock.now()
        report = SweepReport()
        tried: set[int] = set()  # dossiers skipped (locked elsewhere) stay due: do not loop on them
        for _ in range(max_batches):
            with self.ctx.uow(write=False) as uow:
                ids = [i for i in uow.timers.due_dossier_ids(now, batch + len(tried)) if i not in tried][:batch]
            if not ids:
                break
            for dossier_id in ids:
                tried.add(dossier_id)
                logs.isolated(self._fire_one, dossier_id, report)  # its dossier code is on its lines only
        return report

    def next_due(self) -> datetime | None:
        """When the earliest waiting timer is due (None: none waits): lets a driver with a manual
        clock (`motcua demo`) stop the clock at each timer, as the scheduler would fire it."""
        with self.ctx.uow(write=False) as uow:
            return uow.timers.next_due_at()

    def fire_dossier(self, dossier_id: int) -> SweepReport:
        """Fire one dossier's due timers now, exactly as a sweep would (an administrator's retry)."""
        report = SweepReport()
        self._fire_one(dossier_id, report)
        return report

    def _fire_one(self, dossier_id: int, report: SweepReport) -> None:
        ctx = self.ctx
        now = ctx.clock.now()  # not the sweep's start: the dossiers before this one took time
        code = str(dossier_id)
        try:
            with ctx.uow() as uow:
                dossier = uow.timers.lock_due_dossier(dossier_id, now)
                if dossier is None:
                    report.skipped += 1
                    return
                code = dossier.code
                logs.bind(dossier=code)
                record = to_record(dossier, ctx.lifecycle)
                dw = load_workflow(ctx, uow, record)
                before = Snapshot.of(dw)
                due = [t.due_at for t in before.timers.values() if reached(t.due_at, now)]
                report.due += len(due)
                dw.fire_due_timers()
                after = save(ctx, uow, record, dw, before, now, None).after
                still_due = [t.element_id for t in after.timers.values()
                             if reached(t.due_at, now) and t.task_id in before.timers]
                if still_due:
                    raise ProcessError(f"timer due at {now.isoformat()} did not fire", still_due[0])
                uow.incidents.resolve(dossier_id, now)
                uow.commit()
                report.fired.append(code)
                report.delays.extend((now - d).total_seconds() for d in due)
        except Conflict:
            report.skipped += 1  # an official saved the dossier meanwhile: next sweep
        except Exception as err:  # a broken dossier must not block the others
            incident = self._record_failure(dossier_id, now, err)
            logs.incident_recorded(log, incident, "timer", getattr(err, "element_id", None), err)
            report.failed.append(code)

    def _record_failure(self, dossier_id: int, now: datetime, err: Exception) -> int:
        element = getattr(err, "element_id", None)
        with self.ctx.uow() as uow:
            attempt = max((t.attempts for t in uow.timers.for_dossier(dossier_id)), default=0) + 1
            uow.timers.record_failure(dossier_id, now, now + backoff(attempt), f"{type(err).__name__}: {err}")
            incident = uow.incidents.add(dossier_id=dossier_id, element_id=element, kind="timer",
                                         error=f"{type(err).__name__}: {err}", occurred_at=now, attempt=attempt)
            uow.commit()
        return incident

    def recalculate(self) -> RecalculationReport:
        """Recompute working-time deadlines from what they were computed from (calendar changed).

        Bases are compared first, in one read: only dossiers with something to move are loaded.
        Each of those is then saved through the one write path (dossier_store.save: the aggregate's
        appointment and count start, its timers, its data's dates, with the compare-and-set on the
        dossier's version) in its own transaction, with its open steps' deadlines; a dossier
        changed meanwhile is retried. A second run finds nothing to move (idempotent).
        """
        ctx = self.ctx
        cal = ctx.calendars.get(reload=True)
        now = ctx.clock.now()
        report = RecalculationReport()
        candidates: set[int] = set()
        with ctx.uow(write=False) as uow:
            for dossier in uow.dossiers.open_with_due_basis():
                # pauses and the re-appointment are part of the basis, so they carry over
                basis = DeadlineBasis.from_json(dossier.due_basis)
                if (basis.due(cal), basis.started(cal)) != (dossier.due_at, dossier.started_at):
                    candidates.add(dossier.id)
            for task in uow.tasks.with_due_basis():
                if DeadlineBasis.from_json(task.due_basis).due(cal) != task.due_at:
                    candidates.add(task.dossier_id)
            for timer in uow.timers.with_basis():
                # a timer held or moved by a supplement pause differs too: save decides (N-4)
                if DeadlineBasis.from_json(timer.basis).due(cal) != timer.due_at:
                    candidates.add(timer.dossier_id)
        for dossier_id in sorted(candidates):
            self._recalculate_dossier(dossier_id, now, report)
        return report

    def _recalculate_dossier(self, dossier_id: int, now: datetime, report: RecalculationReport,
                             attempts: int = 3) -> None:
        ctx = self.ctx
        cal = ctx.calendars()
        for _ in range(attempts):
            try:
                with ctx.uow() as uow:
                    row = uow.dossiers.load(dossier_id)
                    if row is None:
                        return
                    record = to_record(row, ctx.lifecycle)
                    dw = load_workflow(ctx, uow, record)
                    before = Snapshot.of(dw)
                    for timer in before.timers.values():
                        if timer.basis:
                            dw.set_timer_due(timer.task_id, DeadlineBasis.from_json(timer.basis).due(cal))
                    tasks = {}
                    for task in uow.tasks.for_dossier(dossier_id):
                        due = DeadlineBasis.from_json(task.due_basis).due(cal) if task.due_basis else None
                        if due is not None and due != task.due_at:
                            tasks[task.task_id] = due
                    saved = save(ctx, uow, record, dw, before, now, None)
                    # save() may hold or move timers further (a supplement pause, N-4): keep what it decided.
                    timers = {tid: t.due_at for tid, t in saved.after.timers.items()
                              if tid in before.timers and t.due_at != before.timers[tid].due_at}
                    dates = {"due_at": record.dossier.due(cal), "started_at": record.dossier.started(cal)}
                    dossier_moved = row.completed_at is None and (dates["due_at"], dates["started_at"]) != (
                        row.due_at, row.started_at)
                    if not (timers or tasks or dossier_moved):
                        return  # nothing moved after all: no commit, no timeline event
                    for task_id, due in tasks.items():
                        uow.tasks.set_due(task_id, due)
                    detail: dict[str, Any] = {"timers": {tid: _iso(d, cal) for tid, d in timers.items()}}
                    if tasks:
                        detail["tasks"] = {tid: _iso(d, cal) for tid, d in tasks.items()}
                    if dossier_moved:
                        detail.update({k: _iso(v, cal) for k, v in dates.items()})
                    uow.dossiers.add_event(dossier_id, now, "deadlines_recalculated", None, detail)
                    uow.commit()
                report.timers_moved += len(timers)
                report.tasks_moved += len(tasks)
                report.dossiers_moved += int(dossier_moved)
                return
            except Conflict:
                report.conflicts += 1  # someone saved the dossier meanwhile: read it again


def _iso(t: datetime, cal: Any) -> str:
    return t.astimezone(cal.tz).isoformat()
