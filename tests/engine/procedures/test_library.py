"""Procedure folders: metadata, forms and lane conventions checked at load (R-1.1, R-1.2)."""
import json
from pathlib import Path

import pytest

from engine.procedures.library import ProcedureInvalid, build_procedure, load_procedure, procedure_folders
from tests.support.bpmn import Process, metadata, sequential, write_procedure

ROOT = Path(__file__).resolve().parents[3]
FORM = {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}


def files(code="P", bpmn: bytes | None = None, **meta) -> dict[str, bytes]:
    return {"procedure.toml": metadata(code, **meta).encode(), f"{code}.bpmn": bpmn or sequential(1).xml()}


def problems(folder, files, forms=None):
    with pytest.raises(ProcedureInvalid) as info:
        build_procedure(folder, files, forms or {})
    return info.value.problems


def test_shipped_processes_load():
    folders = procedure_folders(ROOT / "processes")
    assert folders
    for folder in folders:
        loaded = load_procedure(folder, ROOT / "forms")
        assert loaded.code == folder.name
        assert loaded.metadata["statutory_days"] >= 0


def test_metadata_problems_name_the_key():
    found = problems("P", files(statutory_days=-1))
    assert [(p.file, p.element_id) for p in found] == [("procedure.toml", "statutory_days")]


def test_missing_metadata():
    found = problems("P", {"P.bpmn": sequential(1).xml()})
    assert found[0].file == "procedure.toml" and "missing" in found[0].message


def test_folder_name_must_match_code():
    found = problems("Q", files("P"))
    assert "differs from the folder name" in found[0].message


def test_referenced_form_must_exist_and_be_a_json_schema():
    bpmn = sequential(1, form="check.json").xml()
    assert "not in forms/" in problems("P", files(bpmn=bpmn))[0].message
    bad = problems("P", files(bpmn=bpmn), {"check.json": json.dumps({"type": "nonsense"}).encode()})
    assert bad[0].file == "forms/check.json" and "not a valid JSON Schema" in bad[0].message
    assert "not valid JSON" in problems("P", files(bpmn=bpmn), {"check.json": b"{"})[0].message


def test_lane_must_name_a_role():
    p = Process("p").start().user("t", lane="Chuyên viên").end().chain("start", "t", "end")
    [found] = problems("P", files(bpmn=p.xml()))
    assert found.element_id == "t" and "does not name a role" in found.message


def test_form_is_part_of_the_version_content():
    bpmn = sequential(1, form="check.json").xml()
    one = build_procedure("P", files(bpmn=bpmn), {"check.json": json.dumps(FORM).encode()})
    changed = dict(FORM, title="Kiểm tra")
    two = build_procedure("P", files(bpmn=bpmn), {"check.json": json.dumps(changed).encode()})
    assert one.content_hash != two.content_hash
    assert one.form_schema("check.json") == FORM
    unrelated = build_procedure("P", files(bpmn=bpmn), {"check.json": json.dumps(FORM).encode(), "x.json": b"{}"})
    assert unrelated.content_hash == one.content_hash


def test_write_procedure_helper_round_trip(tmp_path):
    folder = write_procedure(tmp_path / "processes", "P", sequential(2), forms_dir=tmp_path / "forms")
    assert load_procedure(folder, tmp_path / "forms").code == "P"
