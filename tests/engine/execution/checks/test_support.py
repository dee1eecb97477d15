"""What the engine cannot run as BPMN 2.0 says is refused at check, located, in a modeler's words (issue 8)."""
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.checks.support import SUPPORT
from tests.support.bpmn import Process
from tests.support.dossier_runner import run_dossier

ROOT = Path(__file__).resolve().parents[4]


def problems_of(xml: bytes) -> dict[str, list[str]]:
    """element id -> [severity: message] for every problem (compiled or refused)."""
    try:
        found = compile_process({"p.bpmn": xml}).warnings
    except BpmnInvalid as err:
        found = err.problems
    out: dict[str, list[str]] = {}
    for p in found:
        assert p.line, p
        out.setdefault(p.element_id, []).append(f"{p.severity}: {p.message}")
    return out


def around(*elements: str, extra: str = "") -> bytes:
    """start -> a -> <each element in turn> -> end, plus declarations after the process."""
    p = Process("p").start().user("a")
    ids = []
    for xml in elements:
        p.element(xml)
        ids.append(xml.split('id="')[1].split('"')[0])
    p.end().chain("start", "a", *ids, "end")
    return p.xml().replace(b"</bpmn:process>", b"</bpmn:process>" + extra.encode())


@pytest.mark.parametrize("element, expected", [
    ('<bpmn:complexGateway id="x"/>', "complex gateways are not supported"),
    ('<bpmn:adHocSubProcess id="x"><bpmn:userTask id="in"/></bpmn:adHocSubProcess>', "ad-hoc sub-processes"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:conditionalEventDefinition><bpmn:condition>done</bpmn:condition>'
     '</bpmn:conditionalEventDefinition></bpmn:intermediateCatchEvent>', "would wait forever"),
    ('<bpmn:intermediateThrowEvent id="x"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>',
     "compensation is not supported"),
    ('<bpmn:serviceTask id="x"><bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="http/GetRequest"/>'
     '</bpmn:extensionElements></bpmn:serviceTask>', "service operator 'http/GetRequest' needs a connection"),
    ('<bpmn:serviceTask id="x"/>', "a service task needs a connection to an outside system"),
    ('<bpmn:scriptTask id="x"/>', "script task has no script"),
    ('<bpmn:scriptTask id="x"><bpmn:script>  </bpmn:script></bpmn:scriptTask>', "script task has no script"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition/></bpmn:intermediateCatchEvent>',
     "timer has no time"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>',
     "nothing in this procedure throws signal 'go'"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:messageEventDefinition messageRef="nope"/></bpmn:intermediateCatchEvent>',
     "messageRef='nope' names no bpmn:message"),
    ('<bpmn:intermediateCatchEvent id="x"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'
     '</bpmn:timerEventDefinition><bpmn:signalEventDefinition signalRef="sig"/></bpmn:intermediateCatchEvent>',
     "several triggers (timer, signal)"),
    ('<bpmn:subProcess id="x"><bpmn:startEvent id="in"><bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"'
     '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:startEvent></bpmn:subProcess>',
     "start event of an embedded sub-process cannot wait for a timer"),
])
def test_a_construct_the_engine_cannot_run_is_refused_with_its_element(element, expected):
    found = problems_of(around(element, extra='<bpmn:signal id="sig" name="go"/>'))
    located = {k: v for k, v in found.items() if any(expected in m for m in v)}
    assert located and set(located) <= {"x", "in"}, found
    assert all(m.startswith("error: ") for v in located.values() for m in v if expected in m)


def test_an_uncaught_error_end_event_is_refused_and_a_caught_one_runs():
    sub = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/><bpmn:endEvent id="fail">'
           '<bpmn:errorEventDefinition errorRef="E"/></bpmn:endEvent>'
           '<bpmn:sequenceFlow id="s1" sourceRef="ss" targetRef="fail"/></bpmn:subProcess>')
    uncaught = Process("p").start().element(sub).end().chain("start", "sub", "end").xml().replace(
        b"</bpmn:process>", '</bpmn:process><bpmn:error id="E" name="Thiếu giấy tờ" errorCode="E1"/>'.encode())
    assert "nothing catches error 'Thiếu giấy tờ'" in problems_of(uncaught)["fail"][0]
    caught = (Process("p").start().element(sub)
              .element('<bpmn:boundaryEvent id="caught" attachedToRef="sub"><bpmn:errorEventDefinition errorRef="E"/>'
                       '</bpmn:boundaryEvent>')
              .user("handle").end().end("e2").chain("start", "sub", "end").chain("caught", "handle", "e2"))
    compiled = compile_process({"p.bpmn": caught.xml().replace(b"</bpmn:process>",
                                                              b'</bpmn:process><bpmn:error id="E" errorCode="E1"/>')})
    assert run_dossier(compiled).steps == ["handle"]


def test_a_signal_start_event_cannot_start_a_dossier():
    xml = Process("p").element('<bpmn:startEvent id="s"><bpmn:signalEventDefinition/></bpmn:startEvent>').user("a") \
        .end().chain("s", "a", "end").xml()
    assert "started by its registration" in problems_of(xml)["s"][0]


def test_a_signal_thrown_in_the_procedure_is_caught_in_it():
    p = (Process("p").start().element('<bpmn:parallelGateway id="g"/>').user("a")
         .element('<bpmn:intermediateThrowEvent id="t"><bpmn:signalEventDefinition signalRef="sig"/>'
                  '</bpmn:intermediateThrowEvent>')
         .element('<bpmn:intermediateCatchEvent id="c"><bpmn:signalEventDefinition signalRef="sig"/>'
                  '</bpmn:intermediateCatchEvent>')
         .user("b").end("e1").end("e2").chain("start", "g").chain("g", "a", "t", "e1").chain("g", "c", "b", "e2"))
    compiled = compile_process({"p.bpmn": p.xml().replace(b"</bpmn:process>", b'</bpmn:process><bpmn:signal id="sig" name="go"/>')})
    result = run_dossier(compiled)
    assert result.outcome == "end" and sorted(result.steps) == ["a", "b"]


def test_a_boundary_event_without_trigger_is_refused():
    xml = Process("p").start().user("a").element('<bpmn:boundaryEvent id="b" attachedToRef="a"/>').user("c") \
        .end().end("e2").chain("start", "a", "end").chain("b", "c", "e2").xml()
    assert "needs a trigger" in problems_of(xml)["b"][0]


def test_a_message_sent_that_nothing_in_the_procedure_receives_is_a_warning():
    xml = around('<bpmn:sendTask id="x" messageRef="m"/>', extra='<bpmn:message id="m" name="trả kết quả"/>')
    assert problems_of(xml) == {"x": ["warning: nothing in this procedure receives message 'trả kết quả': the "
                                      "engine delivers messages only within a dossier, so this task just passes on"]}


SPIFF_TAGS = {tag.split("}")[1] for tag in {**BpmnParser.PARSER_CLASSES, **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES}}


def test_every_element_spiffworkflow_parses_has_a_decision_in_the_table():
    decided = " ".join(SUPPORT)
    assert SPIFF_TAGS and all(tag in decided for tag in SPIFF_TAGS), SPIFF_TAGS - set(decided.split())


def test_the_conventions_show_the_table():
    text = (ROOT / "docs" / "bpmn-conventions.md").read_text(encoding="utf-8")
    for construct, (status, note) in SUPPORT.items():
        assert f"| {construct} | {status} | {note} |" in text, construct


def with_event_subprocess(start: str, extra: str = "") -> bytes:
    """start -> a -> end, and an event sub-process whose start event is `start` (id "in") -> handle."""
    inner = (Process("esp").element(start).user("handle").end("esp_end").chain("in", "handle", "esp_end"))
    p = Process("p").start().user("a").end().chain("start", "a", "end").event_subprocess("x", inner)
    return p.xml().replace(b"</bpmn:process>", b"</bpmn:process>" + extra.encode())


TIMER = '<bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'


@pytest.mark.parametrize("start, expected", [
    # SpiffWorkflow 3.2 reads an error or escalation start event as a none start event: the event
    # sub-process started with the process, before anything was thrown.
    ('<bpmn:startEvent id="in"><bpmn:errorEventDefinition errorRef="E"/></bpmn:startEvent>',
     "cannot be started by an error"),
    ('<bpmn:startEvent id="in"><bpmn:escalationEventDefinition escalationRef="U"/></bpmn:startEvent>',
     "cannot be started by an escalation"),
    ('<bpmn:startEvent id="in"/>', "needs a trigger"),
    # isInterrupting is true unless written false (BPMN 2.0 §10.3.5); SpiffWorkflow ignores it, so the
    # process went on beside the sub-process instead of stopping.
    (f'<bpmn:startEvent id="in">{TIMER}</bpmn:startEvent>', "interrupting event sub-processes are not supported"),
    (f'<bpmn:startEvent id="in" isInterrupting="true">{TIMER}</bpmn:startEvent>',
     "interrupting event sub-processes are not supported"),
    ('<bpmn:startEvent id="in"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>',
     "interrupting event sub-processes are not supported"),
])
def test_an_event_subprocess_the_engine_would_start_wrongly_is_refused(start, expected):
    found = problems_of(with_event_subprocess(start, '<bpmn:error id="E" errorCode="E1"/>'
                                                     '<bpmn:escalation id="U" escalationCode="U1"/>'
                                                     '<bpmn:message id="m" name="nộp phí"/>'))
    assert [m for m in found.get("in", []) if expected in m and m.startswith("error: ")], found


@pytest.mark.parametrize("start", [
    f'<bpmn:startEvent id="in" isInterrupting="false">{TIMER}</bpmn:startEvent>',
    '<bpmn:startEvent id="in" isInterrupting="false"><bpmn:messageEventDefinition messageRef="m"/></bpmn:startEvent>',
])
def test_a_non_interrupting_event_subprocess_passes(start):
    assert "in" not in problems_of(with_event_subprocess(start, '<bpmn:message id="m" name="nộp phí"/>'))


def test_an_error_event_subprocess_does_not_count_as_catching_an_error_end_event():
    p = (Process("p").start().user("a")
         .element('<bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="E"/></bpmn:endEvent>')
         .chain("start", "a", "fail"))
    inner = (Process("esp").element('<bpmn:startEvent id="in"><bpmn:errorEventDefinition errorRef="E"/></bpmn:startEvent>')
             .user("handle").end("esp_end").chain("in", "handle", "esp_end"))
    xml = p.event_subprocess("x", inner).xml().replace(b"</bpmn:process>",
                                                       b'</bpmn:process><bpmn:error id="E" errorCode="E1"/>')
    found = problems_of(xml)
    assert any("nothing catches error" in m for m in found["fail"]), found


def test_a_send_task_naming_no_message_is_a_warning_that_it_sends_nothing():
    xml = around('<bpmn:sendTask id="x" name="Báo người nộp"/>')
    assert problems_of(xml) == {"x": ["warning: this task names no message, so it sends nothing: it just passes on"]}
