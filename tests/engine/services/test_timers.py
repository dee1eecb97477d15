"""Working-hour timers fired by the sweep; failures become incidents; deadlines follow the calendar."""
import threading
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from engine.persistence.models import DossierEvent, Timer
from engine.scheduler import TimerScheduler
from engine.services.timers import backoff
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

SHIPPED = Path(__file__).resolve().parents[3] / "config" / "calendar.toml"


def escalation(hours: float = 8) -> Process:
    return (Process("p").start().user("receive", lane="one_stop_officer", hours=hours)
            .boundary_timer("late", "receive", f"deadline(working_hours={hours})")
            .user("escalate", lane="agency_head").end("e1").end("e2")
            .chain("start", "receive", "e1").chain("late", "escalate", "e2"))


def publish(services, dirs, process, code="P"):
    write_procedure(dirs[0], code, process)
    services.procedures.sync()
    services.procedures.publish(code)


def timers(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return uow.timers.for_dossier(dossier_id)


def test_timer_row_written_with_due_and_basis(services, dirs, clock):
    publish(services, dirs, escalation())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    [row] = timers(services, d.id)
    assert row.element_id == "late"
    assert row.due_at == datetime(2026, 11, 27, 15, 0, tzinfo=VN)  # 8 working hours
    assert row.basis == {"from": clock.now().isoformat(), "working_hours": 8}


def test_sweep_fires_only_due_timers(services, dirs, clock):
    publish(services, dirs, escalation())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    clock.set(datetime(2026, 11, 27, 14, 59, tzinfo=VN))
    assert services.timers.fire_due().fired == []
    clock.set(datetime(2026, 11, 27, 15, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    view = services.dossiers.get(d.id)
    assert [t.element_id for t in view.current_tasks] == ["escalate"]
    assert timers(services, d.id) == []
    assert any(e["kind"] == "timers_fired" and e["detail"]["elements"] == ["late"] for e in view.events)
    assert services.timers.fire_due().fired == []  # nothing fires twice


def test_completed_task_cancels_its_timer(services, dirs, clock):
    publish(services, dirs, escalation())
    d = services.dossiers.start("P")
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u")
    assert timers(services, d.id) == []
    clock.advance(timedelta(days=10))
    assert services.timers.fire_due().fired == []


def test_completion_that_cancels_a_due_unswept_timer_does_not_record_it_as_fired(services, dirs, clock):
    # Issue 7: the boundary timer was due (8 working hours after 09:00 Thursday = 09:00 Friday) but
    # no sweep ran; completing "receive" cancels it, so its branch ("escalate") never runs.
    publish(services, dirs, escalation())
    d = services.dossiers.start("P")
    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=VN))
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u")
    view = services.dossiers.get(d.id)
    assert view.status == "processed" and view.current_tasks == []
    assert [e["kind"] for e in view.events] == ["received", "processed"]
    assert timers(services, d.id) == []


def test_interrupting_timer_cancels_its_task_and_runs_its_branch(services, dirs, clock):
    p = (Process("p").start().user("a").user("b")
         .boundary_timer("late", "b", "deadline(working_hours=1)")
         .script("flag", "escalated = True").end("e1").end("e2")
         .chain("start", "a", "b", "e1").chain("late", "flag", "e2"))
    publish(services, dirs, p)
    d = services.dossiers.start("P")
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u")
    clock.advance(timedelta(hours=2))
    view = services.dossiers.get(d.id)
    assert [t.element_id for t in view.current_tasks] == ["b"]
    assert services.timers.fire_due().fired == [d.code]
    after = services.dossiers.get(d.id)
    assert after.current_tasks == [] and after.status == "processed"  # b interrupted, the flag branch ended it


def test_a_failing_dossier_is_an_incident_retried_with_backoff_and_blocks_no_one(services, dirs, clock):
    broken = (Process("p").start().timer("wait", "deadline(working_hours=1)").script("boom", "x = 1 / 0").end()
              .chain("start", "wait", "boom", "end"))
    publish(services, dirs, broken, "BROKEN")
    publish(services, dirs, escalation(1), "OK")
    bad = services.dossiers.start("BROKEN")
    good = [services.dossiers.start("OK") for _ in range(3)]
    clock.advance(timedelta(hours=2))
    report = services.timers.fire_due()
    assert report.failed == [bad.code]
    assert sorted(report.fired) == sorted(d.code for d in good)
    [incident] = services.dossiers.get(bad.id).incidents
    assert incident["element_id"] == "boom" and "ZeroDivisionError" in incident["error"]
    assert incident["attempt"] == 1
    [row] = timers(services, bad.id)
    assert row.next_attempt_at == clock.now() + backoff(1)
    # before the backoff has passed nothing is retried
    clock.advance(backoff(1) - timedelta(seconds=1))
    assert services.timers.fire_due().failed == []
    clock.advance(timedelta(seconds=2))
    assert services.timers.fire_due().failed == [bad.code]
    assert [i["attempt"] for i in services.dossiers.get(bad.id).incidents] == [1, 2]
    assert timers(services, bad.id)[0].next_attempt_at == clock.now() + backoff(2)


def test_backoff_grows_and_is_capped():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30) == timedelta(hours=6)


def test_recalculate_after_an_announced_day_off(services, dirs, clock, tmp_path):
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    services.ctx.calendars.__init__(calendar_file)  # use a calendar file we can edit
    publish(services, dirs, escalation(8))
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=VN))  # Thursday
    d = services.dossiers.start("P")
    assert timers(services, d.id)[0].due_at == datetime(2026, 12, 4, 15, 0, tzinfo=VN)
    # The province announces Friday 4 December 2026 off.
    with calendar_file.open("a", encoding="utf-8") as f:
        f.write('\n[[days_off]]\ndate = 2026-12-04\nreason = "Nghỉ do tỉnh công bố"\n')
    report = services.timers.recalculate()
    assert (report.timers_moved, report.tasks_moved, report.dossiers_moved) == (1, 1, 1)
    assert timers(services, d.id)[0].due_at == datetime(2026, 12, 7, 15, 0, tzinfo=VN)
    view = services.dossiers.get(d.id)
    assert view.current_tasks[0].due_at == datetime(2026, 12, 7, 15, 0, tzinfo=VN)
    assert view.due_at == datetime(2026, 12, 11, 15, 0, tzinfo=VN)  # 5 statutory days, was 10 Dec
    # the workflow itself follows the new instant
    clock.set(datetime(2026, 12, 4, 16, 0, tzinfo=VN))
    assert services.timers.fire_due().fired == []
    clock.set(datetime(2026, 12, 7, 15, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    assert services.timers.recalculate().timers_moved == 0


def test_scheduler_sweep_leaves_a_heartbeat(services, dirs, clock):
    publish(services, dirs, escalation(1))
    services.dossiers.start("P")
    clock.advance(timedelta(hours=2))
    scheduler = TimerScheduler(services.timers, interval_seconds=60, name="test-sched")
    report = scheduler.sweep()
    assert len(report.fired) == 1
    with services.ctx.uow(write=False) as uow:
        beat = uow.scheduler.latest()
    assert (beat.name, beat.fired, beat.active) == ("test-sched", 1, True)
    scheduler.start()
    assert scheduler.running
    scheduler.shutdown()
    assert not scheduler.running
    with services.ctx.uow(write=False) as uow:
        assert uow.scheduler.latest().active is False


def test_concurrent_sweeps_fire_each_dossier_once(services, dirs, clock):
    # Several scheduler processes on one database: no timer fires twice, none is lost.
    publish(services, dirs, escalation(1))
    dossiers = [services.dossiers.start("P") for _ in range(30)]
    clock.advance(timedelta(hours=2))
    barrier = threading.Barrier(3)
    reports = []

    def sweep():
        barrier.wait()
        reports.append(services.timers.fire_due(batch=7))

    threads = [threading.Thread(target=sweep) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fired = [code for r in reports for code in r.fired]
    assert sorted(fired) == sorted(d.code for d in dossiers)
    assert not any(r.failed for r in reports)
    with services.ctx.uow(write=False) as uow:
        count = uow.session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.kind == "timers_fired"))
        assert count == 30
        assert uow.session.scalar(select(func.count()).select_from(Timer)) == 0
