"""Back-dated entries (R-9.3): after an outage, an authorised official (agency head or one-stop officer
of the agency concerned) enters a step that happened on paper with its real time and the reason; it
is marked back-entered on the timeline and in the dossier's events. A registration with a past
reception time is one too: refused without a reason, never a silent back-date."""
from datetime import datetime, timedelta

import pytest

from engine.domain.access import Official
from engine.services.errors import Forbidden, InvalidInput, NotFound
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
AN = Official("an", AGENCY, frozenset({"official"}))
OTHER_DESK = Official("desk2", OTHER, frozenset({"one_stop_officer"}))
OUTAGE = "mất điện ngày 26/11, ghi sổ giấy"


def publish(services, dirs):
    p = (Process("p").start().user("appraise", lane="official", hours=8).user("approve", lane="approver", hours=4)
         .end().chain("start", "appraise", "approve", "end"))
    write_procedure(dirs[0], "P", p, statutory_days=5)
    services.procedures.sync()
    services.procedures.publish("P")  # in effect from Thu 26 Nov 09:00


def test_a_back_dated_registration_needs_a_reason_and_an_authorised_official(services, dirs, clock):
    publish(services, dirs)
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=VN))  # Friday: the system is back
    paper = datetime(2026, 11, 26, 9, 0, tzinfo=VN)  # received on paper on Thursday morning
    with pytest.raises(InvalidInput) as err:  # before: silently back-dated
        services.dossiers.register(DESK, "P", {"name": "Lê Thị Hoa"}, received_at=paper)
    assert err.value.problems == [("reason", "required with a past time (R-9.3)")]
    with pytest.raises(Forbidden):  # a desk officer of another agency
        services.dossiers.register(OTHER_DESK, "P", {"name": "Lê Thị Hoa"}, received_at=paper,
                                   back_entry_reason=OUTAGE)
    with pytest.raises(Forbidden):  # registering is the desk's
        services.dossiers.register(AN, "P", {"name": "Lê Thị Hoa"})
    with pytest.raises(InvalidInput) as future:
        services.dossiers.register(DESK, "P", {"name": "Lê Thị Hoa"}, received_at=clock.now() + timedelta(hours=1))
    assert future.value.problems == [("received_at", "in the future")]
    d = services.dossiers.register(DESK, "P", {"name": "Lê Thị Hoa"}, received_at=paper, back_entry_reason=OUTAGE)
    # Counted from its real time: 5 working days from Thu 26 Nov 09:00 -> Thu 3 Dec 09:00; the code
    # carries the receipt date (N-1), and its first task was ready from then (8 h -> Fri 27 Nov 09:00).
    assert d.code.endswith("-261126-0001") and d.due_at == datetime(2026, 12, 3, 9, 0, tzinfo=VN)
    [t] = d.current_tasks
    assert t.created_at == paper and t.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=VN) and t.overdue
    [received] = [e for e in d.events if e["kind"] == "received"]
    assert received["detail"]["back_entered"] is True and received["detail"]["back_entry_reason"] == OUTAGE
    [entry] = [e for e in d.events if e["kind"] == "back_entry"]
    assert entry["at"] == clock.now() and entry["actor"] == "desk"
    assert entry["detail"] == {"step": "registration", "happened_at": "2026-11-26T09:00:00+07:00",
                               "reason": OUTAGE, "rule": "R-9.3"}


def test_a_step_done_on_paper_is_entered_with_its_real_time_and_marked(services, dirs, clock):
    publish(services, dirs)
    d = services.dossiers.start("P")  # Thu 26 Nov 09:00; appraise due 8 working hours later, Fri 09:00
    [t] = d.current_tasks
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=VN))  # Monday: entered after the outage
    done_on_paper = datetime(2026, 11, 26, 15, 0, tzinfo=VN)
    with pytest.raises(Forbidden):  # an official enters their own steps only when they happen
        services.tasks.complete(AN, t.task_id, {}, happened_at=done_on_paper, reason=OUTAGE)
    with pytest.raises(Forbidden):  # the right is judged before the time (a future one is 422 only to the authorised)
        services.tasks.complete(AN, t.task_id, {}, happened_at=clock.now() + timedelta(minutes=5), reason=OUTAGE)
    with pytest.raises(InvalidInput) as no_reason:
        services.tasks.complete(HEAD, t.task_id, {}, happened_at=done_on_paper)
    assert no_reason.value.problems == [("reason", "required with a past time (R-9.3)")]
    with pytest.raises(InvalidInput) as early:
        services.tasks.complete(HEAD, t.task_id, {}, happened_at=datetime(2026, 11, 26, 8, 0, tzinfo=VN),
                                reason=OUTAGE)
    assert early.value.problems == [("happened_at", "before the task was ready")]
    with pytest.raises(InvalidInput) as later:
        services.tasks.complete(HEAD, t.task_id, {}, happened_at=clock.now() + timedelta(minutes=5), reason=OUTAGE)
    assert later.value.problems == [("happened_at", "in the future")]
    with pytest.raises(InvalidInput) as naive:
        services.tasks.complete(HEAD, t.task_id, {}, happened_at=datetime(2026, 11, 26, 15, 0), reason=OUTAGE)
    assert naive.value.problems == [("happened_at", "no offset")]
    with pytest.raises(NotFound):  # another agency's desk does not see the task
        services.tasks.complete(OTHER_DESK, t.task_id, {}, happened_at=done_on_paper, reason=OUTAGE)

    done = services.tasks.complete(HEAD, t.task_id, {}, happened_at=done_on_paper, reason=OUTAGE)
    [approve] = done.current_tasks
    # The next step was ready from the real time: Thu 15:00 + 4 working hours = Fri 27 Nov 09:00.
    assert approve.created_at == done_on_paper and approve.due_at == datetime(2026, 11, 27, 9, 0, tzinfo=VN)
    view = services.dossiers.get(d.id)
    [step, _open] = view.timeline
    # Done Thu 15:00, due Fri 09:00: early by its real time (it would be late by the entry time, N-7).
    assert (step.done_at, step.timeliness, step.back_entered, step.back_entry_reason) == (
        done_on_paper, "early", True, OUTAGE)
    assert step.who == "head"
    [entry] = [e for e in view.events if e["kind"] == "back_entry"]
    assert entry["at"] == clock.now()
    assert entry["detail"] == {"task_id": t.task_id, "element_id": "appraise", "name": "appraise",
                               "happened_at": "2026-11-26T15:00:00+07:00", "reason": OUTAGE, "rule": "R-9.3"}
    # A chain of paper steps: the next one cannot be entered before the previous one's real time.
    with pytest.raises(InvalidInput):
        services.tasks.complete(DESK, approve.task_id, {}, happened_at=done_on_paper - timedelta(minutes=1),
                                reason=OUTAGE)
    services.tasks.complete(DESK, approve.task_id, {}, happened_at=done_on_paper + timedelta(hours=1),
                            reason=OUTAGE)
    ended = services.dossiers.get(d.id)
    assert ended.status == "processed" and ended.completed_at == done_on_paper + timedelta(hours=1)


def test_who_may_back_enter_is_checked_before_the_reason(services, dirs, clock):
    # A caller without the right learns nothing about the rules of an action they may not take:
    # 403 (or 404 for a task they cannot see) comes before the 422 of a missing reason.
    publish(services, dirs)
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=VN))
    paper = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
    with pytest.raises(Forbidden):  # another agency's desk, no reason
        services.dossiers.register(OTHER_DESK, "P", {"name": "Lê Thị Hoa"}, received_at=paper)
    d = services.dossiers.register(DESK, "P", {"name": "Lê Thị Hoa"})
    [t] = d.current_tasks
    with pytest.raises(Forbidden):  # an official may not back-enter, even their own agency's step
        services.tasks.complete(AN, t.task_id, {}, happened_at=clock.now() - timedelta(hours=1))
    with pytest.raises(NotFound):  # another agency's desk cannot see the task
        services.tasks.complete(OTHER_DESK, t.task_id, {}, happened_at=clock.now() - timedelta(hours=1))
    with pytest.raises(InvalidInput) as err:  # the agency's desk: the reason is what is missing
        services.tasks.complete(DESK, t.task_id, {}, happened_at=clock.now() - timedelta(hours=1))
    assert err.value.problems == [("reason", "required with a past time (R-9.3)")]
