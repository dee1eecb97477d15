"""Non-interrupting cycle timers (reminders) run by the sweep: each occurrence fires once, the
next one is stored, the count ends it, and reminders already created outlive the activity
(BPMN 2.0 §10.4.6: a path spawned by a non-interrupting event is independent of the activity)."""
from datetime import datetime, timedelta

import pytest

from engine.domain.access import Official
from tests.conftest import VN
from tests.support.bpmn import Process, publish_procedure


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py

HOUR = timedelta(hours=1)
SECOND = timedelta(seconds=1)


def reminders(cycle: str = '"R3/PT1H"') -> Process:
    return (Process("p").start().user("appraise", lane="official")
            .boundary_timer("remind", "appraise", cycle, interrupting=False, kind="timeCycle")
            .user("chase", lane="agency_head").end("done").end("chased")
            .chain("start", "appraise", "done").chain("remind", "chase", "chased"))


def timer_rows(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return [(t.element_id, t.due_at) for t in uow.timers.for_dossier(dossier_id)]


def elements(view):
    return sorted(t.element_id for t in view.current_tasks)


def fired_events(view):
    return [e["detail"]["elements"] for e in view.events if e["kind"] == "timers_fired"]


def test_each_occurrence_fires_once_the_next_is_stored_and_the_count_ends_it(services, dirs, clock):
    publish_procedure(services, "P", reminders())
    t0 = clock.now()  # Thursday 26 Nov 2026 09:00
    d = services.dossiers.start("P")
    assert timer_rows(services, d.id) == [("remind", t0 + HOUR)]
    for n in (1, 2, 3):
        clock.set(t0 + n * HOUR + SECOND)
        assert services.timers.fire_due().fired == [d.code]
        # the same sweep again finds nothing due: the stored instant moved on
        assert services.timers.fire_due().fired == []
        view = services.dossiers.get(d.id)
        assert elements(view) == ["appraise"] + ["chase"] * n
        expected = [("remind", t0 + (n + 1) * HOUR)] if n < 3 else []  # R3: three occurrences
        assert timer_rows(services, d.id) == expected
    assert fired_events(services.dossiers.get(d.id)) == [["remind"]] * 3
    clock.advance(10 * HOUR)
    assert services.timers.fire_due().fired == []


def test_a_late_sweep_fires_every_missed_occurrence(services, dirs, clock):
    publish_procedure(services, "P", reminders())
    t0 = clock.now()
    d = services.dossiers.start("P")
    clock.set(t0 + 2 * HOUR + SECOND)  # the scheduler was down for two occurrences
    report = services.timers.fire_due()
    assert (report.fired, report.failed) == ([d.code], [])
    assert elements(services.dossiers.get(d.id)) == ["appraise", "chase", "chase"]
    assert timer_rows(services, d.id) == [("remind", t0 + 3 * HOUR)]


def test_reminders_already_created_outlive_the_task_and_the_cycle_stops(services, dirs, clock):
    publish_procedure(services, "P", reminders())
    t0 = clock.now()
    d = services.dossiers.start("P")
    clock.set(t0 + HOUR + SECOND)
    services.timers.fire_due()
    view = services.dossiers.get(d.id)
    [main] = [t for t in view.current_tasks if t.element_id == "appraise"]
    done = services.dossiers.complete_task(main.task_id, {}, "official-1")
    # the reminder created before the task was completed is still waiting for the agency head
    assert [t.element_id for t in done.current_tasks] == ["chase"]
    assert done.status == "processing"
    assert timer_rows(services, d.id) == []  # no further reminders: the activity is over
    assert fired_events(services.dossiers.get(d.id)) == [["remind"]]  # stopping is not firing
    clock.advance(10 * HOUR)
    assert services.timers.fire_due().fired == []
    [chase] = services.dossiers.get(d.id).current_tasks
    end = services.dossiers.complete_task(chase.task_id, {}, "head-1")
    assert (end.status, end.current_tasks) == ("processed", [])


def test_reminders_outlive_a_task_ended_by_an_interrupting_event(services, dirs, clock):
    p = (reminders().boundary_message("withdrawn", "appraise", "applicant withdrew")
         .user("close", lane="one_stop_officer").end("closed").chain("withdrawn", "close", "closed"))
    publish_procedure(services, "P", p)
    t0 = clock.now()
    d = services.dossiers.start("P")
    clock.set(t0 + HOUR + SECOND)
    services.timers.fire_due()
    desk = Official("desk-1", "000.00.12.H15", frozenset({"one_stop_officer"}))
    done = services.messages.deliver(desk, d.id, "applicant withdrew", {})
    assert sorted(t.element_id for t in done.current_tasks) == ["chase", "close"]
    assert timer_rows(services, d.id) == []
