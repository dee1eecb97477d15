"""A timer fires AT its instant (BPMN 2.0 §10.5.6 "the timer event is triggered at the specified
time"): a sweep at exactly `due_at` fires it, a sweep one microsecond earlier does not. SpiffWorkflow
3.2 fired only strictly after the instant, so the sweep found the row due, fired nothing and reported
the dossier fired; the timer went off at the next sweep."""
from datetime import datetime, timedelta

import pytest

from tests.conftest import VN
from tests.support.bpmn import Process, publish_procedure

MICROSECOND = timedelta(microseconds=1)
HOUR = timedelta(hours=1)
# Thursday 26 Nov 2026 15:00, a working day. 8 working hours later (config/calendar.toml: 07:00-11:30
# and 13:30-17:00) is Friday 27 Nov 15:00: Thu 15:00-17:00 = 2 h, Fri 07:00-11:30 = 4.5 h (6.5),
# 13:30-15:00 = 1.5 h (8). One working day after Thursday 15:00 is the same instant.
T0 = datetime(2026, 11, 26, 15, 0, tzinfo=VN)
DUE_8H = datetime(2026, 11, 27, 15, 0, tzinfo=VN)


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


def boundary(interrupting: bool) -> Process:
    return (Process("p").start().user("receive", lane="one_stop_officer")
            .boundary_timer("late", "receive", "deadline(working_hours=8)", interrupting=interrupting)
            .user("escalate", lane="agency_head").end("e1").end("e2")
            .chain("start", "receive", "e1").chain("late", "escalate", "e2"))


def catch(kind: str, expression: str) -> Process:
    return (Process("p").start().timer("wait", expression, kind=kind).user("after").end()
            .chain("start", "wait", "after", "end"))


def cycle() -> Process:
    return (Process("p").start().user("appraise", lane="official")
            .boundary_timer("remind", "appraise", '"R2/PT1H"', interrupting=False, kind="timeCycle")
            .user("chase", lane="agency_head").end("done").end("chased")
            .chain("start", "appraise", "done").chain("remind", "chase", "chased"))


def event_subprocess() -> Process:
    inner = (Process("esp").timer_start("remind_after", "deadline(working_hours=8)", interrupting=False)
             .user("remind", lane="agency_head").end("esp_end").chain("remind_after", "remind", "esp_end"))
    return (Process("p").start().user("appraise").end().chain("start", "appraise", "end")
            .event_subprocess("esp", inner))


def timer_start() -> Process:
    return Process("p").timer_start("start", "deadline(working_hours=8)").user("after").end().chain("start", "after", "end")


def gateway() -> Process:
    return (Process("p").start().event_gateway("gw").timer("after_1_day", "deadline(working_days=1)")
            .message_catch("answer", "answer").user("remind").user("read").end("e1").end("e2")
            .chain("start", "gw").chain("gw", "after_1_day", "remind", "e1").chain("gw", "answer", "read", "e2"))


def timer_rows(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return [(t.element_id, t.due_at) for t in uow.timers.for_dossier(dossier_id)]


def tasks(services, dossier_id):
    return sorted(t.element_id for t in services.dossiers.get(dossier_id).current_tasks)


# (process, the timer's element, its instant, the human tasks before it fires, after it fires)
CASES = {
    "interrupting boundary": (boundary(True), "late", DUE_8H, ["receive"], ["escalate"]),
    "non-interrupting boundary": (boundary(False), "late", DUE_8H, ["receive"], ["escalate", "receive"]),
    "intermediate catch, timeDate": (catch("timeDate", "deadline(working_hours=8)"), "wait", DUE_8H, [], ["after"]),
    # a plain duration: 1 hour of clock time after 15:00 is 16:00
    "intermediate catch, timeDuration": (catch("timeDuration", '"PT1H"'), "wait", T0 + HOUR, [], ["after"]),
    # R2/PT1H: the first occurrence 1 hour after 15:00, i.e. 16:00, the next at 17:00
    "cycle": (cycle(), "remind", T0 + HOUR, ["appraise"], ["appraise", "chase"]),
    "process timer start": (timer_start(), "start", DUE_8H, [], ["after"]),
    "event sub-process timer start": (event_subprocess(), "remind_after", DUE_8H, ["appraise"], ["appraise", "remind"]),
    # 1 working day after Thursday 15:00 is Friday 15:00
    "event-based gateway": (gateway(), "after_1_day", DUE_8H, [], ["remind"]),
}


@pytest.mark.parametrize("case", CASES)
def test_a_sweep_at_exactly_the_instant_fires_the_timer_and_one_microsecond_before_does_not(
        services, dirs, clock, case):
    process, element, due, before, after = CASES[case]
    publish_procedure(services, "P", process)
    clock.set(T0)
    d = services.dossiers.start("P")
    assert timer_rows(services, d.id) == [(element, due)]

    clock.set(due - MICROSECOND)
    report = services.timers.fire_due()
    assert (report.fired, report.due) == ([], 0)
    assert tasks(services, d.id) == before

    clock.set(due)
    report = services.timers.fire_due()
    assert (report.fired, report.failed, report.due, report.delays) == ([d.code], [], 1, [0.0])
    assert tasks(services, d.id) == after
    view = services.dossiers.get(d.id)
    assert [e["detail"]["elements"] for e in view.events if e["kind"] == "timers_fired"] == [[element]]
    if case == "cycle":  # the second occurrence waits, an hour on: 17:00
        assert timer_rows(services, d.id) == [(element, due + HOUR)]
    else:
        assert timer_rows(services, d.id) == []
    assert services.timers.fire_due().fired == []  # nothing fires twice

