"""Reads for the integrity check (`motcua db check`): dossiers in id order, a batch at a time, with
the rows derived from their state (ready tasks, timers, steps)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from sqlalchemy import select

from .models import Dossier, ReadyTask, Step, Timer
from .repositories import _Repository


@dataclass(frozen=True)
class StoredDossier:
    id: int
    code: str
    procedure_version_id: int
    status: str
    completed_at: datetime | None
    state: str


@dataclass(frozen=True)
class TaskRow:
    task_id: str
    element_id: str


@dataclass(frozen=True)
class TimerRow:
    task_id: str
    element_id: str
    due_at: datetime  # UTC


@dataclass(frozen=True)
class StepRow:
    id: int
    task_id: str
    element_id: str


@dataclass(frozen=True)
class DerivedRows:
    """A batch's ready-task, timer and step rows, by dossier id."""

    tasks: dict[int, list[TaskRow]]
    timers: dict[int, list[TimerRow]]
    steps: dict[int, list[StepRow]]


class IntegrityRepository(_Repository):
    def snapshot(self) -> None:
        """Read the whole batch from one snapshot, so a dossier saved meanwhile is never seen half
        old, half new. First statement of the transaction. (SQLite: a read transaction in WAL mode
        already reads one snapshot.)"""
        if self.dialect == "postgresql":
            self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    def dossiers_after(self, last_id: int, limit: int) -> list[StoredDossier]:
        """The next `limit` dossiers by id (keyset pagination: cost independent of the position)."""
        d = Dossier.__table__.c
        rows = self.session.execute(
            select(d.id, d.code, d.procedure_version_id, d.status, d.completed_at, d.state)
            .where(d.id > last_id).order_by(d.id).limit(limit)
        )
        return [StoredDossier(*r) for r in rows]

    def derived_rows(self, dossier_ids: Sequence[int]) -> DerivedRows:
        """The ready-task, timer and step rows of these dossiers. Selected by the id range they span
        (two bind parameters, whatever the batch: `IN` with one parameter per id failed past
        psycopg's 65,535, e.g. `db check --batch 100000`), then kept for these ids only."""
        ids = set(dossier_ids)
        tasks: dict[int, list[TaskRow]] = defaultdict(list)
        timers: dict[int, list[TimerRow]] = defaultdict(list)
        steps: dict[int, list[StepRow]] = defaultdict(list)
        if ids:
            low, high = min(ids), max(ids)
            r, t, s = ReadyTask.__table__.c, Timer.__table__.c, Step.__table__.c
            for dossier_id, task_id, element_id in self.session.execute(
                select(r.dossier_id, r.task_id, r.element_id).where(r.dossier_id.between(low, high))
            ):
                if dossier_id in ids:
                    tasks[dossier_id].append(TaskRow(task_id, element_id))
            for dossier_id, task_id, element_id, due_at in self.session.execute(
                select(t.dossier_id, t.task_id, t.element_id, t.due_at).where(t.dossier_id.between(low, high))
            ):
                if dossier_id in ids:
                    timers[dossier_id].append(TimerRow(task_id, element_id, due_at))
            for dossier_id, step_id, task_id, element_id in self.session.execute(
                select(s.dossier_id, s.id, s.task_id, s.element_id).where(s.dossier_id.between(low, high))
                .order_by(s.id)
            ):
                if dossier_id in ids:
                    steps[dossier_id].append(StepRow(step_id, task_id, element_id))
        return DerivedRows(dict(tasks), dict(timers), dict(steps))
