"""`check` reports every problem at once, each with its severity; warnings do not refuse (issue 8)."""
import pytest

from engine.execution.bpmn_compiler import BpmnInvalid, Problem, compile_process
from engine.procedures.library import ProcedureInvalid, build_procedure
from tests.support.bpmn import Process, metadata, sequential

LAYOUT_TYPO = (b'<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="d">'
               b'<bpmndi:BPMNPlane id="pl" bpmnElement="seq"><bpmndi:Oops/></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
               b"</bpmn:definitions>")


def refused(files, **kw) -> list[Problem]:
    with pytest.raises(BpmnInvalid) as info:
        compile_process(files, **kw)
    return info.value.problems


def test_a_problem_is_an_error_unless_it_says_otherwise():
    p = Problem("a.bpmn", "t", "bad", 3)
    assert p.severity == "error" and p.is_error and str(p) == "a.bpmn:3 [t]: error: bad"
    assert p.to_dict()["severity"] == "error"


def test_every_kind_of_problem_is_reported_in_one_run():
    p = (Process("p").start().user("t", lane="Chuyên viên", hours="eight")
         .script("s", "if x\n").timer("w", "deadline(working_hours=8").end()
         .chain("start", "t", "s", "w", "end"))
    found = refused({"p.bpmn": p.xml()})
    assert sorted((pr.element_id, pr.severity) for pr in found) == [
        ("s", "error"), ("t", "error"), ("t", "error"), ("w", "error")]
    assert all(pr.line for pr in found)


def test_problems_in_several_files_are_reported_together():
    one = Process("one").start().user("a", lane="nobody").end().chain("start", "a", "end")
    two = Process("two").start().script("b", "1 +").end().chain("start", "b", "end")
    found = refused({"one.bpmn": one.xml(), "two.bpmn": two.xml(), "three.bpmn": b"<oops"}, process_id="one")
    assert {(pr.file, pr.element_id) for pr in found} >= {("three.bpmn", None), ("one.bpmn", "a"), ("two.bpmn", "b")}


def test_a_layout_schema_error_is_a_warning_and_does_not_refuse():
    compiled = compile_process({"p.bpmn": sequential(1).xml().replace(b"</bpmn:definitions>", LAYOUT_TYPO)})
    [w] = compiled.warnings
    assert w.severity == "warning" and "diagram layout" in w.message and "engine ignores layout" in w.message
    assert w.line == 11 and w.element_id == "pl" and "bpmndi:Oops" in w.message


def test_a_schema_error_in_the_process_is_an_error_with_its_line():
    xml = sequential(1).xml().replace(b'<bpmn:endEvent id="end"/>', b'<bpmn:endEvent id="end" colour="red"/>')
    [problem] = refused({"p.bpmn": xml})
    assert problem.severity == "error" and problem.element_id == "end" and "colour" in problem.message
    assert "BPMN 2.0 schema" in problem.message and problem.line == 7


def test_a_process_id_naming_no_process_is_blamed_on_procedure_toml():
    [problem] = refused({"a.bpmn": sequential(1, "one").xml()}, process_id="nope")
    assert (problem.file, problem.element_id) == ("procedure.toml", "process_id")
    assert "'nope'" in problem.message and "one" in problem.message


def test_several_executable_processes_ask_for_process_id_in_procedure_toml():
    [problem] = refused({"a.bpmn": sequential(1, "one").xml(), "b.bpmn": sequential(1, "two").xml()})
    assert (problem.file, problem.element_id) == ("procedure.toml", "process_id")


def test_no_executable_process_points_at_the_process():
    xml = sequential(1).xml().replace(b'isExecutable="true"', b'isExecutable="false"')
    [problem] = refused({"p.bpmn": xml})
    assert (problem.element_id, problem.line) == ("seq", 3)


def test_a_call_activity_calling_a_missing_process_is_located_at_the_call_activity():
    p = (Process("p").start().element('<bpmn:callActivity id="call" calledElement="elsewhere"/>').end()
         .chain("start", "call", "end"))
    [problem] = refused({"p.bpmn": p.xml()})
    assert problem.element_id == "call" and "'elsewhere'" in problem.message and problem.line == 5


def test_procedure_toml_and_diagram_problems_come_together():
    bad = Process("p").start().user("t", lane="nobody", form="missing.json").end().chain("start", "t", "end")
    files = {"procedure.toml": metadata("P", statutory_days=-1).encode(), "P.bpmn": bad.xml()}
    with pytest.raises(ProcedureInvalid) as info:
        build_procedure("P", files, {})
    found = {(p.file, p.element_id, p.message.split(" ")[0]) for p in info.value.problems}
    assert ("procedure.toml", "statutory_days", "Must") in found
    assert ("P.bpmn", "t", "lane") in found and ("P.bpmn", "t", "form") in found


def test_warnings_ride_along_with_a_loaded_procedure():
    xml = sequential(1).xml().replace(b"</bpmn:definitions>", LAYOUT_TYPO)
    loaded = build_procedure("P", {"procedure.toml": metadata("P").encode(), "P.bpmn": xml}, {})
    assert [w.severity for w in loaded.warnings] == ["warning"]


def test_a_file_without_process_points_at_its_definitions():
    [problem] = refused({"p.bpmn": b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
                                   b'id="defs" targetNamespace="x"/>'})
    assert (problem.element_id, problem.line) == ("defs", 1) and "no process" in problem.message


def test_a_process_id_used_twice_is_reported_once():
    found = refused({"a.bpmn": sequential(1, "one").xml(), "b.bpmn": sequential(1, "one").xml()})
    assert [(p.file, p.element_id) for p in found] == [("b.bpmn", "one")] and "already used in a.bpmn" in found[0].message


def test_a_loop_without_maximum_or_condition_is_told_in_a_modelers_words():
    p = Process("p").start().element('<bpmn:userTask id="t"><bpmn:standardLoopCharacteristics/></bpmn:userTask>') \
        .end().chain("start", "t", "end")
    [problem] = refused({"p.bpmn": p.xml()})
    assert problem.element_id == "t" and problem.message.startswith("a loop needs a maximum number of loops")
