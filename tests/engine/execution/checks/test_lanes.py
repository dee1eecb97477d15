"""Lanes come from bpmn:laneSet only, and check reads them as the engine routes them (issue 8, R-4.1)."""
from datetime import datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from tests.conftest import VN
from tests.support.bpmn import Process

CLOCK = ManualClock(datetime(2026, 11, 26, 15, 0, tzinfo=VN))


def run_to_first_tasks(xml: bytes) -> tuple[dict, list]:
    c = compile_process({"p.bpmn": xml})
    loaded = LoadedProcess.from_stored(c.spec, c.subprocess_specs, {k: vars(v) for k, v in c.human_tasks.items()})
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: WorkingCalendar.load(), CLOCK))
    dw = DossierWorkflow.start(loaded, engine, CLOCK, {})
    return c.human_tasks, dw.ready_tasks()


def test_a_vendor_extension_that_looks_like_a_lane_is_not_a_lane():
    # IBM Blueworks Live writes milestones as <ns2:milestone name="Milestone"><flowNodeRef>...;
    # SpiffWorkflow alone would route task t to a lane named "Milestone".
    xml = Process("p").start().user("t").end().chain("start", "t", "end").xml().replace(
        b'<bpmn:startEvent id="start"/>',
        b'<bpmn:extensionElements><ibm:milestones xmlns:ibm="http://www.ibm.com/bpm/Extensions">'
        b'<ibm:milestone name="Milestone"><bpmn:flowNodeRef>t</bpmn:flowNodeRef></ibm:milestone>'
        b'</ibm:milestones></bpmn:extensionElements><bpmn:startEvent id="start"/>')
    meta, [ready] = run_to_first_tasks(xml)
    assert meta["p/t"].lane is None and ready.lane is None


def test_a_plain_task_waits_for_a_person_so_its_lane_is_checked():
    p = Process("p").start().element('<bpmn:task id="t" name="Sign"/>', "t", lane="Milestone").end().chain("start", "t", "end")
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": p.xml()})
    [problem] = info.value.problems
    assert problem.element_id == "t" and "plain task waits for a person" in problem.message
    assert "'Milestone' does not name a role" in problem.message and problem.line == 6


def test_a_plain_task_in_a_role_lane_is_a_human_task():
    p = Process("p").start().element('<bpmn:task id="t" name="Sign"/>', "t", lane="Lãnh đạo [approver]").end()
    meta, [ready] = run_to_first_tasks(p.chain("start", "t", "end").xml())
    assert meta["p/t"].lane == ready.lane == "Lãnh đạo [approver]"


def test_a_task_in_an_embedded_sub_process_is_checked_in_the_lane_it_runs_in():
    inner = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="s1"/><bpmn:userTask id="inner"/>'
             '<bpmn:endEvent id="e1"/><bpmn:sequenceFlow id="f1" sourceRef="s1" targetRef="inner"/>'
             '<bpmn:sequenceFlow id="f2" sourceRef="inner" targetRef="e1"/></bpmn:subProcess>')
    p = Process("p").start().element(inner, "sub", lane="Thẩm định [official]").end().chain("start", "sub", "end")
    meta, [ready] = run_to_first_tasks(p.xml())
    assert meta["sub/inner"].lane == ready.lane == "Thẩm định [official]"

    bad = Process("p").start().element(inner, "sub", lane="Hiring manager").end().chain("start", "sub", "end")
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": bad.xml()})
    assert [(pr.element_id, "'Hiring manager'" in pr.message) for pr in info.value.problems] == [("inner", True)]


def test_the_innermost_of_nested_lanes_wins():
    xml = Process("p").start().user("t").end().chain("start", "t", "end").xml().replace(
        b'<bpmn:startEvent id="start"/>',
        b'<bpmn:laneSet id="ls"><bpmn:lane id="outer" name="Department"><bpmn:flowNodeRef>t</bpmn:flowNodeRef>'
        b'<bpmn:childLaneSet id="cls"><bpmn:lane id="inner" name="Chuyen vien [official]">'
        b'<bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:childLaneSet></bpmn:lane></bpmn:laneSet>'
        b'<bpmn:startEvent id="start"/>')
    meta, [ready] = run_to_first_tasks(xml)
    assert meta["p/t"].lane == ready.lane == "Chuyen vien [official]"


def test_a_sub_process_drawing_its_own_lanes_routes_its_tasks_by_them():
    inner = ('<bpmn:subProcess id="sub"><bpmn:laneSet id="sls"><bpmn:lane id="sl" name="Lãnh đạo [approver]">'
             '<bpmn:flowNodeRef>inner</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
             '<bpmn:startEvent id="s1"/><bpmn:userTask id="inner"/>'
             '<bpmn:endEvent id="e1"/><bpmn:sequenceFlow id="f1" sourceRef="s1" targetRef="inner"/>'
             '<bpmn:sequenceFlow id="f2" sourceRef="inner" targetRef="e1"/></bpmn:subProcess>')
    p = Process("p").start().element(inner, "sub", lane="Thẩm định [official]").end().chain("start", "sub", "end")
    meta, [ready] = run_to_first_tasks(p.xml())
    assert meta["sub/inner"].lane == ready.lane == "Lãnh đạo [approver]"
