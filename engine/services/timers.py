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
        """Fire every timer due by the injected clock; one transaction per dossier."""
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
                logs.isolated(self._fire_one, dossier_id, now, report)  # its dossier code is on its lines only
        return report

    def next_due(self) -> datetime | None:
        """When the earliest waiting timer is due (None: none waits): lets a driver with a manual
        clock (`motcua demo`) stop the clock at each timer, as the scheduler would fire it."""
        with self.ctx.uow(write=False) as uow:
            return uow.timers.next_due_at()

    def fire_dossier(self, dossier_id: int) -> SweepReport:
        """Fire one dossier's due timers now, exactly as a sweep would (an administrator's retry)."""
        report = SweepReport()
        self._fire_one(dossier_id, self.ctx.clock.now(), report)
        return report

    def _fire_one(self, dossier_id: int, now: datetime, report: SweepReport) -> None:
        ctx = self.ctx
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
        """Recompute working-time deadlines from what they were computed from (calendar changed)."""
        ctx = self.ctx
        cal = ctx.calendars.get(reload=True)
        now = ctx.clock.now()
        report = RecalculationReport()
        # Dossiers and steps first: saving a dossier whose timers move recomputes its appointment too.
        with ctx.uow() as uow:
            for task in uow.tasks.with_due_basis():
                due = DeadlineBasis.from_json(task.due_basis).due(cal)
                if due != task.due_at:
                    uow.tasks.set_due(task.task_id, due)
                    report.tasks_moved += 1
            for dossier in uow.dossiers.open_with_due_basis():
                # pauses and the re-appointment are part of the basis, so they carry over
                basis = DeadlineBasis.from_json(dossier.due_basis)
                due, started = basis.due(cal), basis.started(cal)
                if due != dossier.due_at or started != dossier.started_at:
                    uow.dossiers.update_due(dossier.id, due, started)
                    report.dossiers_moved += 1
            uow.commit()
        with ctx.uow(write=False) as uow:
            by_dossier: dict[int, list[Any]] = {}
            for t in uow.timers.with_basis():
                by_dossier.setdefault(t.dossier_id, []).append((t.task_id, t.basis, t.due_at))
        for dossier_id, timers in by_dossier.items():
            moves = {}
            for task_id, basis, due in timers:
                new_due = DeadlineBasis.from_json(basis).due(cal)
                if new_due != due:
                    moves[task_id] = new_due
            if moves:
                report.timers_moved += self._move_timers(dossier_id, moves, now, report)
        return report

    def _move_timers(self, dossier_id: int, moves: dict[str, datetime], now: datetime,
                     report: RecalculationReport, attempts: int = 3) -> int:
        for _ in range(attempts):
            try:
                with self.ctx.uow() as uow:
                    record = to_record(uow.dossiers.load(dossier_id), self.ctx.lifecycle)
                    dw = load_workflow(self.ctx, uow, record)
                    before = Snapshot.of(dw)
                    present = {tid: due for tid, due in moves.items() if tid in before.timers}
                    for tid, due in present.items():
                        dw.set_timer_due(tid, due)
                    saved = save(self.ctx, uow, record, dw, before, now, None)
                    # save() may hold or move them further (a supplement pause, N-4): keep what it decided.
                    present = {tid: saved.after.timers[tid].due_at for tid in present
                               if tid in saved.after.timers
                               and saved.after.timers[tid].due_at != before.timers[tid].due_at}
                    if not present:
                        return 0  # nothing moved after all: no commit, no timeline event
                    for row in uow.timers.for_dossier(dossier_id):
                        if row.task_id in present:
                            uow.timers.set_due(row.id, present[row.task_id])
                    uow.dossiers.add_event(dossier_id, now, "deadlines_recalculated", None,
                                           {"timers": {tid: d.isoformat() for tid, d in present.items()}})
                    uow.commit()
                    return len(present)
            except Conflict:
                report.conflicts += 1
        return 0
