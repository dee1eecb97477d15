"""`motcua procedures push|pull|validate|diff|submit|publish|repeal|late|history` (issue 12, R-1.2)."""
import io
import json
import re
import zipfile

import pytest

from tests.support.cli import run
from tests.support.bpmn import metadata, sequential, write_procedure

PASSWORD = "Mat-khau-tam-1"


@pytest.fixture
def env(clean_db, dirs, monkeypatch, capsys):
    processes, forms = dirs
    for name, value in {"MOTCUA_DATABASE_URL": clean_db, "MOTCUA_PROCESSES_DIR": str(processes),
                        "MOTCUA_FORMS_DIR": str(forms), "MOTCUA_ARGON2_MEMORY_KIB": "1024",
                        "MOTCUA_ARGON2_TIME_COST": "1"}.items():
        monkeypatch.setenv(name, value)
    run(capsys, "users", "add", "ana", "--agency", "000.00.12.H15", "--roles", "analyst", "--password", PASSWORD)
    run(capsys, "users", "add", "kiem", "--agency", "000.00.00.H00", "--roles", "control_office", "--password", PASSWORD)
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    return processes, forms


def test_the_whole_review_from_a_folder_to_a_repeal(env, capsys, tmp_path):
    processes, _ = env
    folder = write_procedure(processes, "P", sequential(2))
    code, out, _ = run(capsys, "procedures", "validate", str(folder))
    assert code == 0 and "P: valid (0 errors" in out
    code, _, err = run(capsys, "procedures", "push", str(folder), "--by", "an")
    assert code == 1 and "only an analyst can upload a draft" in err
    code, out, _ = run(capsys, "procedures", "push", str(folder), "--by", "ana")
    assert code == 0 and "P: created (version 1)" in out
    code, out, _ = run(capsys, "procedures", "diff", "P")
    assert "P: version 1 against nothing published" in out and "+ userTask task_0 ('Step 0')" in out
    assert run(capsys, "procedures", "submit", "P", "--by", "ana")[0] == 0
    code, out, _ = run(capsys, "procedures", "publish", "P", "--by", "kiem", "--decision", "12/QĐ-UBND",
                       "--decision-date", "2026-01-05")
    assert code == 0 and "version 1 published by decision 12/QĐ-UBND" in out
    assert re.search(r"in effect from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00$", out)  # the province's time (issue 14)

    # a new draft: one more step; the diff says what changes and is JSON too
    write_procedure(processes, "P", sequential(3))
    assert run(capsys, "procedures", "push", str(folder), "--by", "ana")[1].endswith("P: created (version 2)\n")
    code, out, _ = run(capsys, "procedures", "diff", "P", "--json")
    diff = json.loads(out)
    assert (diff["from_version"], diff["to_version"]) == (1, 2)
    assert [e["id"] for e in diff["elements"]["added"]] == ["task_2"]
    assert {f["id"]: f["changes"] for f in diff["flows"]["changed"]} == {"seq_flow_3": {"to": ["end", "task_2"]}}
    assert [(f["id"], f["from"], f["to"]) for f in diff["flows"]["added"]] == [("seq_flow_4", "task_2", "end")]

    # pull writes the published version back; pushing it again changes nothing
    out_dir = tmp_path / "checkout" / "P"
    code, out, _ = run(capsys, "procedures", "pull", "P", str(out_dir), "--version", "1")
    assert code == 0 and sorted(p.name for p in out_dir.iterdir()) == ["P.bpmn", "procedure.toml"]
    assert run(capsys, "procedures", "push", str(out_dir), "--by", "ana")[1].endswith("P: unchanged (version 1)\n")

    code, out, _ = run(capsys, "procedures", "late")
    assert code == 1 and "P version 1: decision 12/QĐ-UBND of 2026-01-05, due 2026-01-08T17:00:00+07:00" in out
    code, out, _ = run(capsys, "procedures", "repeal", "P", "--by", "kiem", "--decision", "99/QĐ-UBND",
                       "--decision-date", "2026-01-05")
    assert code == 0 and "P repealed by decision 99/QĐ-UBND" in out
    code, out, _ = run(capsys, "procedures", "history", "P", "--by", "kiem")
    assert [line.split()[2] for line in out.splitlines()] == ["upload", "submit", "publish", "upload", "repeal"]
    assert "kiem publish version 1 decision 12/QĐ-UBND of 2026-01-05" in out


def test_push_a_zip_and_refuse_a_zip_slip(env, capsys, tmp_path):
    good = tmp_path / "P.zip"
    with zipfile.ZipFile(good, "w") as z:
        z.writestr("P/procedure.toml", metadata("P"))
        z.writestr("P/P.bpmn", sequential(1, form="f.json").xml())
        z.writestr("P/forms/f.json", json.dumps({"type": "object"}))
    code, out, _ = run(capsys, "procedures", "push", str(good), "--by", "ana")
    assert code == 0 and "P: created (version 1)" in out
    evil = tmp_path / "Q.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("procedure.toml", metadata("Q"))
        z.writestr("../../etc/cron.d/x.bpmn", b"<x/>")
    code, out, _ = run(capsys, "procedures", "push", str(evil), "--by", "ana")
    assert code == 1 and "../../etc/cron.d/x.bpmn: error: an absolute path or one that climbs out" in out


def test_validate_a_stored_version_reports_the_legal_lint(env, capsys):
    processes, _ = env
    folder = write_procedure(processes, "P", sequential(2, hours=None), statutory_days=1)
    run(capsys, "procedures", "push", str(folder), "--by", "ana")
    code, out, _ = run(capsys, "procedures", "validate", "P", "--by", "kiem", "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["warnings"] >= 2
    assert any(p["element_id"] == "task_0" and "no working-time share" in p["message"] for p in report["problems"])
    code, _, err = run(capsys, "procedures", "validate", "P", "--by", "an")
    assert code == 1 and "only the analysts of the procedure's agency and the control office" in err
