"""Ids, lane and form names longer than the columns that store them are refused at check, located
(issue 12): before, such a procedure validated and published, then its first dossier answered 500
on PostgreSQL (VARCHAR(255): "value too long") where SQLite silently kept the value."""
import pytest

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from tests.support.bpmn import Process

LONG_ID = "t" + "e" * 255  # 256 characters
LONG_LANE = "Chuyên viên " + "rất " * 62 + "[official]"  # 12 + 248 + 10 = 270 characters


def compile_one(process: Process):
    return compile_process({"p.bpmn": process.xml()})


@pytest.mark.parametrize("element, lane, form, located, words", [
    (LONG_ID, "official", "f.json", LONG_ID[:40] + "…", "this id is 256 characters long, at most 255"),
    ("t", LONG_LANE, "f.json", None, "this lane's name is 270 characters long, at most 255"),
    ("t", "official", "f" * 251 + ".json", "t", "the form's name is 256 characters long, at most 255"),
])
def test_names_longer_than_their_columns_are_refused_and_located(element, lane, form, located, words):
    p = Process("p").start().user(element, "Bước", lane=lane, form=form, hours=8).end().chain("start", element, "end")
    with pytest.raises(BpmnInvalid) as refused:
        compile_one(p)
    [problem] = [x for x in refused.value.problems if "characters long" in x.message]
    assert words in problem.message and problem.file == "p.bpmn" and problem.is_error
    if located is not None:
        assert problem.element_id == located


def test_a_long_process_id_is_refused():
    p = Process("p" * 256).start().user("t", lane="official", hours=8).end().chain("start", "t", "end")
    with pytest.raises(BpmnInvalid) as refused:
        compile_one(p)
    assert any("this id is 256 characters long" in x.message for x in refused.value.problems)


def test_names_of_255_characters_are_kept():
    element, form = "t" * 255, "f" * 250 + ".json"
    lane = "x" * 245 + "[official]"
    p = Process("p" * 240).start().user(element, lane=lane, form=form, hours=8).end().chain("start", element, "end")
    compiled = compile_one(p)
    assert not [x for x in compiled.warnings if "characters long" in x.message]
