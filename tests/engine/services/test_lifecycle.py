"""The officials' lifecycle actions (issue 9): apology with a new appointment (R-5.3, N-6), stopping,
fees (R-6.2, R-6.3), result return (R-6.1), withdrawal, a paper supplement at the desk (R-2.4, N-4),
each through the one write path, with the access rule inside the service and If-Match."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.domain.deadline import HELD_UNTIL_RESUMED
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.conftest import VN
from tests.support.bpmn import Process, publish_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
AN = Official("an", AGENCY, frozenset({"official"}))
APPROVER = Official("chi", AGENCY, frozenset({"approver"}))
OTHER_HEAD = Official("other_head", OTHER, frozenset({"agency_head"}))
CONTROL = Official("control", "000.00.00.H00", frozenset({"control_office"}))
SUPPLEMENT_FORM = {"type": "object", "required": ["missing", "reason"],
                   "properties": {"missing": {"type": "array", "items": {"type": "string"}},
                                  "reason": {"type": "string"}}}
FEE_FORM = {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer"}}}


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


def two_steps() -> Process:
    return (Process("p").start().user("appraise", lane="official", hours=16).user("approve", lane="approver")
            .end().chain("start", "appraise", "approve", "end"))


def complete(services, dossier_id, element, data=None, who="someone"):
    [task] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return services.dossiers.complete_task(task.task_id, data or {}, who)


def outbox(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return [(r["topic"], r["kind"]) for r in uow.outbox.for_dossier(dossier_id)]


# ---------------------------------------------------------------- apology (R-5.3, N-6)

def test_apology_moves_the_appointment_once_and_notifies_the_applicant(services, dirs, clock):
    publish_procedure(services, "P", two_steps(), statutory_days=5)
    d = services.dossiers.start("P")
    # Received Thu 26 Nov 09:00; 5 working days: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 Dec -> Thu 3 Dec 09:00.
    assert d.due_at == datetime(2026, 12, 3, 9, 0, tzinfo=VN)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))  # Tue: 1 working day later is Wed 09:00, before the due
    new_due = datetime(2026, 12, 8, 17, 0, tzinfo=VN)
    view = services.lifecycle.apologize(HEAD, d.id, new_due, "cần xác minh thực địa", expected_version=d.version)
    assert view.due_at == new_due and view.original_due_at == d.due_at
    assert view.reappointment["reason"] == "cần xác minh thực địa"
    assert view.version == d.version + 1
    assert ("notification", "apology") in outbox(services, d.id)
    [apology] = [e for e in view.events if e["kind"] == "notice.apology"]
    assert apology["actor"] == "head" and apology["detail"]["new_appointment"] == new_due.isoformat()
    # N-6: the new appointment may be made only once.
    with pytest.raises(InvalidInput, match="only once"):
        services.lifecycle.apologize(APPROVER, d.id, datetime(2026, 12, 10, 17, 0, tzinfo=VN), "lại trễ")


def test_apology_is_refused_less_than_one_working_day_before_the_due_instant(services, dirs, clock):
    publish_procedure(services, "P", two_steps(), statutory_days=5)
    d = services.dossiers.start("P")  # due Thu 3 Dec 09:00 (above)
    # Wed 2 Dec 09:30 + 1 working day = Thu 3 Dec 09:30, past the due instant: too late (N-6).
    clock.set(datetime(2026, 12, 2, 9, 30, tzinfo=VN))
    with pytest.raises(InvalidInput, match="at least 1 working day before the due instant 2026-12-03T09:00"):
        services.lifecycle.apologize(HEAD, d.id, datetime(2026, 12, 8, 17, 0, tzinfo=VN), "trễ")
    assert services.dossiers.get(d.id).version == d.version  # nothing saved


def test_apology_access_rule_and_if_match(services, dirs, clock):
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    due = datetime(2026, 12, 10, 17, 0, tzinfo=VN)
    with pytest.raises(Forbidden):  # the desk records apologies, the agency's leadership issues them
        services.lifecycle.apologize(DESK, d.id, due, "trễ")
    with pytest.raises(Forbidden):  # oversight watches, does not act
        services.lifecycle.apologize(CONTROL, d.id, due, "trễ")
    with pytest.raises(NotFound):  # another agency does not see the dossier
        services.lifecycle.apologize(OTHER_HEAD, d.id, due, "trễ")
    with pytest.raises(Conflict, match="at version 1, not 7"):
        services.lifecycle.apologize(HEAD, d.id, due, "trễ", expected_version=7)
    with pytest.raises(InvalidInput):
        services.lifecycle.apologize(HEAD, d.id, datetime(2026, 12, 10, 17, 0), "trễ")  # no zone
    with pytest.raises(NotFound):
        services.lifecycle.apologize(HEAD, 999, due, "trễ")


# ---------------------------------------------------------------- stopping, withdrawal

def test_stop_ends_the_dossier_with_a_notice_and_cancels_its_tasks(services, dirs, clock):
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    with pytest.raises(Forbidden):
        services.lifecycle.stop(AN, d.id, "không thuộc thẩm quyền")
    with pytest.raises(InvalidInput) as blank:
        services.lifecycle.stop(HEAD, d.id, "  ")
    assert blank.value.problems == [("reason", "reason must be a non-empty text")]
    view = services.lifecycle.stop(HEAD, d.code, "người nộp đã chết")
    assert (view.status, view.status_code, view.outcome) == ("stopped", 8, "stopped")
    assert view.status_reason == "người nộp đã chết" and view.current_tasks == []
    assert view.timeliness == "early"  # ended Thu 26 Nov 09:00, long before its appointment (N-7)
    assert ("notification", "stopped") in outbox(services, d.id) and ("portal", "status") in outbox(services, d.id)
    with pytest.raises(Conflict):  # ended: N-8 table allows nothing from 8
        services.lifecycle.withdraw(DESK, d.id)


def test_withdrawal_is_recorded_by_the_desk_on_the_applicants_request(services, dirs):
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    with pytest.raises(Forbidden):
        services.lifecycle.withdraw(HEAD, d.id, "đơn xin rút")
    view = services.lifecycle.withdraw(DESK, d.id, "đơn xin rút hồ sơ ngày 26/11")
    assert (view.status, view.status_code, view.outcome, view.timeliness) == ("withdrawn", 7, "withdrawn", None)
    assert view.current_tasks == []


# ---------------------------------------------------------------- fees

def fee_process() -> Process:
    p = (Process("p").start()
         .user("ask_fee", lane="official", form="fee.json", props={"lifecycle": "payment_request"})
         .receive("wait_fee", "fee_paid").user("issue", lane="official").end())
    return p.chain("start", "ask_fee", "wait_fee", "issue", "end")


def test_desk_payment_delivers_fee_paid_when_the_diagram_waits_for_it(services, dirs):
    publish_procedure(services, "P", fee_process(), forms={"fee.json": FEE_FORM})
    d = services.dossiers.start("P")
    complete(services, d.id, "ask_fee", {"amount": 150000})
    assert services.dossiers.get(d.id).status == "payment_requested"
    with pytest.raises(Forbidden):  # the desk collects money
        services.lifecycle.record_payment(AN, d.id, "BL-0001")
    with pytest.raises(InvalidInput) as blank:
        services.lifecycle.record_payment(DESK, d.id, "")
    assert [f for f, _ in blank.value.problems] == ["reference"]
    view = services.lifecycle.record_payment(DESK, d.id, "BL-0001")
    assert view.status == "processing" and view.fee["reference"] == "BL-0001" and view.fee["method"] == "desk"
    assert [t.element_id for t in view.current_tasks] == ["issue"]  # the diagram moved on
    [msg] = [e for e in view.events if e["kind"] == "message"]
    assert msg["detail"]["caught_by"] == ["wait_fee"] and msg["actor"] == "desk"
    with pytest.raises(Conflict):  # nothing waits to be paid any more
        services.lifecycle.record_payment(DESK, d.id, "BL-0002")


def test_payment_request_and_payment_without_a_waiting_diagram_change_the_aggregate(services, dirs):
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    with pytest.raises(InvalidInput) as bad:
        services.lifecycle.request_payment(AN, d.id, 0)
    assert [f for f, _ in bad.value.problems] == ["amount"]
    asked = services.lifecycle.request_payment(AN, d.id, 50000)
    assert (asked.status, asked.status_code, asked.fee["amount"]) == ("payment_requested", 6, 50000)
    with pytest.raises(Conflict):  # one fee request each
        services.lifecycle.request_payment(AN, d.id, 50000)
    paid = services.lifecycle.record_payment(DESK, d.id, "BL-7")
    assert paid.status == "processing" and not [e for e in paid.events if e["kind"] == "message"]
    assert [t.element_id for t in paid.current_tasks] == ["appraise"]  # the diagram did not move


def test_refund_only_when_the_service_was_not_performed(services, dirs):
    # paid, then stopped: refunded. Paid, then the result was ready: never refunded.
    publish_procedure(services, "P", two_steps())
    stopped = services.dossiers.start("P")
    with pytest.raises(InvalidInput, match="nothing was paid"):
        services.lifecycle.refund(DESK, stopped.id, "dừng xử lý")
    services.lifecycle.request_payment(AN, stopped.id, 50000)
    services.lifecycle.record_payment(DESK, stopped.id, "BL-1")
    with pytest.raises(Conflict, match="stop or refuse the dossier first"):
        services.lifecycle.refund(DESK, stopped.id, "chưa dừng")
    services.lifecycle.stop(HEAD, stopped.id, "hồ sơ giả mạo")
    with pytest.raises(Forbidden):
        services.lifecycle.refund(AN, stopped.id, "dừng xử lý")
    view = services.lifecycle.refund(DESK, stopped.id, "dừng xử lý")
    assert view.fee["refunded_at"] is not None and view.fee["refund_reason"] == "dừng xử lý"
    assert ("notification", "refunded") in outbox(services, stopped.id)
    with pytest.raises(InvalidInput, match="already refunded"):
        services.lifecycle.refund(DESK, stopped.id, "lại")

    done = services.dossiers.start("P")
    services.lifecycle.request_payment(AN, done.id, 50000)
    services.lifecycle.record_payment(DESK, done.id, "BL-2")
    complete(services, done.id, "appraise")
    complete(services, done.id, "approve")
    assert services.dossiers.get(done.id).status == "processed"
    with pytest.raises(InvalidInput, match="the result was ready"):
        services.lifecycle.refund(DESK, done.id, "không lấy kết quả")


# ---------------------------------------------------------------- result return

def test_result_return_by_channel(services, dirs):
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    complete(services, d.id, "appraise")
    complete(services, d.id, "approve")
    with pytest.raises(InvalidInput) as no_tracking:
        services.lifecycle.return_result(DESK, d.id, "postal")
    assert [f for f, _ in no_tracking.value.problems] == ["tracking_number"]
    with pytest.raises(InvalidInput) as bad:
        services.lifecycle.return_result(DESK, d.id, "pigeon")
    assert [f for f, _ in bad.value.problems] == ["return_channel"]
    with pytest.raises(Forbidden):
        services.lifecycle.return_result(AN, d.id, "desk")
    view = services.lifecycle.return_result(DESK, d.id, "postal", "EMS123456789VN")
    assert (view.status, view.status_code, view.return_channel, view.tracking_number) == (
        "returned", 10, "postal", "EMS123456789VN")
    assert ("notification", "returned") in outbox(services, d.id)


# ---------------------------------------------------------------- supplement at the desk (R-2.4, N-4)

def supplement_process() -> Process:
    p = (Process("p").start()
         .user("ask", lane="official", form="supplement.json", props={"lifecycle": "supplement_request"})
         .receive("wait", "supplement_received").user("appraise", lane="official", hours=8).end())
    return p.chain("start", "ask", "wait", "appraise", "end")


def test_paper_supplement_at_the_desk_ends_the_pause_and_moves_the_diagram_on(services, dirs, clock):
    publish_procedure(services, "P", supplement_process(), forms={"supplement.json": SUPPLEMENT_FORM}, statutory_days=5)
    d = services.dossiers.start("P")  # Thu 26 Nov 09:00, due Thu 3 Dec 09:00
    complete(services, d.id, "ask", {"missing": ["Bản sao CCCD"], "reason": "thiếu giấy tờ"})
    assert services.dossiers.get(d.id).status == "supplement_requested"
    with pytest.raises(Forbidden):
        services.lifecycle.supplement_received(AN, d.id)
    # Working hours 07:00-11:30 and 13:30-17:00 (8 h a day). Paused from Thu 26 Nov 09:00 to Mon 30 Nov
    # 09:00: Thu 2.5 + 3.5 = 6 h, Fri 8 h, Mon 07:00-09:00 2 h = 16 working hours. The due moves from
    # Thu 3 Dec 09:00 by 16 h: Thu 6 h, Fri 4 Dec 8 h, Mon 7 Dec 07:00-09:00 2 h -> Mon 7 Dec 09:00.
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=VN))
    view = services.lifecycle.supplement_received(DESK, d.id, "nộp bản giấy tại bộ phận một cửa")
    assert view.status == "processing" and view.paused_since is None
    assert view.due_at == datetime(2026, 12, 7, 9, 0, tzinfo=VN)
    assert [t.element_id for t in view.current_tasks] == ["appraise"]
    [msg] = [e for e in view.events if e["kind"] == "message"]
    assert msg["detail"]["payload"] == {"note": "nộp bản giấy tại bộ phận một cửa"}
    with pytest.raises(Conflict):
        services.lifecycle.supplement_received(DESK, d.id)


def consult_while_supplementing() -> Process:
    """A consultation with its own deadline boundary timer runs beside the supplement request."""
    p = (Process("p").start().parallel("fork")
         .user("consult", lane="official").boundary_timer("late", "consult", "deadline(working_hours=16)")
         .user("escalate", lane="agency_head").end("escalated")
         .user("ask", lane="official", form="supplement.json", props={"lifecycle": "supplement_request"})
         .receive("wait", "supplement_received").parallel("join").end())
    return (p.chain("start", "fork", "consult", "join", "end").chain("fork", "ask", "wait", "join")
            .chain("late", "escalate", "escalated"))


def timer_dues(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return {t.element_id: t.due_at for t in uow.timers.for_dossier(dossier_id)}


def test_deadline_timers_hold_during_a_supplement_and_move_on_by_the_paused_time(services, dirs, clock):
    # N-4: the clock stops while the applicant supplements, for the open steps' deadline timers too
    # (found by the breaker: the consultation's boundary timer fired at its original instant).
    publish_procedure(services, "P", consult_while_supplementing(), forms={"supplement.json": SUPPLEMENT_FORM},
                      statutory_days=5)
    d = services.dossiers.start("P")  # Thu 26 Nov 09:00
    # 16 working hours from Thu 09:00 (07:00-11:30, 13:30-17:00): Thu 2.5 + 3.5 = 6, Fri 8 -> 14,
    # Mon 30 Nov 07:00-09:00 2 -> 16: due Mon 30 Nov 09:00.
    assert timer_dues(services, d.id) == {"late": datetime(2026, 11, 30, 9, 0, tzinfo=VN)}
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=VN))
    complete(services, d.id, "ask", {"missing": ["Bản sao CCCD"], "reason": "thiếu giấy tờ"})
    assert timer_dues(services, d.id) == {"late": HELD_UNTIL_RESUMED}
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=VN))  # past the original instant, still paused
    services.timers.recalculate()  # a calendar reload does not release it either
    assert timer_dues(services, d.id) == {"late": HELD_UNTIL_RESUMED}
    assert services.timers.fire_due().fired == []
    assert "escalate" not in [t.element_id for t in services.dossiers.get(d.id).current_tasks]
    # Paused Thu 26 Nov 10:00 -> Tue 1 Dec 09:00: Thu 1.5 + 3.5 = 5, Fri 8, Mon 8, Tue 07:00-09:00 2
    # = 23 working hours. Mon 30 Nov 09:00 + 23 h: Mon 09:00-17:00 6, Tue 8 -> 14, Wed 8 -> 22,
    # Thu 3 Dec 07:00-08:00 1 -> Thu 3 Dec 08:00 (the same as 1 h counted before the pause, 15 after).
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    services.lifecycle.supplement_received(DESK, d.id)
    assert timer_dues(services, d.id) == {"late": datetime(2026, 12, 3, 8, 0, tzinfo=VN)}
    clock.set(datetime(2026, 12, 3, 7, 59, tzinfo=VN))
    assert services.timers.fire_due().fired == []
    clock.set(datetime(2026, 12, 3, 8, 1, tzinfo=VN))
    assert services.timers.fire_due().fired == [d.code]
    assert "escalate" in [t.element_id for t in services.dossiers.get(d.id).current_tasks]


def test_a_timer_started_during_the_pause_is_not_held_by_it(services, dirs, clock):
    # The applicant's own time to supplement counts during the pause (it starts with it).
    p = (Process("p").start()
         .user("ask", lane="official", form="supplement.json", props={"lifecycle": "supplement_request"})
         .receive("wait", "supplement_received").boundary_timer("gone", "wait", "deadline(working_hours=8)")
         .user("appraise", lane="official").end().end("abandoned"))
    publish_procedure(services, "P", p.chain("start", "ask", "wait", "appraise", "end").chain("gone", "abandoned"),
                      forms={"supplement.json": SUPPLEMENT_FORM}, statutory_days=5)
    d = services.dossiers.start("P")
    complete(services, d.id, "ask", {"missing": ["Bản sao CCCD"], "reason": "thiếu giấy tờ"})  # Thu 09:00
    # 8 working hours from Thu 26 Nov 09:00: Thu 6, Fri 07:00-09:00 2 -> Fri 27 Nov 09:00.
    assert timer_dues(services, d.id) == {"gone": datetime(2026, 11, 27, 9, 0, tzinfo=VN)}


def test_the_desk_cannot_return_a_result_that_was_never_made(services, dirs):
    # the result is made by the agency (appraisal, approval) and then returned by the
    # desk. Returning it while the dossier is still in processing (4), its steps open, would let the
    # desk alone skip them and end the dossier "processed" (9) and "returned" (10), counted early.
    # 409, nothing saved; the dossier stays with its open steps.
    publish_procedure(services, "P", two_steps())
    d = services.dossiers.start("P")
    with pytest.raises(Conflict, match="not ready"):
        services.lifecycle.return_result(DESK, d.id, "desk")
    view = services.dossiers.get(d.id)
    assert (view.status, view.version, [t.element_id for t in view.current_tasks]) == ("processing", 1, ["appraise"])
    complete(services, d.id, "appraise")
    complete(services, d.id, "approve")
    assert services.lifecycle.return_result(DESK, d.id, "desk").status_code == 10
