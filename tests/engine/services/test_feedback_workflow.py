"""Feedback cases run on the feedback procedure's diagram (R-7.2, issue 10; docs/feedback.md): each
case is an instance of the PAKN-01 version in effect at its receipt, the service acts through its
steps, and the case's status is where that workflow stands. ManualClock; calendar
config/calendar.toml (Mon-Fri 07:00-11:30 and 13:30-17:00, 8 working hours a day)."""
from datetime import datetime

import pytest
from sqlalchemy import update

from engine.domain.access import Official
from engine.domain.applicant import Applicant
from engine.domain.feedback import FeedbackStatus
from engine.persistence.models import FeedbackCase
from engine.services import feedback_workflow as workflow
from engine.services.errors import Conflict, ProcessFailure, Unavailable
from tests.conftest import VN
from tests.support.feedback import changed, publish_feedback_procedure, unchecked

AGENCY = "000.00.12.H15"
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
AN = Official("an", AGENCY, frozenset({"official"}))
CUONG = Applicant("001085012345", "Lê Văn Cường")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=VN)


@pytest.fixture
def world(services, clock):
    for who in (HEAD, DESK, AN):
        services.accounts.add(who.username, who.agency_id, who.roles)
    publish_feedback_procedure(services)
    clock.set(MONDAY)


def stored(services, code):
    """The case as saved and its workflow restored from the saved state (no lazy start: asserted)."""
    with services.ctx.uow(write=False) as uow:
        case, _ = uow.feedback.get(code)
        assert case.workflow_state is not None and case.procedure_version_id is not None
        return case, workflow.load(services.ctx, uow, case, services.clock.now())


def step(services, code):
    case, wf = stored(services, code)
    ready = wf.step()
    return case.status.value, ready.element_id if ready else None, ready.lifecycle if ready else None


def tamper(services, code, **values):
    """Write columns of the row directly, as a bug or a hand edit could."""
    with services.ctx.uow() as uow:
        uow.session.execute(update(FeedbackCase).where(FeedbackCase.code == code).values(**values))
        uow.commit()


def test_the_stored_workflow_advances_with_each_action(services, world):
    online = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    # the diagram's gateway takes online feedback straight to the head (channel == 'online')
    assert step(services, online.code) == ("received", "assign", "feedback_assignment")
    services.feedback.assign(HEAD, online.code, "an")
    assert step(services, online.code) == ("assigned", "answer", "feedback_answer")
    services.feedback.answer(AN, online.code, "Đã xử lý.")
    case, wf = stored(services, online.code)
    assert wf.completed and wf.step() is None and case.status is FeedbackStatus.ANSWERED


def test_offline_feedback_goes_through_the_entry_step(services, world):
    # A fresh instance of the offline channel stands at the desk's entry step `enter` ...
    with services.ctx.uow(write=False) as uow:
        version = workflow.version_in_effect(uow, MONDAY, MONDAY)
        fresh = workflow.start(services.ctx, uow, version.id, workflow.start_data(
            "PAKN-X", AGENCY, "phone", MONDAY, None, VN))
    assert fresh.step().element_id == "enter" and fresh.status() is FeedbackStatus.RECEIVED
    # ... which the service completes when the desk enters it: the saved case waits for the head.
    entered = services.feedback.enter(DESK, "phone", MONDAY, "Dung", "Hỏi", "Gọi điện.")
    assert step(services, entered.code) == ("received", "assign", "feedback_assignment")
    assert entered.procedure_version == 1


def test_the_workflow_refuses_steps_out_of_order_not_a_stored_status(services, world):
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    # The row claims "assigned" (to an): the workflow still waits for the assignment, and decides.
    tamper(services, sent.code, status="assigned", assigned_to="an")
    with pytest.raises(Conflict, match="assign it first"):
        services.feedback.answer(AN, sent.code, "Trả lời")
    # An offline case whose entry step is not done (its workflow just started): not assigned yet.
    entered = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Hỏi", "Tại quầy.")
    with services.ctx.uow(write=False) as uow:
        case, _ = uow.feedback.get(entered.code)
        fresh = workflow.start(services.ctx, uow, case.procedure_version_id, workflow.start_data(
            case.code, AGENCY, "desk", MONDAY, None, VN))
        state = fresh.dump()
    tamper(services, entered.code, state=state)
    with pytest.raises(Conflict, match="waits for its entry"):
        services.feedback.assign(HEAD, entered.code, "an")
    assert services.feedback.get(HEAD, entered.code).status == "received"  # nothing saved
    # Answered: the process ended; nothing more is done to it.
    services.feedback.assign(HEAD, sent.code, "an")
    services.feedback.answer(AN, sent.code, "Trả lời")
    for act in (lambda: services.feedback.answer(AN, sent.code, "Lần nữa"),
                lambda: services.feedback.assign(HEAD, sent.code, "an")):
        with pytest.raises(Conflict, match="already answered"):
            act()


def test_the_head_may_name_another_official_before_the_answer(services, world):
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    services.accounts.add("binh", AGENCY, frozenset({"official"}))
    services.feedback.assign(HEAD, sent.code, "an")
    again = services.feedback.assign(HEAD, sent.code, "binh")  # the workflow stays at the answer step
    assert again.assigned_to == "binh"
    assert step(services, sent.code) == ("assigned", "answer", "feedback_answer")


def _v2(text: str) -> str:
    """PAKN-01 v2: the entry is due within 4 working hours (answer 96: still 13 days of 8 hours), and
    a script step after the answer records that the answer went to the portal."""
    text = text.replace('name="workingHours" value="8"', 'name="workingHours" value="4"')
    text = text.replace('name="workingHours" value="92"', 'name="workingHours" value="96"')
    text = text.replace('<bpmn:outgoing>f_answer</bpmn:outgoing>', '<bpmn:outgoing>f_publish</bpmn:outgoing>')
    text = text.replace('<bpmn:sequenceFlow id="f_answer" sourceRef="answer" targetRef="end" />',
                        '<bpmn:scriptTask id="publish" name="Công khai"><bpmn:incoming>f_publish</bpmn:incoming>'
                        '<bpmn:outgoing>f_answer</bpmn:outgoing><bpmn:script>on_portal = True</bpmn:script>'
                        '</bpmn:scriptTask>'
                        '<bpmn:sequenceFlow id="f_publish" sourceRef="answer" targetRef="publish" />'
                        '<bpmn:sequenceFlow id="f_answer" sourceRef="publish" targetRef="end" />')
    assert "on_portal" in text and 'value="4"' in text
    return text


def test_a_case_runs_to_its_end_on_the_version_it_started_on(services, clock, world):
    old = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Một", "Trước v2.")
    # v1's entry step: 8 working hours from Mon 07:00: 07:00-11:30 (4.5 h) + 13:30-17:00 (3.5 h) = Mon 17:00.
    assert old.entry_due_at == datetime(2026, 11, 30, 17, 0, tzinfo=VN)
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    assert publish_feedback_procedure(services, changed(_v2)) == 2
    new = services.feedback.enter(DESK, "desk", clock.now(), "Dung", "Hai", "Sau v2.")
    # v2's entry step: 4 working hours from Mon 08:00: 08:00-11:30 (3.5 h) + 13:30-14:00 (0.5 h) = Mon 14:00.
    assert new.entry_due_at == datetime(2026, 11, 30, 14, 0, tzinfo=VN)
    assert (old.procedure_version, new.procedure_version) == (1, 2)
    for case in (old, new):
        services.feedback.assign(HEAD, case.code, "an")
        assert services.feedback.answer(AN, case.code, "Xong").procedure_version == case.procedure_version
    (_, old_wf), (_, new_wf) = stored(services, old.code), stored(services, new.code)
    assert old_wf.completed and new_wf.completed
    assert "on_portal" not in old_wf.data and new_wf.data["on_portal"] is True


def _approval_after_the_answer(text: str) -> str:
    """A diagram the check refuses (a step after the answer): the head approves the answer."""
    return text.replace('<bpmn:sequenceFlow id="f_answer" sourceRef="answer" targetRef="end" />',
                        '<bpmn:userTask id="approve" name="Duyệt"><bpmn:incoming>f_answer</bpmn:incoming>'
                        '<bpmn:outgoing>f_approved</bpmn:outgoing></bpmn:userTask>'
                        '<bpmn:sequenceFlow id="f_answer" sourceRef="answer" targetRef="approve" />'
                        '<bpmn:sequenceFlow id="f_approved" sourceRef="approve" targetRef="end" />'
                        ).replace('<bpmn:flowNodeRef>answer</bpmn:flowNodeRef>',
                                  '<bpmn:flowNodeRef>answer</bpmn:flowNodeRef><bpmn:flowNodeRef>approve</bpmn:flowNodeRef>')


def test_a_version_with_a_step_after_the_answer_is_refused_at_run_time_and_nothing_is_saved(services, clock,
                                                                                            world):
    # The check refuses such a diagram at publish (tests/engine/procedures/test_feedback_check.py);
    # stored anyway (e.g. before the check), the answer is refused and the case stays as it was.
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    assert publish_feedback_procedure(services, unchecked(_approval_after_the_answer)) == 2
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    services.feedback.assign(HEAD, sent.code, "an")
    with pytest.raises(ProcessFailure, match="goes on after the answer"):
        services.feedback.answer(AN, sent.code, "Trả lời")
    view = services.feedback.get(HEAD, sent.code)
    assert (view.status, view.answer, view.procedure_version) == ("assigned", None, 2)
    assert [e.kind for e in view.timeline] == ["received", "feedback_received", "assigned"]
    assert step(services, sent.code) == ("assigned", "answer", "feedback_answer")


def test_a_case_received_before_cases_ran_on_the_diagram_starts_at_its_status(services, world):
    # Migration 0018 leaves state NULL on rows received before it: the first action starts the
    # instance on the version in effect at the receipt, at the case's status, and saves it.
    sent = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Cũ", "Trước 0018.")
    services.feedback.assign(HEAD, sent.code, "an")
    tamper(services, sent.code, state=None, procedure_version_id=None)
    assert services.feedback.get(HEAD, sent.code).procedure_version is None
    answered = services.feedback.answer(AN, sent.code, "Trả lời")
    assert (answered.status, answered.procedure_version) == ("answered", 1)
    _, wf = stored(services, sent.code)
    assert wf.completed


def test_without_a_published_feedback_procedure_nothing_is_received(services, clock):
    services.accounts.add(DESK.username, DESK.agency_id, DESK.roles)
    with pytest.raises(Unavailable, match="PAKN-01"):
        services.feedback.enter(DESK, "desk", clock.now(), "Dung", "Hỏi", "Tại quầy.")
    with services.ctx.uow(write=False) as uow:
        assert uow.feedback.query()[1] == 0


def test_a_stored_version_leading_back_to_the_entry_is_refused_at_the_entry_and_nothing_is_saved(services, clock,
                                                                                                 world):
    """The check refuses it (test_feedback_check.test_a_path_back_to_the_entry_step_is_refused); a
    version stored before the check took a phoned-in case back to the entry step and saved it there,
    where no action could move it (assignment 409 forever). Now refused at its entry, nothing saved."""
    from tests.engine.procedures.test_feedback_check import entry_loop
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    assert publish_feedback_procedure(services, unchecked(entry_loop)) == 2
    with pytest.raises(ProcessFailure, match="back at its entry step"):
        services.feedback.enter(DESK, "phone", clock.now(), "Dung", "Hỏi", "Gọi điện.")
    with services.ctx.uow(write=False) as uow:
        assert uow.feedback.query()[1] == 0
    desk = services.feedback.enter(DESK, "desk", clock.now(), "Dung", "Hỏi", "Tại quầy.")  # the gateway's default
    assert desk.procedure_version == 2
    assert services.feedback.assign(HEAD, desk.code, "an").status == "assigned"


def test_a_version_with_a_milestone_and_process_metadata_runs_to_the_answer(services, clock, world):
    def edit(text):
        return text.replace('<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="answer" />',
                            '<bpmn:intermediateThrowEvent id="assigned" name="Đã phân công" />'
                            '<bpmn:sequenceFlow id="f_assign" sourceRef="assign" targetRef="assigned" />'
                            '<bpmn:sequenceFlow id="f_assigned" sourceRef="assigned" targetRef="answer" />')
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=VN))
    assert publish_feedback_procedure(services, changed(edit)) == 2
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    assert services.feedback.assign(HEAD, sent.code, "an").status == "assigned"
    assert services.feedback.answer(AN, sent.code, "Xong").status == "answered"


def test_the_process_data_names_the_official_who_had_the_case_at_its_answer(services, world):
    """A re-assignment names another official without moving the instance (it waits at the answer),
    so the data kept `official` = the first one: a script after the answer (§16 allows them) read the
    wrong official. The answer step now completes with the official assigned at the answer."""
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", agency_id=AGENCY)
    services.accounts.add("binh", AGENCY, frozenset({"official"}))
    services.feedback.assign(HEAD, sent.code, "an")
    services.feedback.assign(HEAD, sent.code, "binh")
    services.feedback.answer(HEAD, sent.code, "Xong")
    _, wf = stored(services, sent.code)
    assert (wf.data["official"], wf.data["answered_by"]) == ("binh", "head")
