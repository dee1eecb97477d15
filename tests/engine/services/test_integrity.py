"""`db check` (R-9.2): a database written by the services is consistent; each kind of damage done
directly with SQL is reported, on the damaged dossier only."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select, text, update

from engine.persistence.models import Dossier, ProcedureVersion, ReadyTask, Step, Timer
from engine.persistence.integrity import IntegrityRepository
from engine.services.context import ProcessCache
from engine.services.integrity import IntegrityService, Kind
from tests.conftest import VN
from tests.support.bpmn import Process, sequential, write_procedure


def escalation() -> Process:
    """A task with an 8-working-hour boundary timer that hands the dossier to the agency head."""
    return (Process("p").start().user("receive", lane="one_stop_officer", hours=8)
            .boundary_timer("late", "receive", "deadline(working_hours=8)")
            .user("escalate", lane="agency_head").end("e1").end("e2")
            .chain("start", "receive", "e1").chain("late", "escalate", "e2"))


@pytest.fixture
def world(services, dirs, clock):
    """Four dossiers in every situation the services produce, each with its rows as written."""
    write_procedure(dirs[0], "P", escalation())
    write_procedure(dirs[0], "Q", sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    services.procedures.publish("Q")
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    escalated = services.dossiers.start("P")
    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=VN))  # 8 working hours later and one more
    assert services.timers.fire_due().fired == [escalated.code]
    waiting = services.dossiers.start("P")  # ready task and a timer
    finished = services.dossiers.start("P")
    services.dossiers.complete_task(finished.current_tasks[0].task_id, {}, "desk-1")
    halfway = services.dossiers.start("Q")  # one step done, the next ready
    services.dossiers.complete_task(halfway.current_tasks[0].task_id, {}, "u1")
    return SimpleNamespace(escalated=escalated, waiting=waiting, finished=finished, halfway=halfway)


def findings(services, ctx=None):
    found = []
    summary = IntegrityService(ctx or services.ctx).check(lambda p: found.append((p.dossier_code, p.kind)), batch=3)
    return summary, found


def execute(services, statement, disable_foreign_keys=False):
    db = services.db
    if disable_foreign_keys and db.dialect == "sqlite":
        raw = db.engine.raw_connection()  # autocommit: PRAGMA foreign_keys only works outside a transaction
        try:
            raw.execute("PRAGMA foreign_keys=OFF")
            compiled = statement.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
            raw.execute(str(compiled))
        finally:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.close()
        return
    with db.engine.begin() as conn:
        if disable_foreign_keys:
            conn.execute(text("SET LOCAL session_replication_role = replica"))  # skips FK triggers
        conn.execute(statement)


def task_row(dossier_id, now, **values):
    return {"task_id": str(uuid.uuid4()), "dossier_id": dossier_id, "element_id": "receive", "name": "receive",
            "candidate_role": "one_stop_officer", "candidate_agency": "000.00.12.H15", "created_at": now,
            "version": 1, **values}


def step_of(services, dossier_id):
    with services.db.engine.connect() as conn:
        row = conn.execute(select(Step.__table__).where(Step.dossier_id == dossier_id)).mappings().one()
    return {k: v for k, v in row.items() if k != "id"}


def test_what_the_services_write_is_consistent(services, world):
    summary, found = findings(services)
    assert found == []
    assert summary.ok and summary.dossiers == 4 and summary.problems == 0


def test_batches_cover_every_dossier_once(services, world):
    for batch in (1, 2, 200):
        assert IntegrityService(services.ctx).check(batch=batch).dossiers == 4


def _damage(services, world, kind, clock):
    """Damage one dossier's rows the way `kind` describes; returns that dossier."""
    now = clock.now()
    w = world
    if kind == Kind.TASK_ROW_MISSING:
        execute(services, ReadyTask.__table__.delete().where(ReadyTask.dossier_id == w.waiting.id))
        return w.waiting
    if kind == Kind.TASK_ROW_STALE:
        execute(services, insert(ReadyTask).values(task_row(w.waiting.id, now)))
        return w.waiting
    if kind == Kind.TASK_ROW_MISMATCH:
        execute(services, update(ReadyTask).where(ReadyTask.dossier_id == w.halfway.id).values(element_id="task_0"))
        return w.halfway
    if kind == Kind.TIMER_ROW_MISSING:
        execute(services, Timer.__table__.delete().where(Timer.dossier_id == w.waiting.id))
        return w.waiting
    if kind == Kind.TIMER_ROW_STALE:
        execute(services, insert(Timer).values(dossier_id=w.escalated.id, task_id=str(uuid.uuid4()),
                                               element_id="late", due_at=now, attempts=0))
        return w.escalated
    if kind == Kind.TIMER_ROW_MISMATCH:
        with services.ctx.uow(write=False) as uow:
            [timer] = uow.timers.for_dossier(w.waiting.id)
        execute(services, update(Timer).where(Timer.id == timer.id).values(due_at=timer.due_at + timedelta(hours=1)))
        return w.waiting
    if kind == Kind.FINISHED_WITH_OPEN_WORK:
        execute(services, insert(ReadyTask).values(task_row(w.finished.id, now)))
        return w.finished
    if kind == Kind.COMPLETION_MISMATCH:
        execute(services, update(Dossier).where(Dossier.id == w.finished.id).values(completed_at=None))
        return w.finished
    if kind == Kind.STATE_UNREADABLE:
        execute(services, update(Dossier).where(Dossier.id == w.halfway.id).values(state='{"tasks": "truncated'))
        return w.halfway
    if kind == Kind.VERSION_MISSING:
        execute(services, update(Dossier).where(Dossier.id == w.halfway.id).values(procedure_version_id=9999),
                disable_foreign_keys=True)
        return w.halfway
    if kind == Kind.VERSION_UNREADABLE:
        with services.ctx.uow(write=False) as uow:
            version = uow.procedures.versions("Q")[0]
            spec = dict(version.spec, spec={"typename": "NoSuchSpec"})
        execute(services, update(ProcedureVersion).where(ProcedureVersion.id == version.id).values(spec=spec))
        return w.halfway
    if kind == Kind.STEP_FOR_READY_TASK:  # task_1 recorded as done while the state has it ready
        with services.ctx.uow(write=False) as uow:
            [ready] = uow.tasks.for_dossier(w.halfway.id)
        step = step_of(services, w.halfway.id)
        execute(services, insert(Step).values(dict(step, task_id=ready.task_id, element_id=ready.element_id)))
        return w.halfway
    if kind == Kind.STEP_DUPLICATED:
        execute(services, insert(Step).values(step_of(services, w.finished.id)))
        return w.finished
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", list(Kind), ids=lambda k: k.value)
def test_each_kind_of_damage_is_reported_on_its_dossier_only(services, world, clock, kind):
    assert findings(services)[0].ok
    damaged = _damage(services, world, kind, clock)
    # A fresh cache of restored specs, as a new `motcua db check` process has.
    summary, found = findings(services, dataclasses.replace(services.ctx, processes=ProcessCache()))
    assert found == [(damaged.code, kind)]
    assert not summary.ok and summary.dossiers == 4 and summary.dossiers_with_problems == 1
    assert summary.by_kind == {kind.value: 1}


def test_a_damaged_version_is_reported_for_each_of_its_dossiers(services, world, clock):
    execute(services, update(Dossier).where(Dossier.id.in_([world.waiting.id, world.finished.id]))
            .values(procedure_version_id=9999), disable_foreign_keys=True)
    summary, found = findings(services)
    assert sorted(found) == sorted([(world.waiting.code, Kind.VERSION_MISSING),
                                    (world.finished.code, Kind.VERSION_MISSING)])


def test_a_dossier_saved_during_the_check_is_not_reported(services, world, monkeypatch):
    """The batch's states and rows come from one snapshot: a completion committed between reading
    them is seen entirely or not at all (PostgreSQL's READ COMMITTED would pair the old state with
    the new rows; a SQLite read transaction in WAL mode keeps its snapshot)."""
    real = IntegrityRepository.derived_rows
    saved = []

    def derived_rows_after_a_save(self, dossier_ids):
        if not saved and world.halfway.id in dossier_ids:
            [task] = services.dossiers.get(world.halfway.id).current_tasks
            saved.append(services.dossiers.complete_task(task.task_id, {}, "u2"))
        return real(self, dossier_ids)

    monkeypatch.setattr(IntegrityRepository, "derived_rows", derived_rows_after_a_save)
    summary, found = findings(services)
    assert saved and found == [] and summary.dossiers == 4


def test_a_batch_of_any_size_reads_its_rows(services, world):
    """`db check --batch 100000` on a big province: the rows of a batch were selected with one bind
    parameter per dossier, which PostgreSQL's driver refuses past 65,535. Rows of dossiers outside
    the batch (inside its id range) must not be counted either."""
    with services.ctx.uow(write=False) as uow:
        ids = [d.id for d in uow.integrity.dossiers_after(0, 10)]
        assert len(ids) == 4
        everything = uow.integrity.derived_rows(ids)
        picked = [ids[0], ids[2], *range(10**6, 10**6 + 70_000)]  # ids[1]'s rows lie inside the range
        rows = uow.integrity.derived_rows(picked)
    for kind in ("tasks", "timers", "steps"):
        expected = {i: r for i, r in getattr(everything, kind).items() if i in (ids[0], ids[2])}
        assert getattr(rows, kind) == expected
    assert everything.tasks.get(ids[1]) and everything.steps.get(ids[3])  # the world has rows to lose


@pytest.mark.parametrize("kind", [Kind.TIMER_ROW_MISMATCH, Kind.TIMER_ROW_STALE, Kind.TIMER_ROW_MISSING])
def test_findings_name_instants_in_the_provinces_zone(services, world, clock, kind):
    # Issue 14: what an operator reads says the province's time and offset. The rows come back from
    # the database in UTC: the waiting timer is due Mon 30 Nov 10:00 +07:00 (8 working hours after
    # Fri 27 Nov 10:00), which the finding said as 03:00:00+00:00.
    _damage(services, world, kind, clock)
    details = []
    IntegrityService(services.ctx).check(lambda p: details.append(p.detail))
    [detail] = details
    assert "+07:00" in detail and "+00:00" not in detail, detail
