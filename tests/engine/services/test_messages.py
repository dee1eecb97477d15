"""Messages delivered to a dossier: receive tasks, message catch events, message boundary events,
message start events and event sub-processes, with the payload checked and the delivery recorded.

The lifecycle uses them for "applicant supplemented" (R-2.4) and "fee paid" (R-6.2).
"""
from datetime import timedelta

import pytest

from engine.domain.access import Official
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.support.bpmn import Process, publish_procedure, write_procedure


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py

AGENCY = "000.00.12.H15"
DESK = Official("desk-1", AGENCY, frozenset({"one_stop_officer"}))
FEE_FORM = {"type": "object", "required": ["amount", "receipt_no"],
            "properties": {"amount": {"type": "integer", "minimum": 1}, "receipt_no": {"type": "string"}}}


def fee_then_issue() -> Process:
    p = Process("p").start().user("check", lane="one_stop_officer").receive("wait_fee", "fee paid")
    p.message("fee paid", form="fee-paid.json")
    return p.user("issue", lane="official").end().chain("start", "check", "wait_fee", "issue", "end")


def ready(services, dossier_id):
    return sorted(t.element_id for t in services.dossiers.get(dossier_id).current_tasks)


def complete(services, dossier_id, element, data=None):
    [task] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return services.dossiers.complete_task(task.task_id, data or {}, "someone")


def test_receive_task_waits_for_its_message_and_takes_its_payload(services, dirs):
    publish_procedure(services, "P", fee_then_issue(), forms={"fee-paid.json": FEE_FORM})
    d = services.dossiers.start("P")
    with pytest.raises(Conflict) as early:  # still at the desk's check: not waiting for the fee yet
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 100000, "receipt_no": "BL-1"})
    assert "not waiting" in early.value.detail
    complete(services, d.id, "check")
    assert ready(services, d.id) == []  # waiting for the fee, nobody's task
    done = services.messages.deliver(DESK, d.code, "fee paid", {"amount": 100000, "receipt_no": "BL-1"})
    assert (done.caught_by, done.status, done.version) == (["wait_fee"], "processing", 3)
    [issue] = done.current_tasks
    assert issue.element_id == "issue"
    assert services.dossiers.get_task(issue.task_id).data["receipt_no"] == "BL-1"
    [event] = [e for e in services.dossiers.get(d.id).events if e["kind"] == "message"]
    assert event["actor"] == "desk-1"
    assert event["detail"] == {"message": "fee paid", "caught_by": ["wait_fee"],
                               "payload": {"amount": 100000, "receipt_no": "BL-1"}}
    with pytest.raises(Conflict):  # delivered once: the receive task is done
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 100000, "receipt_no": "BL-1"})


def test_the_payload_is_checked_against_the_message_form_and_the_limits(services, dirs):
    publish_procedure(services, "P", fee_then_issue(), forms={"fee-paid.json": FEE_FORM})
    d = services.dossiers.start("P")
    complete(services, d.id, "check")
    with pytest.raises(InvalidInput) as info:
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 0})
    assert dict(info.value.problems) == {"amount": "0 is less than the minimum of 1", "receipt_no": "is required"}
    with pytest.raises(InvalidInput):
        services.messages.deliver(DESK, d.id, "fee paid", ["not", "an", "object"])
    with pytest.raises(InvalidInput) as info:
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x", "dossier_code": "forged"})
    assert info.value.problems[0][0] == "dossier_code"
    with pytest.raises(InvalidInput):
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x" * 70_000})
    deep: dict = {}
    for _ in range(40):
        deep = {"x": deep}
    with pytest.raises(InvalidInput):
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x", "deep": deep})
    assert ready(services, d.id) == []  # nothing was delivered
    assert services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x"}).caught_by == ["wait_fee"]


def test_without_a_form_any_json_object_is_accepted_into_the_data(services, dirs):
    p = (Process("p").start().message_catch("supplemented", "applicant supplemented").user("review").end()
         .chain("start", "supplemented", "review", "end"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    done = services.messages.deliver(DESK, d.id, "applicant supplemented", {"parts": ["Giấy đề nghị"], "note": "đủ"})
    [review] = done.current_tasks
    assert services.dossiers.get_task(review.task_id).data["parts"] == ["Giấy đề nghị"]


def test_message_variable_receives_the_payload(services, dirs):
    p = Process("p").start().receive("paid", "fee paid").user("issue").end().chain("start", "paid", "issue", "end")
    p.message("fee paid", variable="payment")
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    [issue] = services.messages.deliver(DESK, d.id, "fee paid", {"amount": 5}).current_tasks
    assert services.dossiers.get_task(issue.task_id).data["payment"] == {"amount": 5}


def test_who_may_deliver(services, dirs):
    publish_procedure(services, "P", fee_then_issue(), forms={"fee-paid.json": FEE_FORM})
    d = services.dossiers.start("P")
    complete(services, d.id, "check")
    payload = {"amount": 1, "receipt_no": "x"}
    with pytest.raises(NotFound):  # another agency's dossier does not exist for them
        services.messages.deliver(Official("o", "000.00.12.H99", frozenset({"official"})), d.id, "fee paid", payload)
    with pytest.raises(NotFound):
        services.messages.deliver(DESK, 999_999, "fee paid", payload)
    with pytest.raises(NotFound):
        services.messages.deliver(DESK, "000.00.12.H15-000000-0000", "fee paid", payload)
    with pytest.raises(Forbidden):  # oversight sees, does not act
        services.messages.deliver(Official("c", "000.00.01.H00", frozenset({"control_office"})), d.id, "fee paid", payload)
    with pytest.raises(Forbidden):
        services.messages.deliver(Official("a", AGENCY, frozenset({"analyst"})), d.id, "fee paid", payload)
    with pytest.raises(Conflict):  # not the version the caller saw
        services.messages.deliver(DESK, d.id, "fee paid", payload, expected_version=1)
    official = Official("o", AGENCY, frozenset({"official"}))
    assert services.messages.deliver(official, d.id, "fee paid", payload, expected_version=2).version == 3


def test_an_agency_holding_a_task_may_deliver_to_the_dossier(services, dirs):
    p = (Process("p").start().user("consult", lane="Sở [official@000.00.12.H20]")
         .boundary_message("answered", "consult", "answer sent").end("e1").end("e2")
         .chain("start", "consult", "e1").chain("answered", "e2"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    consulted = Official("x", "000.00.12.H20", frozenset({"official"}))
    done = services.messages.deliver(consulted, d.id, "answer sent", {"opinion": "đồng ý"})
    assert (done.caught_by, done.status, done.current_tasks) == (["answered"], "processed", [])


def test_interrupting_boundary_message_cancels_the_task_and_its_timer(services, dirs, clock):
    p = (Process("p").start().user("appraise", lane="official", days=3)
         .boundary_timer("late", "appraise", "deadline(working_days=3)", interrupting=False)
         .boundary_message("withdrawn", "appraise", "applicant withdrew")
         .user("chase").user("close", lane="one_stop_officer").end("e1").end("e2").end("e3")
         .chain("start", "appraise", "e1").chain("late", "chase", "e2").chain("withdrawn", "close", "e3"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    with services.ctx.uow(write=False) as uow:
        assert [t.element_id for t in uow.timers.for_dossier(d.id)] == ["late"]
    done = services.messages.deliver(DESK, d.id, "applicant withdrew", {"reason": "không tiếp tục"})
    assert [t.element_id for t in done.current_tasks] == ["close"]
    with services.ctx.uow(write=False) as uow:  # rewritten in the delivery's transaction
        assert uow.timers.for_dossier(d.id) == []
    clock.advance(timedelta(days=10))
    assert services.timers.fire_due().fired == []


def test_non_interrupting_boundary_message_spawns_a_path_beside_the_task(services, dirs):
    p = (Process("p").start().user("appraise", lane="official")
         .boundary_message("supplemented", "appraise", "applicant supplemented", interrupting=False)
         .user("review_supplement", lane="official").end("e1").end("e2")
         .chain("start", "appraise", "e1").chain("supplemented", "review_supplement", "e2"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    done = services.messages.deliver(DESK, d.id, "applicant supplemented", {"parts": ["bản sao"]})
    assert sorted(t.element_id for t in done.current_tasks) == ["appraise", "review_supplement"]
    # while the task runs, every message is caught (BPMN 2.0 §10.4.6), each with its own path
    again = services.messages.deliver(DESK, d.id, "applicant supplemented", {"parts": ["bản chính"]})
    assert sorted(t.element_id for t in again.current_tasks) == ["appraise", "review_supplement", "review_supplement"]
    complete(services, d.id, "appraise")
    assert ready(services, d.id) == ["review_supplement", "review_supplement"]  # the paths outlive the task
    with pytest.raises(Conflict):  # the task is done: nothing listens any more
        services.messages.deliver(DESK, d.id, "applicant supplemented", {})


def test_event_subprocess_started_by_a_message(services, dirs):
    inner = Process("esp")
    inner.elements.append('<bpmn:startEvent id="paid" isInterrupting="false"><bpmn:messageEventDefinition '
                          f'messageRef="{inner.message("fee paid")}"/></bpmn:startEvent>')
    inner.user("record_fee", lane="one_stop_officer").end("esp_end").chain("paid", "record_fee", "esp_end")
    p = Process("p").start().user("appraise").end().chain("start", "appraise", "end").event_subprocess("esp", inner)
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    done = services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1})
    assert sorted(t.element_id for t in done.current_tasks) == ["appraise", "record_fee"]


def test_a_dossier_is_started_by_its_message_start_event(services, dirs):
    p = Process("p").message_start("submitted", "application submitted").user("check").end()
    publish_procedure(services, "P", p.chain("submitted", "check", "end"))
    d = services.dossiers.start("P", data={"note": "nộp trực tuyến"})
    [check] = d.current_tasks
    assert services.dossiers.get_task(check.task_id).data["note"] == "nộp trực tuyến"
    assert d.events[0]["detail"]["message"] == "application submitted"
    with pytest.raises(InvalidInput) as info:
        services.dossiers.start("P", start_message="something else")
    assert info.value.problems[0][0] == "start_message"


def test_the_registration_of_a_message_start_is_checked_against_the_message_form(services, dirs):
    p = Process("p").message_start("paid", "fee paid").user("check").end().chain("paid", "check", "end")
    p.message("fee paid", form="fee-paid.json")
    publish_procedure(services, "P", p, forms={"fee-paid.json": FEE_FORM})
    with pytest.raises(InvalidInput) as info:
        services.dossiers.start("P", data={"amount": 100000})
    assert info.value.problems == [("data.receipt_no", "is required")]
    with services.ctx.uow(write=False) as uow:  # nothing was registered
        assert uow.dossiers.by_code("000.00.12.H15-261126-0001") is None
    d = services.dossiers.start("P", data={"amount": 100000, "receipt_no": "BL-7"})
    assert [t.element_id for t in d.current_tasks] == ["check"]


def test_several_message_starts_need_the_registration_to_name_one(services, dirs):
    p = (Process("p").message_start("online", "submitted online").message_start("postal", "received by post")
         .user("check_online").user("check_postal").end("e1").end("e2")
         .chain("online", "check_online", "e1").chain("postal", "check_postal", "e2"))
    publish_procedure(services, "P", p)
    with pytest.raises(InvalidInput) as info:
        services.dossiers.start("P")
    assert "received by post" in info.value.detail and "submitted online" in info.value.detail
    d = services.dossiers.start("P", start_message="received by post")
    assert [t.element_id for t in d.current_tasks] == ["check_postal"]


def test_a_finished_dossier_takes_no_message(services, dirs):
    publish_procedure(services, "P", fee_then_issue(), forms={"fee-paid.json": FEE_FORM})
    d = services.dossiers.start("P")
    complete(services, d.id, "check")
    services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x"})
    complete(services, d.id, "issue")
    with pytest.raises(Conflict) as info:
        services.messages.deliver(DESK, d.id, "fee paid", {"amount": 1, "receipt_no": "x"})
    assert "finished" in info.value.detail


def test_a_message_without_a_name_or_with_a_missing_form_is_refused_at_load(services, dirs):
    p = Process("p").start().receive("wait", "fee paid").end().chain("start", "wait", "end")
    p.message("fee paid", form="missing.json")
    write_procedure(dirs[0], "P", p)
    unnamed = Process("p").start().receive("wait", "x").end().chain("start", "wait", "end")
    write_procedure(dirs[0], "Q", unnamed.xml().replace(b' name="x"', b""))
    entries = {e.folder: e for e in services.procedures.sync()}
    assert [(e.outcome, pr.element_id, pr.message) for e in [entries["P"]] for pr in e.problems] == [
        ("invalid", "wait", "form 'missing.json' is not in forms/")]
    assert entries["Q"].outcome == "invalid"
    assert any(pr.element_id == "msg_x" and "no name" in pr.message for pr in entries["Q"].problems)
