"""Multi-instance user tasks: one consultation per agency (R-4.2, R-4.4, N-5). Every instance has
the task's form, its own working-time deadline (a number, or one read from its item), the agency of
its item through the lane, the diagram's element id, and the outputs are gathered."""
from datetime import datetime

import pytest

from engine.services.errors import InvalidInput, ProcessFailure
from tests.conftest import VN
from tests.support.bpmn import Process, publish_procedure


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py

OPINION = {"type": "object", "required": ["opinion"], "properties": {"opinion": {"type": "string", "minLength": 2}}}
A20, A21, A22 = "000.00.12.H20", "000.00.12.H21", "000.00.12.H22"


def consultations(sequential=False, days=2, lane="Cơ quan phối hợp [official@{agency}]", item="agency",
                  each="agencies") -> Process:
    return (Process("p").start()
            .user("consult", "Xin ý kiến", lane=lane, form="opinion.json", days=days,
                  each=each, item=item, gather="opinions", output_item="opinion", sequential=sequential)
            .user("decide", lane="official").end().chain("start", "consult", "decide", "end"))


def test_parallel_consultation_one_task_per_agency(services, dirs, clock):
    publish_procedure(services, "P", consultations(), forms={"opinion.json": OPINION})
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))  # Thursday 15:00
    d = services.dossiers.start("P", data={"agencies": [A20, A21]})
    tasks = d.current_tasks
    assert [(t.element_id, t.name, t.candidate_role, t.candidate_agency) for t in tasks] == [
        ("consult", "Xin ý kiến", "official", A20), ("consult", "Xin ý kiến", "official", A21)]
    # 2 working days from Thursday 15:00: Monday 30 Nov 15:00 (N-5: each its own deadline)
    assert {t.due_at for t in tasks} == {datetime(2026, 11, 30, 15, 0, tzinfo=VN)}
    assert {t.form for t in tasks} == {"opinion.json"}
    with pytest.raises(InvalidInput):  # the form applies to every instance
        services.dossiers.complete_task(tasks[0].task_id, {}, "o20")
    first = services.dossiers.complete_task(tasks[0].task_id, {"opinion": "đồng ý"}, "o20")
    assert [t.candidate_agency for t in first.current_tasks] == [A21]
    last = services.dossiers.complete_task(tasks[1].task_id, {"opinion": "không đồng ý"}, "o21")
    [decide] = last.current_tasks
    assert decide.element_id == "decide"
    assert services.dossiers.get_task(decide.task_id).data["opinions"] == ["đồng ý", "không đồng ý"]
    timeline = services.dossiers.get(d.id).timeline
    assert [(s.element_id, s.agency) for s in timeline[:2]] == [("consult", A20), ("consult", A21)]


def test_sequential_consultation_one_agency_after_the_other(services, dirs):
    publish_procedure(services, "P", consultations(sequential=True), forms={"opinion.json": OPINION})
    d = services.dossiers.start("P", data={"agencies": [A20, A21, A22]})
    gathered = []
    for agency in (A20, A21, A22):
        [task] = services.dossiers.get(d.id).current_tasks
        assert (task.element_id, task.candidate_agency, task.form) == ("consult", agency, "opinion.json")
        services.dossiers.complete_task(task.task_id, {"opinion": f"ý kiến {agency}"}, "o")
        gathered.append(f"ý kiến {agency}")
    [decide] = services.dossiers.get(d.id).current_tasks
    assert services.dossiers.get_task(decide.task_id).data["opinions"] == gathered


def test_the_item_gives_each_instance_its_agency_and_its_deadline(services, dirs, clock):
    process = consultations(days="{consultation.days}", lane="Sở [official@{consultation.agency}]",
                            item="consultation", each="consultations")
    publish_procedure(services, "P", process, forms={"opinion.json": OPINION})
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))  # Thursday 15:00
    d = services.dossiers.start("P", data={"consultations": [{"agency": A20, "days": 1}, {"agency": A21, "days": 3}]})
    # 1 working day: Friday 27 Nov 15:00; 3 working days: Tuesday 1 Dec 15:00
    assert [(t.candidate_agency, t.due_at) for t in d.current_tasks] == [
        (A20, datetime(2026, 11, 27, 15, 0, tzinfo=VN)), (A21, datetime(2026, 12, 1, 15, 0, tzinfo=VN))]


def test_an_item_without_its_deadline_is_an_incident_not_a_crash(services, dirs):
    process = consultations(days="{consultation.days}", lane="Sở [official@{consultation.agency}]",
                            item="consultation", each="consultations")
    publish_procedure(services, "P", process, forms={"opinion.json": OPINION})
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.start("P", data={"consultations": [{"agency": A20}]})
    assert info.value.extra["element_id"] == "consult" and "consultation.days" in info.value.detail


def test_a_deadline_past_the_calendar_is_an_incident_on_the_task_not_a_crash(services, dirs):
    """10**9 working days from an item's data: the calendar raised ValueError, which went out as a 500."""
    process = consultations(days="{consultation.days}", lane="Sở [official@{consultation.agency}]",
                            item="consultation", each="consultations")
    publish_procedure(services, "P", process, forms={"opinion.json": OPINION})
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.start("P", data={"consultations": [{"agency": A20, "days": 10**9}]})
    assert info.value.extra["element_id"] == "consult" and "1000000000 working days" in str(info.value)


@pytest.mark.parametrize("data, expected", [({}, "'agencies' is missing, not a list"),
                                            ({"agencies": 5}, "'agencies' is int, not a list"),
                                            # text is iterable: it made one consultation per character
                                            ({"agencies": "ab"}, "'agencies' is text, not a list")])
@pytest.mark.parametrize("sequential", [False, True])
def test_a_collection_that_is_not_a_list_is_an_incident_on_the_task(services, dirs, data, expected, sequential):
    """It was "TypeError: 'NoneType' object is not iterable", with no element."""
    publish_procedure(services, "P", consultations(sequential=sequential), forms={"opinion.json": OPINION})
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.start("P", data=data)
    assert info.value.extra["element_id"] == "consult" and expected in str(info.value)
