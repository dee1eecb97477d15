"""Diagrams from any modeler either compile or are refused with file, element id and problem."""
import re
from pathlib import Path

import pytest
from lxml import etree

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from tests.support.bpmn import Process, sequential
from tests.support.dossier_runner import run_dossier

# Real files made by other tools (bpmn.io / Camunda Modeler); see the fixture folder's README.
CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "bpmn-miwg-bpmnio"
CORPUS_FILES = sorted(CORPUS.glob("*.bpmn"))
SAMPLE = Path(__file__).resolve().parents[3] / "processes" / "HKD-01" / "HKD-01.bpmn"


# What a modeler must never read: a Python repr or an internal exception (issue 8).
INTERNALS = re.compile(r"<[^>]* at 0x[0-9a-fA-F]+>|TypeError|AttributeError|NameError|KeyError|ValueError|"
                       r"IndexError|AssertionError|has no attribute|unexpected keyword argument|Traceback")


def assert_located(problem, name: str, content: bytes) -> None:
    """The problem names this file, an element id that is in it, a line within it, and a clean sentence."""
    assert problem.file in (name, "procedure.toml"), problem
    assert problem.message and not INTERNALS.search(problem.message), problem
    assert problem.severity in ("error", "warning")
    if problem.file != name:
        return
    tree = etree.fromstring(content)
    assert problem.element_id or problem.line, f"no location: {problem}"
    if problem.element_id:
        assert tree.xpath("//*[@id=$id]", id=problem.element_id), f"{problem.element_id!r} is not an id in {name}"
    if problem.line:
        assert 1 <= problem.line <= content.count(b"\n") + 1, problem


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_corpus_file_compiles_or_is_refused_with_located_clean_problems(path):
    content = path.read_bytes()
    try:
        compiled = compile_process({path.name: content})
    except BpmnInvalid as err:
        assert any(p.is_error for p in err.problems)
        for problem in err.problems:
            assert_located(problem, path.name, content)
    else:
        assert compiled.process_id and compiled.spec
        for problem in compiled.warnings:
            assert_located(problem, path.name, content)


@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: p.name)
def test_every_corpus_file_that_compiles_runs_to_its_end_or_waits_for_a_message(path):
    """Never accepted-then-stuck: every human task completed with empty data, timers fired by the clock."""
    content = path.read_bytes()
    try:
        compiled = compile_process({path.name: content})
    except BpmnInvalid:
        return
    result = run_dossier(compiled)
    assert result.outcome in ("end", "waiting"), result
    if result.outcome == "waiting":  # a message can be delivered through the API
        assert b"messageEventDefinition" in content or b"receiveTask" in content


def test_the_whole_corpus_is_here():
    assert len(CORPUS_FILES) == 21


def test_the_sample_procedure_compiles_with_its_conventions():
    compiled = compile_process({SAMPLE.name: SAMPLE.read_bytes()})
    receive = compiled.human_tasks["HKD01_registration/receive"]
    assert receive.lane == "Bộ phận Một cửa [one_stop_officer]"
    assert receive.form == "reception.json" and receive.properties["lifecycle"] == "reception"
    assert receive.working_hours == 4
    assert ("receive_overdue", SAMPLE.name, "deadline(working_hours=8)") in compiled.timers


def refused(files: dict[str, bytes], **kw) -> list:
    with pytest.raises(BpmnInvalid) as info:
        compile_process(files, **kw)
    return info.value.problems


def test_not_xml():
    [p] = refused({"a.bpmn": b"<bpmn:definitions"})
    assert p.file == "a.bpmn" and "not well-formed XML" in p.message and p.line == 1


def test_not_bpmn():
    [p] = refused({"a.bpmn": b"<html/>"})
    assert "not a BPMN 2.0 file" in p.message


def test_timer_expression_syntax_error_is_located():
    p = Process("p").start().timer("wait", "deadline(working_hours=8").user("t").end().chain("start", "wait", "t", "end")
    [problem] = refused({"p.bpmn": p.xml()})
    assert problem.element_id == "wait" and "timeDate is not a valid expression" in problem.message


def test_script_syntax_error_is_located():
    p = Process("p").start().script("calc", "x = 1\nif x\n").end().chain("start", "calc", "end")
    [problem] = refused({"p.bpmn": p.xml()})
    assert problem.element_id == "calc" and "line 2" in problem.message


def test_no_executable_process():
    xml = sequential(1).xml().replace(b'isExecutable="true"', b'isExecutable="false"')
    [problem] = refused({"p.bpmn": xml})
    assert "no executable process" in problem.message


def test_several_executable_processes_need_process_id():
    files = {"a.bpmn": sequential(1, "one").xml(), "b.bpmn": sequential(1, "two").xml()}
    [problem] = refused(files)
    assert "one, two" in problem.message
    assert compile_process(files, process_id="two").process_id == "two"


def test_bad_working_hours_property():
    p = Process("p").start().user("t", hours="eight").end().chain("start", "t", "end")
    [problem] = refused({"p.bpmn": p.xml()})
    assert problem.element_id == "t" and "workingHours" in problem.message


def test_camunda_form_key_is_accepted():
    xml = sequential(1).xml().replace(
        b'<bpmn:userTask id="task_0" name="Step 0">',
        b'<bpmn:userTask id="task_0" name="Step 0" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        b'camunda:formKey="appraisal.json">',
    )
    compiled = compile_process({"p.bpmn": xml})
    assert compiled.human_tasks["seq/task_0"].form == "appraisal.json"


def test_unknown_element_from_spiff_parser_is_located():
    p = Process("p").start().user("t").end().chain("start", "t", "end").flow("t", "nowhere")
    problems = refused({"p.bpmn": p.xml()})
    assert problems and all(pr.file == "p.bpmn" for pr in problems)
