"""`motcua db check`: every dossier's stored state against the rows derived from it (R-9.2).

`dossier_store.save` writes a dossier's state with its `ready_tasks` and `timers` rows
in one transaction, and completing a task adds one `steps` row. This check recomputes what those
rows must be from the state, through the same `DossierWorkflow.ready_tasks()` and
`waiting_timers()` the writers use, and reports every difference. It never writes.

Dossiers are read in batches by id, each batch from one database snapshot, so a province's
millions of states are never in memory at once and a check of a running system reports no
dossier half-saved.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from datetime import datetime, tzinfo
from typing import Callable, Iterator

from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess
from engine.persistence.integrity import DerivedRows, StoredDossier
from engine.persistence.unit_of_work import UnitOfWork

from .context import EngineContext
from .errors import NotFound


class Kind(str, Enum):
    """What is wrong with a dossier (docs/operations.md lists them for operators)."""

    VERSION_MISSING = "version_missing"  # the dossier's procedure version row does not exist
    VERSION_UNREADABLE = "version_unreadable"  # its stored spec cannot be restored
    STATE_UNREADABLE = "state_unreadable"  # the workflow state cannot be deserialized
    TASK_ROW_MISSING = "task_row_missing"  # ready in the state, in no inbox
    TASK_ROW_STALE = "task_row_stale"  # an inbox row for a task not ready in the state
    TASK_ROW_MISMATCH = "task_row_mismatch"  # same task, another element
    TIMER_ROW_MISSING = "timer_row_missing"  # waiting in the state, never found by the sweep
    TIMER_ROW_STALE = "timer_row_stale"  # a timer row for no waiting timer
    TIMER_ROW_MISMATCH = "timer_row_mismatch"  # due time or element differs from the state
    FINISHED_WITH_OPEN_WORK = "finished_with_open_work"  # finished state, yet ready-task/timer rows
    COMPLETION_MISMATCH = "completion_mismatch"  # state finished xor dossier marked completed
    STEP_FOR_READY_TASK = "step_for_ready_task"  # a step records the task done, yet it is ready
    STEP_DUPLICATED = "step_duplicated"  # one task completed more than once


Finding = tuple[Kind, str]  # what is wrong, in words naming the rows


@dataclass(frozen=True)
class Inconsistency:
    dossier_code: str
    kind: Kind
    detail: str


@dataclass
class CheckSummary:
    dossiers: int = 0
    dossiers_with_problems: int = 0
    by_kind: Counter[str] = field(default_factory=Counter)

    @property
    def problems(self) -> int:
        return sum(self.by_kind.values())

    @property
    def ok(self) -> bool:
        return self.problems == 0


class IntegrityService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def check(self, on_problem: Callable[[Inconsistency], None] | None = None, batch: int = 200) -> CheckSummary:
        """Check every dossier; `on_problem` receives each inconsistency as it is found.

        Reads `batch` dossiers per transaction (their states are the bulk of the memory used)."""
        if batch < 1:
            raise ValueError("batch must be at least 1")
        summary = CheckSummary()
        versions: dict[int, LoadedProcess | Finding] = {}
        last_id = 0
        while True:
            with self.ctx.uow(write=False) as uow:
                uow.integrity.snapshot()
                dossiers = uow.integrity.dossiers_after(last_id, batch)
                if not dossiers:
                    break
                rows = uow.integrity.derived_rows([d.id for d in dossiers])
                for dossier in dossiers:
                    summary.dossiers += 1
                    found = 0
                    for kind, detail in self._inspect(uow, dossier, rows, versions):
                        found += 1
                        summary.by_kind[kind.value] += 1
                        if on_problem is not None:
                            on_problem(Inconsistency(dossier.code, kind, detail))
                    summary.dossiers_with_problems += found > 0
            last_id = dossiers[-1].id
        return summary

    def _process(self, uow: UnitOfWork, version_id: int, versions: dict[int, LoadedProcess | Finding]
                 ) -> LoadedProcess | Finding:
        """The version's restored spec, or why it cannot be had (tried once per version)."""
        if version_id not in versions:
            try:
                versions[version_id] = self.ctx.processes.get(uow, version_id)
            except NotFound:
                versions[version_id] = (Kind.VERSION_MISSING, f"procedure version {version_id} does not exist")
            except Exception as err:  # a damaged spec: report it, go on with the other dossiers
                versions[version_id] = (Kind.VERSION_UNREADABLE, f"procedure version {version_id} cannot be "
                                        f"restored: {type(err).__name__}: {str(err)[:300]}")
        return versions[version_id]

    def _inspect(self, uow: UnitOfWork, d: StoredDossier, rows: DerivedRows,
                 versions: dict[int, LoadedProcess | Finding]) -> Iterator[Finding]:
        tasks = {r.task_id: r for r in rows.tasks.get(d.id, [])}
        timers = {r.task_id: r for r in rows.timers.get(d.id, [])}
        steps = rows.steps.get(d.id, [])
        tz = self.ctx.calendars().tz
        for task_id, n in Counter(s.task_id for s in steps).items():
            if n > 1:
                yield Kind.STEP_DUPLICATED, f"task {task_id} has {n} steps (completed more than once)"

        process = self._process(uow, d.procedure_version_id, versions)
        workflow: DossierWorkflow | None = None
        if isinstance(process, tuple):
            yield process
        else:
            try:
                workflow = DossierWorkflow.restore(process, d.state, self.ctx.script_engine, self.ctx.clock)
                ready = {t.id: t for t in workflow.ready_tasks()}
                waiting = {t.task_id: t for t in workflow.waiting_timers()}
            except Exception as err:  # whatever the state holds, the check goes on
                workflow = None
                yield Kind.STATE_UNREADABLE, f"state cannot be deserialized: {type(err).__name__}: {str(err)[:300]}"
        if workflow is None:
            # Without a state only the dossier row can say it is finished.
            if d.completed_at is not None and (tasks or timers):
                yield Kind.FINISHED_WITH_OPEN_WORK, _open_work(tasks, timers)
            return

        if workflow.completed and d.completed_at is None:
            yield Kind.COMPLETION_MISMATCH, f"the state is finished but the dossier is not (status {d.status})"
        elif not workflow.completed and d.completed_at is not None:
            yield (Kind.COMPLETION_MISMATCH,
                   f"the dossier is marked completed at {_local(d.completed_at, tz)} (status {d.status}) "
                   f"but its state is still running")
        if workflow.completed and (tasks or timers):
            # Every such row is stale: one finding for the dossier says it better than one per row.
            yield Kind.FINISHED_WITH_OPEN_WORK, _open_work(tasks, timers)
        else:
            yield from _compare_tasks(ready, tasks)
            yield from _compare_timers(waiting, timers, tz)
        for step in steps:
            if step.task_id in ready:
                yield (Kind.STEP_FOR_READY_TASK,
                       f"step {step.id} records task {step.task_id} ({step.element_id}) as done, "
                       f"yet the state has it ready")


def _open_work(tasks: dict, timers: dict) -> str:
    return (f"the workflow is finished, yet {len(tasks)} ready_tasks row(s) {sorted(tasks)} and "
            f"{len(timers)} timers row(s) {sorted(timers)} remain")


def _compare_tasks(ready: dict, rows: dict) -> Iterator[Finding]:
    for task_id in sorted(ready.keys() - rows.keys()):
        t = ready[task_id]
        yield (Kind.TASK_ROW_MISSING,
               f"task {task_id} ({t.element_id}) is ready in the state but has no ready_tasks row (in no inbox)")
    for task_id in sorted(rows.keys() - ready.keys()):
        yield (Kind.TASK_ROW_STALE,
               f"ready_tasks row {task_id} ({rows[task_id].element_id}) is for a task not ready in the state")
    for task_id in sorted(rows.keys() & ready.keys()):
        if rows[task_id].element_id != ready[task_id].element_id:
            yield (Kind.TASK_ROW_MISMATCH,
                   f"ready_tasks row {task_id} says element {rows[task_id].element_id}, "
                   f"the state says {ready[task_id].element_id}")


def _local(t: datetime, tz: tzinfo) -> str:
    """An instant as operators read it: in the province's zone with its offset (issue 14)."""
    return t.astimezone(tz).isoformat()


def _compare_timers(waiting: dict, rows: dict, tz: tzinfo) -> Iterator[Finding]:
    for task_id in sorted(waiting.keys() - rows.keys()):
        t = waiting[task_id]
        yield (Kind.TIMER_ROW_MISSING,
               f"timer {task_id} ({t.element_id}, due {_local(t.due_at, tz)}) waits in the state "
               f"but has no timers row (it would never fire)")
    for task_id in sorted(rows.keys() - waiting.keys()):
        r = rows[task_id]
        yield (Kind.TIMER_ROW_STALE,
               f"timers row {task_id} ({r.element_id}, due {_local(r.due_at, tz)}) is for no waiting timer in the state")
    for task_id in sorted(rows.keys() & waiting.keys()):
        r, t = rows[task_id], waiting[task_id]
        if r.element_id != t.element_id or r.due_at != t.due_at:
            yield (Kind.TIMER_ROW_MISMATCH,
                   f"timers row {task_id} says {r.element_id} due {_local(r.due_at, tz)}, "
                   f"the state says {t.element_id} due {_local(t.due_at, tz)}")
