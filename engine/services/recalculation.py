"""Moving working-time deadlines after a calendar change (`motcua timers recalculate`).

A newly announced day off (or a changed working day) moves every deadline computed across it: a
dossier's appointment and count start, its open steps' deadlines, its timers (the statutory
deadlines of R-3.3; a re-appointment and supplement pauses are part of the basis, N-4, N-6).

How it runs, and why it is safe to run again or to interrupt:
- Bases are compared first, in one read of a few columns per row (no workflow state): only the
  dossiers with something to move are candidates.
- Candidates are saved in batches of `batch` dossiers, one transaction per batch, each dossier
  through the one write path (dossier_store.save: the compare-and-set on its version) with one
  `deadlines_recalculated` event. If anything in a batch fails (someone saved one of its dossiers
  meanwhile: Conflict), the batch is rolled back whole and its dossiers are redone one transaction
  each, a Conflict read again and retried; a dossier that still cannot be saved is reported
  failed and the others go on.
- A batch is all or nothing, so a run that dies half way has moved whole dossiers only, each with
  its event: a second run compares again and moves exactly the rest (nothing twice).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from engine.domain.deadline import DeadlineBasis
from engine.persistence.unit_of_work import UnitOfWork

from .context import EngineContext
from .dossier_store import hold_paused_timers, load_workflow, save, to_record
from .errors import Conflict
from .workflow_state import Snapshot

log = logging.getLogger(__name__)

BATCH = 50  # dossiers per transaction: commits amortised; PostgreSQL row locks held well under a second


@dataclass
class RecalculationReport:
    timers_moved: int = 0
    tasks_moved: int = 0
    dossiers_moved: int = 0  # dossiers whose appointment or count start moved
    conflicts: int = 0  # saves refused because the dossier changed meanwhile (then read again)
    candidates: int = 0  # dossiers found with something to move
    done: int = 0  # candidates dealt with so far (moved, found unmoved after all, or failed)
    saved: int = 0  # dossiers saved with a deadlines_recalculated event
    failed: list[tuple[int, str]] = field(default_factory=list)  # (dossier id, error), left as they were


Progress = Callable[[RecalculationReport], None]


@dataclass(frozen=True)
class _Moved:
    timers: int
    tasks: int
    dossier: bool


def candidates(ctx: EngineContext, cal: Any) -> list[int]:
    """Ids of the open dossiers with a deadline the calendar `cal` puts elsewhere, ascending."""
    found: set[int] = set()
    with ctx.uow(write=False) as uow:
        for dossier in uow.dossiers.open_with_due_basis():
            # pauses and the re-appointment are part of the basis, so they carry over
            basis = DeadlineBasis.from_json(dossier.due_basis)
            if (basis.due(cal), basis.started(cal)) != (dossier.due_at, dossier.started_at):
                found.add(dossier.dossier_id)
        for row in [*uow.tasks.with_due_basis(), *uow.timers.with_basis()]:
            # a timer held or moved by a supplement pause differs too: _move decides (N-4)
            if DeadlineBasis.from_json(row.due_basis).due(cal) != row.due_at:
                found.add(row.dossier_id)
    return sorted(found)


def recalculate(ctx: EngineContext, batch: int = BATCH, progress: Progress | None = None) -> RecalculationReport:
    """Recompute working-time deadlines from what they were computed from (module docstring).
    `progress` is called with the report after each batch (report.done of report.candidates)."""
    cal = ctx.calendars.get(reload=True)
    now = ctx.clock.now()
    report = RecalculationReport()
    ids = candidates(ctx, cal)
    report.candidates = len(ids)
    if progress is not None:
        progress(report)
    for start in range(0, len(ids), max(batch, 1)):
        chunk = ids[start:start + max(batch, 1)]
        if not _batch(ctx, chunk, now, report):
            for dossier_id in chunk:
                _one(ctx, dossier_id, now, report)
        report.done += len(chunk)
        if progress is not None:
            progress(report)
    return report


def _batch(ctx: EngineContext, ids: list[int], now: datetime, report: RecalculationReport) -> bool:
    """Move `ids` in one transaction; False (nothing written) if any of them failed."""
    moves: list[_Moved] = []
    try:
        with ctx.uow() as uow:
            for dossier_id in ids:
                moved = _move(ctx, uow, dossier_id, now)
                if moved is not None:
                    moves.append(moved)
            uow.commit()
    except Exception as err:  # noqa: BLE001 - redone one by one, where each error is reported
        if isinstance(err, Conflict):
            report.conflicts += 1  # someone saved one of them meanwhile
        else:
            log.info("recalculation batch of %d dossiers rolled back (%s): redoing them one by one", len(ids), err)
        return False
    for moved in moves:
        _count(report, moved)
    return True


def _one(ctx: EngineContext, dossier_id: int, now: datetime, report: RecalculationReport, attempts: int = 3) -> None:
    """Move one dossier in its own transaction, read again after a Conflict."""
    error = "changed by someone else on every attempt"
    for _ in range(attempts):
        try:
            with ctx.uow() as uow:
                moved = _move(ctx, uow, dossier_id, now)
                if moved is not None:
                    uow.commit()
            if moved is not None:
                _count(report, moved)
            return
        except Conflict:
            report.conflicts += 1  # someone saved the dossier meanwhile: read it again
        except Exception as err:  # noqa: BLE001 - one broken dossier must not stop the others
            error = f"{type(err).__name__}: {err}"
            break
    log.error("recalculation: dossier %d left as it was: %s", dossier_id, error)
    report.failed.append((dossier_id, error))


def _count(report: RecalculationReport, moved: _Moved) -> None:
    report.timers_moved += moved.timers
    report.tasks_moved += moved.tasks
    report.dossiers_moved += int(moved.dossier)
    report.saved += 1


def _move(ctx: EngineContext, uow: UnitOfWork, dossier_id: int, now: datetime) -> _Moved | None:
    """Save the dossier with its deadlines recomputed, in `uow` (not committed); None if nothing
    moves (nothing written). Raises Conflict if it changed since it was read."""
    cal = ctx.calendars()
    row = uow.dossiers.load(dossier_id)
    if row is None:
        return None
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
    dates = {"due_at": record.dossier.due(cal), "started_at": record.dossier.started(cal)}
    dossier_moved = row.completed_at is None and (dates["due_at"], dates["started_at"]) != (row.due_at, row.started_at)
    # save() may hold or move timers further (a supplement pause, N-4): decide on what it will keep,
    # before saving, since a batch's transaction cannot take one dossier's save back.
    hold_paused_timers(record.dossier, dw, cal)
    if not (_moved_timers(before, Snapshot.of(dw)) or tasks or dossier_moved):
        return None  # nothing moves after all: no save, no timeline event
    timers = _moved_timers(before, save(ctx, uow, record, dw, before, now, None).after)
    for task_id, due in tasks.items():
        uow.tasks.set_due(task_id, due)
    detail: dict[str, Any] = {"timers": {tid: _iso(d, cal) for tid, d in timers.items()}}
    if tasks:
        detail["tasks"] = {tid: _iso(d, cal) for tid, d in tasks.items()}
    if dossier_moved:
        detail.update({k: _iso(v, cal) for k, v in dates.items()})
    uow.dossiers.add_event(dossier_id, now, "deadlines_recalculated", None, detail)
    return _Moved(len(timers), len(tasks), dossier_moved)


def _moved_timers(before: Snapshot, after: Snapshot) -> dict[str, datetime]:
    return {tid: t.due_at for tid, t in after.timers.items()
            if tid in before.timers and t.due_at != before.timers[tid].due_at}


def _iso(t: datetime, cal: Any) -> str:
    return t.astimezone(cal.tz).isoformat()
