"""A timer that passes check runs when a dossier reaches it (issue 8: "Timer expressions")."""
import pytest

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from tests.support.bpmn import Process


@pytest.mark.parametrize("where", ["catch", "start"])
def test_a_cycle_where_something_happens_once_is_refused(where):
    """A process's timer start event with "R3/PT1H" started the first step three times in one dossier;
    an intermediate catch event kept firing on its path."""
    cycle = '<bpmn:timerEventDefinition><bpmn:timeCycle>"R3/PT1H"</bpmn:timeCycle></bpmn:timerEventDefinition>'
    if where == "catch":
        p = Process("p").start().end().chain("start", "t", "end")
        p.elements.append(f'<bpmn:intermediateCatchEvent id="t">{cycle}</bpmn:intermediateCatchEvent>')
    else:
        p = Process("p").user("a").end().chain("t", "a", "end")
        p.elements.append(f'<bpmn:startEvent id="t">{cycle}</bpmn:startEvent>')
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": p.xml()})
    assert [(p.element_id, "a cycle (timeCycle) repeats" in p.message) for p in info.value.problems] == [("t", True)]
