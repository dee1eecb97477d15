"""Event-based gateways run by the sweep: a timer row for every timer after the gateway, the first
event to occur wins and the other paths are dropped (BPMN 2.0 §10.5.6)."""
from datetime import datetime, timedelta

import pytest

from engine.domain.access import Official
from engine.services.errors import Conflict
from tests.conftest import VN
from tests.engine.services.test_timers import SHIPPED
from tests.support.bpmn import Process, publish_procedure


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py

DESK = Official("desk-1", "000.00.12.H15", frozenset({"one_stop_officer"}))


def two_timers() -> Process:
    # The 2-day timer is listed first: SpiffWorkflow 3.2 gave both timers its instant.
    return (Process("p").start().event_gateway("gw")
            .timer("after_2_days", "deadline(working_days=2)").timer("after_1_day", "deadline(working_days=1)")
            .user("remind_2").user("remind_1").end("e2").end("e1")
            .chain("start", "gw").chain("gw", "after_2_days", "remind_2", "e2").chain("gw", "after_1_day", "remind_1", "e1"))


def timer_rows(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return sorted((t.element_id, t.due_at, t.basis) for t in uow.timers.for_dossier(dossier_id))


def test_every_timer_gets_a_row_and_the_earliest_wins(services, dirs, clock):
    publish_procedure(services, "P", two_timers())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))  # Thursday 15:00
    d = services.dossiers.start("P")
    start = clock.now().isoformat()
    # 1 working day: Friday 27 Nov 15:00; 2 working days: Monday 30 Nov 15:00 (the weekend skipped)
    assert timer_rows(services, d.id) == [
        ("after_1_day", datetime(2026, 11, 27, 15, 0, tzinfo=VN), {"from": start, "working_days": 1}),
        ("after_2_days", datetime(2026, 11, 30, 15, 0, tzinfo=VN), {"from": start, "working_days": 2}),
    ]
    clock.set(datetime(2026, 11, 27, 15, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    view = services.dossiers.get(d.id)
    assert [t.element_id for t in view.current_tasks] == ["remind_1"]
    assert timer_rows(services, d.id) == []  # the other timer is dropped with its path
    assert [e["detail"]["elements"] for e in view.events if e["kind"] == "timers_fired"] == [["after_1_day"]]
    clock.set(datetime(2026, 12, 7, 9, 0, tzinfo=VN))
    assert services.timers.fire_due().fired == []
    assert [t.element_id for t in services.dossiers.get(d.id).current_tasks] == ["remind_1"]


def test_a_late_sweep_after_both_timers_takes_only_the_earliest_path(services, dirs, clock):
    publish_procedure(services, "P", two_timers())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=VN))  # both are due when the sweep runs
    report = services.timers.fire_due()
    assert (report.fired, report.failed) == ([d.code], [])
    assert [t.element_id for t in services.dossiers.get(d.id).current_tasks] == ["remind_1"]


def test_recalculation_moves_a_gateway_timer(services, dirs, clock, tmp_path):
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    services.ctx.calendars.__init__(calendar_file)
    publish_procedure(services, "P", two_timers())
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    with calendar_file.open("a", encoding="utf-8") as f:  # Friday 27 Nov announced off
        f.write('\n[[days_off]]\ndate = 2026-11-27\nreason = "Nghỉ do tỉnh công bố"\n')
    assert services.timers.recalculate().timers_moved == 2
    assert [(e, due) for e, due, _ in timer_rows(services, d.id)] == [
        ("after_1_day", datetime(2026, 11, 30, 15, 0, tzinfo=VN)),
        ("after_2_days", datetime(2026, 12, 1, 15, 0, tzinfo=VN)),
    ]
    clock.set(datetime(2026, 11, 27, 16, 0, tzinfo=VN))
    assert services.timers.fire_due().fired == []  # the workflow follows the moved instant
    clock.set(datetime(2026, 11, 30, 15, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    assert [t.element_id for t in services.dossiers.get(d.id).current_tasks] == ["remind_1"]


def timer_or_message() -> Process:
    return (Process("p").start().event_gateway("gw")
            .timer("no_answer", "deadline(working_days=2)").message_catch("paid", "fee paid")
            .user("cancel_dossier").user("issue").end("e1").end("e2")
            .chain("start", "gw").chain("gw", "no_answer", "cancel_dossier", "e1").chain("gw", "paid", "issue", "e2"))


def test_a_message_before_the_timer_wins_and_drops_the_timer(services, dirs, clock):
    publish_procedure(services, "P", timer_or_message())
    d = services.dossiers.start("P")
    assert [e for e, _, _ in timer_rows(services, d.id)] == ["no_answer"]
    done = services.messages.deliver(DESK, d.id, "fee paid", {"amount": 100000})
    assert (done.caught_by, [t.element_id for t in done.current_tasks]) == (["paid"], ["issue"])
    assert timer_rows(services, d.id) == []
    clock.advance(timedelta(days=10))
    assert services.timers.fire_due().fired == []


def test_the_timer_before_a_message_wins_and_the_message_is_refused(services, dirs, clock):
    publish_procedure(services, "P", timer_or_message())
    d = services.dossiers.start("P")  # Thursday 26 Nov 09:00, 2 working days: Monday 30 Nov 09:00
    clock.set(datetime(2026, 11, 30, 9, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    assert [t.element_id for t in services.dossiers.get(d.id).current_tasks] == ["cancel_dossier"]
    with pytest.raises(Conflict):
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 100000})


def test_timers_sharing_a_label_still_take_their_own_paths(services, dirs, clock):
    # Both timers drawn with the label "Quá hạn": the earliest still takes its own path.
    xml = two_timers().xml()
    for element in (b'id="after_2_days"', b'id="after_1_day"'):
        xml = xml.replace(b"<bpmn:intermediateCatchEvent " + element, b"<bpmn:intermediateCatchEvent " + element
                          + " name=\"Quá hạn\"".encode())
    publish_procedure(services, "P", xml)
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    clock.set(datetime(2026, 11, 27, 15, 0, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    assert [t.element_id for t in services.dossiers.get(d.id).current_tasks] == ["remind_1"]
