"""The demo's driver (cli/demo/driver.py): timers fire at their own instants as the clock moves,
tasks are worked as the official they wait for, and a scenario's mistakes are named (issue 11).

Calendar: the shipped one (07:00-11:30, 13:30-17:00, Monday to Friday; Tết 2026: 16-20 Feb off).
HKD-01: reception task with a non-interrupting 8-working-hour reminder timer (receive_overdue)."""
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cli.demo.driver import Demo, DemoError, Procedure, ended
from engine.procedures.library import load_procedure

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo(services, clock):
    clock.set(datetime(2026, 2, 13, 15, 30, tzinfo=VN))  # Friday before Tết
    loaded = load_procedure(ROOT / "processes" / "HKD-01", ROOT / "forms")
    services.procedures.add_version(loaded)
    services.procedures.publish("HKD-01")
    return Demo(services, clock, Procedure("HKD-01", "HKD-01", dict(loaded.metadata)), {})


def test_next_due_is_the_earliest_waiting_timer(demo, services):
    assert services.timers.next_due() is None  # no dossier, no timer
    d = demo.register({"name": "Nguyễn Văn An"})
    # 8 working hours from Fri 13 Feb 15:30: Fri 15:30-17:00 (1.5), Tết skipped, Mon 23 07:00-11:30
    # (4.5 -> 6), 13:30-15:30 (2 -> 8) -> Mon 23 Feb 15:30.
    assert services.timers.next_due() == datetime(2026, 2, 23, 15, 30, tzinfo=VN)
    demo.complete(d, "receive", {"outcome": "refuse", "reason": "không thuộc thẩm quyền"})
    assert services.timers.next_due() is None  # the dossier ended: its timers stopped


def test_advance_to_fires_each_timer_at_its_own_instant(demo, services):
    d = demo.register({"name": "Nguyễn Văn An"})
    demo.advance_to(datetime(2026, 2, 24, 9, 0, tzinfo=VN))  # a day past the reminder
    [remind] = [t for t in demo.view(d).current_tasks if t.element_id == "remind_head"]
    # Created when the timer was due (Mon 23 Feb 15:30, worked out above; fired a second after, as
    # SpiffWorkflow fires a timer once its instant has passed), not when the clock stopped.
    assert remind.created_at == datetime(2026, 2, 23, 15, 30, 1, tzinfo=VN)
    assert demo.now() == datetime(2026, 2, 24, 9, 0, tzinfo=VN)


def test_complete_acts_as_the_official_the_task_waits_for(demo, services):
    d = demo.register({"name": "Nguyễn Văn An"})
    demo.advance(minutes=15)
    demo.complete(d, "receive", {"outcome": "receive"})
    demo.complete(d, "forward")
    demo.complete(d, "assign", {"official": demo.official("official").username})
    step = [s for s in demo.view(d).timeline if s.element_id == "assign"][0]
    assert step.who == "head-000.00.12.H15"  # the head of the competent agency assigned
    # The appraisal is now reserved to the assigned official; the driver acts as them.
    task = demo.task(d, "appraise")
    assert task.assignee == "cv-000.00.12.H15"
    demo.complete(d, "appraise", {"conclusion": "refuse", "opinion": "x", "reason": "ngành nghề bị cấm"})
    assert [s.who for s in demo.view(d).timeline if s.element_id == "appraise"] == ["cv-000.00.12.H15"]


def test_a_missing_task_and_a_backward_clock_are_named(demo):
    d = demo.register({"name": "Nguyễn Văn An"})
    with pytest.raises(DemoError, match=r"no ready task 'appraise'; ready: receive@000.00.12.H15"):
        demo.complete(d, "appraise", {})
    with pytest.raises(DemoError, match="cannot go back"):
        demo.advance_to(demo.now() - timedelta(minutes=1))
    assert demo.dossiers == [d.id] and not ended(demo.view(d))
