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
    kinds = [e["kind"] for e in view.events]
    assert "timers_fired" not in kinds and kinds[0] == "received"
    # N-8: 1 -> 2 -> 4 at registration, 4 -> 9 when the process ended
    assert [e["detail"]["status_code"] for e in view.events if e["kind"] == "status"] == [1, 2, 4, 9]
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


def _calendar_we_can_edit(services, tmp_path):
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    services.ctx.calendars.__init__(calendar_file)
    return calendar_file


def test_recalculate_moves_the_start_of_the_count_too(services, dirs, clock, tmp_path):
    calendar_file = _calendar_we_can_edit(services, tmp_path)
    write_procedure(dirs[0], "Q", Process("p").start().user("t", lane="one_stop_officer").end()
                    .chain("start", "t", "end"), statutory_days=3)
    services.procedures.sync()
    services.procedures.publish("Q")
    # received online Fri 4 Dec 2026 17:30 -> counted from Mon 7 Dec 07:00; 3 working days
    # = Mon, Tue, Wed -> Wed 9 Dec 17:00.
    clock.set(datetime(2026, 12, 4, 17, 30, tzinfo=VN))
    d = services.dossiers.start("Q")
    assert (d.started_at, d.due_at) == (datetime(2026, 12, 7, 7, tzinfo=VN), datetime(2026, 12, 9, 17, tzinfo=VN))
    # Monday 7 December is announced off: the count starts Tue 8 Dec 07:00 and ends Thu 10 Dec 17:00
    # (started_at stayed Monday before).
    with calendar_file.open("a", encoding="utf-8") as f:
        f.write('\n[[days_off]]\ndate = 2026-12-07\nreason = "Nghỉ do tỉnh công bố"\n')
    assert services.timers.recalculate().dossiers_moved == 1
    view = services.dossiers.get(d.id)
    assert (view.started_at, view.due_at) == (datetime(2026, 12, 8, 7, tzinfo=VN), datetime(2026, 12, 10, 17, tzinfo=VN))
    assert services.timers.recalculate().dossiers_moved == 0


def test_recalculate_keeps_pauses_and_the_reappointment(services, dirs, clock, tmp_path):
    from engine.domain.deadline import DeadlineBasis
    from engine.persistence.models import Dossier

    calendar_file = _calendar_we_can_edit(services, tmp_path)
    write_procedure(dirs[0], "Q", Process("p").start().user("t", lane="one_stop_officer").end()
                    .chain("start", "t", "end"), statutory_days=3)
    services.procedures.sync()
    services.procedures.publish("Q")
    clock.set(datetime(2026, 12, 1, 7, tzinfo=VN))  # Tuesday
    paused, moved = services.dossiers.start("Q"), services.dossiers.start("Q")
    cal = services.ctx.calendars()
    base = DeadlineBasis(datetime(2026, 12, 1, 7, tzinfo=VN), working_days=3)
    # N-4: Wed 2 Dec paused all day (the pauses the lifecycle will record); N-6: one re-appointment.
    with_pause = DeadlineBasis(base.start, working_days=3,
                               pauses=[(datetime(2026, 12, 2, 7, tzinfo=VN), datetime(2026, 12, 2, 17, tzinfo=VN))])
    reappointed = base.reappoint(cal, datetime(2026, 12, 15, 17, tzinfo=VN), "chờ ý kiến", base.start)
    with services.ctx.uow() as uow:
        for d, b in ((paused, with_pause), (moved, reappointed)):
            uow.session.query(Dossier).filter(Dossier.id == d.id).update({"due_basis": b.to_json()})
        uow.commit()
    # Thursday 3 December is announced off. Paused: Tue 1, (Wed paused), Fri 4, Mon 7 -> Mon 7 Dec
    # 17:00. Re-appointed: stays Tue 15 Dec 17:00, its basis unchanged.
    with calendar_file.open("a", encoding="utf-8") as f:
        f.write('\n[[days_off]]\ndate = 2026-12-03\nreason = "Nghỉ do tỉnh công bố"\n')
    services.timers.recalculate()
    assert services.dossiers.get(paused.id).due_at == datetime(2026, 12, 7, 17, tzinfo=VN)
    assert services.dossiers.get(moved.id).due_at == datetime(2026, 12, 15, 17, tzinfo=VN)
    with services.ctx.uow(write=False) as uow:
        stored = {d.id: d.due_basis for d in uow.session.scalars(select(Dossier))}
    assert stored == {paused.id: with_pause.to_json(), moved.id: reappointed.to_json()}


def test_a_runaway_timer_dossier_is_an_incident_and_the_others_fire(services, dirs, clock):
    # Issue 7: one due timer whose next step never ends used to block the whole sweep.
    from engine.execution.sandbox import ScriptLimits
    services.ctx.script_engine.environment.limits = ScriptLimits(timeout_ms=200, memory_mb=48)
    runaway = (Process("p").start().timer("wait", "deadline(working_hours=1)").script("spin", "while True:\n    pass")
               .end().chain("start", "wait", "spin", "end"))
    publish(services, dirs, runaway, "RUNAWAY")
    publish(services, dirs, escalation(1), "OK")
    bad = services.dossiers.start("RUNAWAY")
    good = [services.dossiers.start("OK") for _ in range(3)]
    clock.advance(timedelta(hours=2))
    report = TimerScheduler(services.timers, interval_seconds=60, name="sweeper").sweep()
    assert report.failed == [bad.code]
    assert sorted(report.fired) == sorted(d.code for d in good)
    with services.ctx.uow(write=False) as uow:
        beat = uow.scheduler.latest()
    assert (beat.name, beat.fired, beat.failed) == ("sweeper", 3, 1)  # the sweep finished
    [incident] = services.dossiers.get(bad.id).incidents
    assert incident["element_id"] == "spin" and "200 ms" in incident["error"]
    [row] = timers(services, bad.id)
    assert row.next_attempt_at == clock.now() + backoff(1)


def test_each_dossier_of_a_sweep_records_the_instant_it_fired_not_the_sweeps_start(services, dirs, clock,
                                                                                     monkeypatch):
    # Issue 15 (observed timer lateness): a sweep takes time, so a dossier fired late in it is later
    # than the sweep's start. Here each firing takes one minute of the clock.
    from engine.execution.dossier_workflow import DossierWorkflow
    publish(services, dirs, escalation())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    first, second = services.dossiers.start("P"), services.dossiers.start("P")
    sweep_at = datetime(2026, 11, 27, 15, 0, tzinfo=VN)  # 8 working hours later: both due exactly now
    clock.set(sweep_at)
    real_fire = DossierWorkflow.fire_due_timers

    def slow_fire(self, *args, **kwargs):
        result = real_fire(self, *args, **kwargs)
        clock.advance(minutes=1)
        return result

    monkeypatch.setattr(DossierWorkflow, "fire_due_timers", slow_fire)
    report = services.timers.fire_due()
    assert report.fired == [first.code, second.code]
    fired_at = [next(e["at"] for e in services.dossiers.get(d.id).events if e["kind"] == "timers_fired")
                for d in (first, second)]
    assert fired_at == [sweep_at, sweep_at + timedelta(minutes=1)]
    assert report.delays == [0.0, 60.0]
