"""Check time: every expression a procedure will run is compiled under the sandbox's policy and its
calls are checked against the documented functions (issues 7 and 8)."""
from datetime import datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from tests.conftest import VN
from tests.support.bpmn import Process

CAL = WorkingCalendar.load()


def problems(process: Process, dmn: dict | None = None) -> list:
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": process.xml()}, dmn)
    return info.value.problems


def timer(expression: str, kind: str = "timeDate") -> Process:
    return Process("p").start().timer("t", expression, kind).user("u").end().chain("start", "t", "u", "end")


@pytest.mark.parametrize("expression, message", [
    ("deadline(working_hour=8)", "deadline(): got an unexpected keyword argument 'working_hour'; "
                                 "it takes working_hours, working_days, start"),
    ("deadline(8, 1, now(), 3)", "deadline(): too many positional arguments"),
    ("dedline(working_hours=8)", "unknown function dedline()"),
    ("add_working_hours(now())", "add_working_hours(): missing a required argument: 'hours'"),
])
def test_timer_calls_are_checked_against_the_documented_functions(expression, message):
    [p] = problems(timer(expression))
    assert (p.file, p.element_id) == ("p.bpmn", "t") and p.line
    assert p.message.startswith("timeDate refused: " + message)


def test_a_call_to_a_function_the_script_defines_is_fine():
    compile_process({"p.bpmn": Process("p").start().script("s", "def twice(v):\n    return v * 2\nx = twice(2)")
                     .end().chain("start", "s", "end").xml()})


def _run_to_timer(process: Process, clock: ManualClock) -> DossierWorkflow:
    c = compile_process({"p.bpmn": process.xml()})
    loaded = LoadedProcess.from_stored(c.spec, c.subprocess_specs, {k: vars(v) for k, v in c.human_tasks.items()})
    return DossierWorkflow.start(loaded, MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock)), clock, {})


@pytest.mark.parametrize("kind, text, due", [
    ("timeDuration", "P7D", datetime(2026, 12, 3, 15, 0, tzinfo=VN)),  # 7 calendar days, weekend included
    ("timeDuration", "PT1H", datetime(2026, 11, 26, 16, 0, tzinfo=VN)),
    ("timeDate", "2026-12-01T08:00:00+07:00", datetime(2026, 12, 1, 8, 0, tzinfo=VN)),
])
def test_a_bare_iso_timer_is_calendar_time_with_a_warning(kind, text, due):
    c = compile_process({"p.bpmn": timer(text, kind).xml()})
    [w] = c.warnings
    assert (w.severity, w.element_id) == ("warning", "t") and "not working time" in w.message
    clock = ManualClock(datetime(2026, 11, 26, 15, 0, tzinfo=VN))  # Thursday
    [t] = _run_to_timer(timer(text, kind), clock).waiting_timers()
    assert t.due_at == due


def test_a_bare_cycle_is_accepted_with_a_warning():
    # on a non-interrupting boundary event: a cycle on an intermediate catch event is refused (it waits once)
    p = (Process("p").start().user("u").boundary_timer("t", "u", "R3/PT1H", interrupting=False, kind="timeCycle")
         .user("remind").end().end("e2").chain("start", "u", "end").chain("t", "remind", "e2"))
    c = compile_process({"p.bpmn": p.xml()})
    assert [w.element_id for w in c.warnings] == ["t"]


def test_a_bare_iso_text_of_the_wrong_kind_is_refused_with_the_right_one():
    [p] = problems(timer("P7D", "timeDate"))
    assert p.element_id == "t" and "write it as timeDuration" in p.message


def test_pre_and_post_scripts_are_checked():
    xml = Process("p").start().user("u").end().chain("start", "u", "end").xml().replace(
        b'<bpmn:userTask id="u" name="u">',
        b'<bpmn:userTask id="u" name="u"><bpmn:extensionElements>'
        b'<spiffworkflow:preScript>x = 1</spiffworkflow:preScript>'
        b'<spiffworkflow:postScript>import os</spiffworkflow:postScript></bpmn:extensionElements>')
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": xml})
    [p] = info.value.problems
    assert p.element_id == "u" and p.message.startswith("post-script refused: imports are not allowed")


# Python cells (expressionLanguage="python"): FEEL cells are translated and refused by their own
# parser (engine/execution/dmn); Python ones reach the sandbox's policy.
DMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="x"
             expressionLanguage="python">
  <decision id="fee" name="Fee">
    <decisionTable id="table">
      <input id="in1" label="Kind"><inputExpression id="ie1" typeRef="string"><text>kind</text></inputExpression></input>
      <output id="out1" name="fee" typeRef="integer"/>
      <rule id="rule_ok"><inputEntry id="e1"><text>"shop"</text></inputEntry><outputEntry id="o1"><text>100</text></outputEntry></rule>
      <rule id="rule_bad"><inputEntry id="e2"><text>"farm"</text></inputEntry>
        <outputEntry id="o2"><text>().__class__.__mro__</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>
"""


def test_dmn_cells_are_checked_and_located_in_the_dmn_file():
    process = Process("p").start().end().chain("start", "end")
    process.elements.append('<bpmn:businessRuleTask id="rules"><bpmn:extensionElements>'
                            '<spiffworkflow:calledDecisionId>fee</spiffworkflow:calledDecisionId>'
                            '</bpmn:extensionElements></bpmn:businessRuleTask>')
    process.flows = []
    process.chain("start", "rules", "end")
    found = problems(process, {"fee.dmn": DMN})
    assert {(p.file, p.element_id) for p in found} == {("fee.dmn", "rule_bad")}
    assert all("DMN output entry refused" in p.message for p in found)


@pytest.mark.parametrize("kind, expression, message", [
    # a quoted text of the wrong shape would fail only when a dossier reaches the timer (issue 8)
    ("timeDuration", '"P1X"', "timeDuration needs a duration such as PT2H or P7D; 'P1X' is not one"),
    ("timeDuration", '"R3/PT1H"', "write it as timeCycle"),
    # deadline() gives an instant: a duration or a cycle cannot wait for one
    ("timeDuration", "deadline(working_hours=8)", "deadline() gives an instant: draw this timer as a timeDate"),
    ("timeCycle", "add_working_days(now(), 2)", "add_working_days() gives an instant"),
])
def test_a_timer_value_of_the_wrong_shape_is_refused_at_check(kind, expression, message):
    [p] = problems(timer_of_kind(kind, expression))
    assert (p.file, p.element_id, p.severity) == ("p.bpmn", "t", "error") and p.line
    assert message in p.message


@pytest.mark.parametrize("kind, expression", [
    ("timeDuration", '"PT2H"'),
    ("timeDate", '"2026-12-01T08:00:00+07:00"'),
    ("timeDate", "deadline(working_hours=8)"),
    ("timeCycle", '"R3/PT1H"'),
])
def test_a_timer_value_of_the_right_shape_passes(kind, expression):
    compile_process({"p.bpmn": timer_of_kind(kind, expression).xml()})


def timer_of_kind(kind: str, expression: str) -> Process:
    if kind != "timeCycle":
        return timer(expression, kind)
    # a cycle only on a non-interrupting boundary event (an intermediate timer waits once)
    return (Process("p").start().user("u").boundary_timer("t", "u", expression, interrupting=False, kind=kind)
            .user("remind").end().end("e2").chain("start", "u", "end").chain("t", "remind", "e2"))
