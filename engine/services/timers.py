"""Firing due timers from the timer table (moving deadlines after a calendar change: recalculation.py).

Each dossier fires in its own transaction. On PostgreSQL the dossier row is locked with
``FOR UPDATE SKIP LOCKED``, so several scheduler processes share the work and never fire the same
dossier twice; on SQLite, writers are serialized by ``BEGIN IMMEDIATE``. The optimistic version
check on the dossier row is the last line of defence either way.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from engine import logs
from engine.execution.dossier_workflow import ProcessError
from engine.execution.spiff_clock import reached

from . import recalculation
from .context import EngineContext
from .errors import Conflict
from .dossier_store import load_workflow, save, to_record
from .recalculation import RecalculationReport
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

    def recalculate(self, batch: int = recalculation.BATCH,
                    progress: recalculation.Progress | None = None) -> RecalculationReport:
        """Move the deadlines a calendar change moves (engine/services/recalculation.py)."""
        return recalculation.recalculate(self.ctx, batch, progress)
