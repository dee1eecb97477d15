"""Camunda Modeler diagrams run as written: JUEL/FEEL conditions and candidate groups (issue 8).

Each test takes a dossier through the service layer, with the injected clock, to its expected end.
"""
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from engine.services.errors import ProcessFailure
from tests.conftest import VN
from tests.support.bpmn import metadata

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "camunda"


def sync(services, dirs, code: str, files: dict[str, bytes | str], **meta) -> list:
    """Write a procedure folder with these files; returns the sync problems (none: published)."""
    processes, _ = dirs
    folder = processes / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "procedure.toml").write_text(metadata(code, **meta), encoding="utf-8")
    for name, content in files.items():
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    [entry] = [e for e in services.procedures.sync() if e.folder == code]
    if entry.outcome == "created":
        services.procedures.publish(code)
    return entry.problems


def publish_fixture(services, dirs, code: str, *names: str, **meta) -> None:
    problems = sync(services, dirs, code, {n: (FIXTURES / n).read_bytes() for n in names}, **meta)
    assert problems == []


def test_juel_conditions_and_candidate_groups_route_the_dossier(services, dirs, clock):
    publish_fixture(services, dirs, "REVIEW", "review.bpmn")
    d = services.dossiers.start("REVIEW")
    [t] = d.current_tasks
    # candidateGroups="official" wins over the lane "Phòng chuyên môn", which names no role
    assert (t.element_id, t.candidate_role, t.candidate_agency) == ("appraise", "official", "000.00.12.H15")
    clock.advance(timedelta(hours=1))
    # ${decision == 'accept' && score ge 50}: JUEL compares the string "70" as a number
    view = services.dossiers.complete_task(t.task_id, {"decision": "accept", "score": "70"}, "u1")
    [t2] = view.current_tasks
    assert (t2.element_id, t2.candidate_role) == ("approve", "approver")
    view = services.dossiers.complete_task(t2.task_id, {}, "boss")
    assert view.status == "processed"


def test_juel_condition_false_takes_the_default_flow(services, dirs):
    publish_fixture(services, dirs, "REVIEW", "review.bpmn")
    [t] = services.dossiers.start("REVIEW").current_tasks
    # score 49 < 50: not accepted; 'consult' needs a consulted agency: default flow, refused
    view = services.dossiers.complete_task(t.task_id, {"decision": "accept", "score": 49}, "u1")
    assert view.status == "processed" and view.current_tasks == []
    [t] = services.dossiers.start("REVIEW").current_tasks
    view = services.dossiers.complete_task(t.task_id, {"decision": "consult", "score": 0, "consulted_agency": ""}, "u1")
    assert view.status == "processed"


def test_candidate_group_with_agency_from_data(services, dirs):
    publish_fixture(services, dirs, "REVIEW", "review.bpmn")
    [t] = services.dossiers.start("REVIEW").current_tasks
    view = services.dossiers.complete_task(
        t.task_id, {"decision": "consult", "score": 0, "consulted_agency": "000.00.12.H20"}, "u1")
    [t2] = view.current_tasks
    assert (t2.element_id, t2.candidate_role, t2.candidate_agency) == ("consult", "official", "000.00.12.H20")


def test_non_boolean_juel_condition_is_an_incident_on_the_gateway(services, dirs):
    bpmn = (FIXTURES / "review.bpmn").read_text().replace(
        "${decision == 'accept' &amp;&amp; score ge 50}", "${decision}")
    assert sync(services, dirs, "REVIEW", {"review.bpmn": bpmn}) == []
    [t] = services.dossiers.start("REVIEW").current_tasks
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.complete_task(t.task_id, {"decision": "accept", "score": 70}, "u1")
    assert info.value.extra["element_id"] == "Gateway_decision"
    assert "not true or false" in str(info.value)



@pytest.mark.parametrize("condition, expected", [
    ("${decison == 'accept'}", "${decison == 'accept'}"),   # a typo in the variable
    ("${decision}", "${decision}"),                          # a string, not true or false
    ('=decison = "accept"', '=decison = "accept"'),
])
def test_an_incident_quotes_the_condition_as_the_analyst_wrote_it(services, dirs, condition, expected):
    """Not the Python it was translated into, nor Python reprs and exception class names."""
    bpmn = (FIXTURES / "review.bpmn").read_text().replace(
        "${decision == 'accept' &amp;&amp; score ge 50}", condition.replace('"', "&quot;"))
    assert sync(services, dirs, "REVIEW", {"review.bpmn": bpmn}) == []
    [t] = services.dossiers.start("REVIEW").current_tasks
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.complete_task(t.task_id, {"decision": "accept", "score": 70}, "u1")
    [incident] = services.dossiers.get(t.dossier_id).incidents
    for text in (str(info.value), incident["error"]):
        assert expected in text, text
        assert not any(internal in text for internal in ("juel_", "feel_", "  # ", "['", "Error:")), text


ZEEBE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="Definitions_z" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.17.0">
  <bpmn:process id="zeebe_review" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="appraise" name="Thẩm định">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition candidateGroups="official" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" />
    <bpmn:userTask id="approve" name="Phê duyệt">
      <bpmn:extensionElements>
        <zeebe:assignmentDefinition candidateGroups="approver" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="approved" />
    <bpmn:endEvent id="refused" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="appraise" />
    <bpmn:sequenceFlow id="f2" sourceRef="appraise" targetRef="gw" />
    <bpmn:sequenceFlow id="yes" sourceRef="gw" targetRef="approve">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=decision = "accept" and applicant.age &gt;= 18</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="gw" targetRef="refused">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=not(decision = "accept" and applicant.age &gt;= 18)</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="approved" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_feel_conditions_of_camunda_8_route_the_dossier(services, dirs):
    assert sync(services, dirs, "Z", {"z.bpmn": ZEEBE}) == []
    d = services.dossiers.start("Z", applicant={"name": "An", "age": 30})
    [t] = d.current_tasks
    assert t.candidate_role == "official"
    [t2] = services.dossiers.complete_task(t.task_id, {"decision": "accept"}, "u").current_tasks
    assert (t2.element_id, t2.candidate_role) == ("approve", "approver")


def test_feel_null_comparison_is_an_incident_not_a_silent_branch(services, dirs):
    assert sync(services, dirs, "Z", {"z.bpmn": ZEEBE}) == []
    # applicant.age missing: `age >= 18` is null in FEEL, so neither condition is true or false
    [t] = services.dossiers.start("Z", applicant={"name": "An"}).current_tasks
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.complete_task(t.task_id, {"decision": "accept"}, "u")
    assert info.value.extra["element_id"] == "gw"


def test_camunda_constructs_that_cannot_run_are_refused_at_check_with_element_and_hint(services, dirs):
    bpmn = (FIXTURES / "review.bpmn").read_text()
    bpmn = bpmn.replace("${decision == 'accept' &amp;&amp; score ge 50}", "${reviewService.accepts(execution)}")
    bpmn = bpmn.replace('<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${decision eq',
                        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression" language="javascript">${decision eq')
    bpmn = bpmn.replace('camunda:candidateGroups="approver"', 'camunda:assignee="${initiator}"')
    bpmn = bpmn.replace('camunda:candidateGroups="official"', 'camunda:candidateGroups="appraiser"')
    problems = sync(services, dirs, "REVIEW", {"review.bpmn": bpmn})
    found: dict = {}
    for p in problems:  # check reports every problem: an element may have several
        found[p.element_id] = (found.get(p.element_id, "") + " " + p.message).strip()
    assert set(found) == {"Flow_accept", "Flow_consult", "approve", "appraise"}
    assert "method call" in found["Flow_accept"] and "script task" in found["Flow_accept"]
    assert "javascript script" in found["Flow_consult"]
    assert "camunda:assignee" in found["approve"] and "candidateGroups" in found["approve"]
    assert "unknown role 'appraiser'" in found["appraise"]
    lines = {p.element_id: p.line for p in problems}
    source = bpmn.splitlines()
    assert "reviewService" in source[lines["Flow_accept"] - 1]


CAMUNDA_MI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="Definitions_mi" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.17.0">
  <bpmn:process id="consultation" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="consult" name="Lấy ý kiến" camunda:candidateGroups="official@{agency}">
      <bpmn:multiInstanceLoopCharacteristics camunda:collection="${agencies}" camunda:elementVariable="agency">
        <bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${opinion == 'against'}</bpmn:completionCondition>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:userTask>
    <bpmn:userTask id="decide" name="Quyết định" camunda:candidateGroups="approver" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="consult" />
    <bpmn:sequenceFlow id="f2" sourceRef="consult" targetRef="decide" />
    <bpmn:sequenceFlow id="f3" sourceRef="decide" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_camunda_multi_instance_consults_each_agency_until_one_is_against(services, dirs):
    assert sync(services, dirs, "MI", {"mi.bpmn": CAMUNDA_MI}) == []
    d = services.dossiers.start("MI", data={"agencies": ["000.00.12.H20", "000.00.12.H21", "000.00.12.H22"]})
    tasks = d.current_tasks
    # camunda:collection / elementVariable → one task per agency, routed by the item
    assert sorted((t.element_id, t.candidate_role, t.candidate_agency) for t in tasks) == [
        ("consult", "official", "000.00.12.H20"), ("consult", "official", "000.00.12.H21"),
        ("consult", "official", "000.00.12.H22")]
    first = next(t for t in tasks if t.candidate_agency == "000.00.12.H20")
    view = services.dossiers.complete_task(first.task_id, {"opinion": "for"}, "u20")
    assert len([t for t in view.current_tasks if t.element_id == "consult"]) == 2
    second = next(t for t in view.current_tasks if t.candidate_agency == "000.00.12.H21")
    # ${opinion == 'against'} completes the multi-instance: the third consultation is dropped
    view = services.dossiers.complete_task(second.task_id, {"opinion": "against"}, "u21")
    assert [(t.element_id, t.candidate_role) for t in view.current_tasks] == [("decide", "approver")]
