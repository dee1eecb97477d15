"""`motcua db|procedures|timers …` against the test database."""
from datetime import datetime, timedelta

import pytest

from tests.support.cli import point_at, run
from engine.bootstrap import build
from engine.clock import ManualClock
from engine.settings import Settings
from tests.support.bpmn import Process, sequential, write_procedure
from tests.support.dmn import definitions, rule_process, table


@pytest.fixture
def env(clean_db, dirs, monkeypatch):
    point_at(monkeypatch, clean_db, dirs)
    return dirs


def test_db_upgrade_and_current(env, capsys):
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "schema at" in out
    code, out, _ = run(capsys, "db", "current")
    assert code == 0 and out.strip()


def test_sync_publish_list(env, capsys, monkeypatch):
    processes, _ = env
    write_procedure(processes, "P", sequential(2))
    code, out, _ = run(capsys, "procedures", "sync")
    assert code == 0 and "P: created (version 1)" in out
    code, out, _ = run(capsys, "procedures", "sync")
    assert "P: unchanged (version 1)" in out
    monkeypatch.setenv("MOTCUA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("MOTCUA_ARGON2_TIME_COST", "1")
    run(capsys, "users", "add", "ana", "--agency", "000.00.12.H15", "--roles", "analyst", "--password", "Mat-khau-tam-1")
    run(capsys, "users", "add", "kiem", "--agency", "000.00.00.H00", "--roles", "control_office", "--password", "Mat-khau-tam-1")
    code, out, _ = run(capsys, "procedures", "submit", "P", "--by", "ana")
    assert code == 0 and "version 1 submitted" in out
    code, out, _ = run(capsys, "procedures", "publish", "P", "--effective", "2099-01-01T00:00+07:00", "--by", "kiem",
                       "--decision", "1/QĐ-UBND", "--decision-date", "2026-01-05")
    assert code == 0 and "version 1 published by decision 1/QĐ-UBND of 2026-01-05" in out
    code, out, _ = run(capsys, "procedures", "list", "P")
    assert "published" in out and "2099-01-01T00:00:00+07:00" in out  # the province's time, with its offset
    # retiring is the control office's, under its own name (it was "cli" for anyone).
    with pytest.raises(SystemExit):
        run(capsys, "procedures", "retire", "P", "--version", "1")  # --by is required
    code, _, err = run(capsys, "procedures", "retire", "P", "--version", "1", "--by", "ana")
    assert code != 0 and "control office" in err
    code, out, _ = run(capsys, "procedures", "retire", "P", "--version", "1", "--by", "kiem")
    assert code == 0 and "P version 1 retired" in out
    code, out, _ = run(capsys, "procedures", "history", "P", "--by", "kiem")
    assert "retire" in out and "kiem" in out


def test_sync_reports_located_problems_and_fails(env, capsys):
    processes, _ = env
    write_procedure(processes, "BAD", Process("p").start().user("t", lane="Chuyên viên").end().chain("start", "t", "end"))
    code, out, _ = run(capsys, "procedures", "sync")
    assert code == 1 and "BAD: refused" in out and "BAD.bpmn:6 [t]: error: lane" in out


def test_check_a_folder(env, capsys):
    processes, _ = env
    folder = write_procedure(processes, "P", sequential(2))
    code, out, _ = run(capsys, "procedures", "check", str(folder))
    assert code == 0 and "P: valid (2 user tasks" in out


def test_check_processes_checks_every_folder_and_fails_if_one_is_refused(env, capsys):
    # issue 11: `motcua procedures check processes/` checks each procedure folder in it.
    processes, _ = env
    write_procedure(processes, "P", sequential(2))
    code, out, _ = run(capsys, "procedures", "check", str(processes))
    assert code == 0 and "P: valid (2 user tasks" in out
    write_procedure(processes, "Q", sequential(1), statutory_days=-1)
    code, out, _ = run(capsys, "procedures", "check", str(processes))
    assert code == 1 and "P: valid (2 user tasks" in out and "Q: refused (1 errors" in out


def test_check_prints_every_problem_with_its_severity_and_fails_only_on_errors(env, capsys):
    processes, _ = env
    layout_typo = sequential(1).xml().replace(
        b"</bpmn:definitions>",
        b'<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="d">'
        b'<bpmndi:BPMNPlane id="pl" bpmnElement="seq"><bpmndi:Oops/></bpmndi:BPMNPlane></bpmndi:BPMNDiagram>'
        b"</bpmn:definitions>")
    folder = write_procedure(processes, "P", layout_typo)
    code, out, _ = run(capsys, "procedures", "check", str(folder))
    assert code == 0 and "warning: diagram layout" in out and "has no form" in out and "2 warnings" in out
    code, out, _ = run(capsys, "procedures", "sync")
    assert code == 0 and "P: created (version 1)\n  P.bpmn:11 [pl]: warning: diagram layout" in out

    bad = (Process("p").start().user("t", lane="Chuyên viên", hours="eight").script("s", "if x\n").end()
           .chain("start", "t", "s", "end"))
    folder = write_procedure(processes, "Q", bad.xml(), statutory_days=-1)
    code, out, _ = run(capsys, "procedures", "check", str(folder))
    assert code == 1
    assert "procedure.toml [statutory_days]: error" in out
    assert "Q.bpmn:6 [t]: error: lane 'Chuyên viên'" in out and "workingHours='eight'" in out
    assert "[s]: error: script has a syntax error" in out and "Q: refused (4 errors, 0 warnings)" in out


def test_check_runs_the_legal_lint_as_validate_does(env, capsys):
    """Analysts run `check` in their loop: it reports the lint's findings (R-5.1), warnings as
    warnings, a lint error (rules clashing under UNIQUE) refusing with exit 1, as `validate`."""
    processes, _ = env
    # 3 steps of 8 working hours = 24 working hours (3 days) against 2 statutory days (16 hours).
    folder = write_procedure(processes, "P", sequential(3), statutory_days=2)
    code, out, _ = run(capsys, "procedures", "check", str(folder))
    assert code == 0 and "add up to 24 working hours (3 working days), more than the statutory time of 2" in out
    assert "P: valid (3 user tasks, 0 timers, 4 warnings" in out  # the long path and 3 steps without a form
    _, validated, _ = run(capsys, "procedures", "validate", str(folder))
    assert [line for line in out.splitlines() if ": warning: " in line] == \
        [line for line in validated.splitlines() if ": warning: " in line]

    folder = write_procedure(processes, "Q", rule_process("fee", process_id="p"))
    (folder / "rules.dmn").write_bytes(definitions(table("fee", ["kind"], ["rate"], [(['"shop"'], ['"a"']),
                                                                                     (["-"], ['"b"'])])))
    code, out, _ = run(capsys, "procedures", "check", str(folder))
    assert code == 1 and "rules 1 and 2 both match" in out and "Q: refused (1 errors" in out


def test_publish_errors_are_one_line(env, capsys):
    code, _, err = run(capsys, "procedures", "publish", "NOPE", "--by", "nobody", "--decision", "1/QĐ",
                       "--decision-date", "2026-01-05")
    assert code == 1 and err == "motcua: error: --by 'nobody': no active account of that name\n"


def test_timers_fire_and_recalculate(env, capsys, clean_db):
    processes, forms = env
    p = (Process("p").start().timer("wait", "deadline(working_hours=1)").user("t").end()
         .chain("start", "wait", "t", "end"))
    write_procedure(processes, "P", p)
    svc = build(Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms),
                clock=ManualClock(datetime.now().astimezone() - timedelta(days=30)), migrate=False)
    try:
        svc.procedures.sync()
        svc.procedures.publish("P")
        svc.dossiers.start("P")  # a month ago: its timer is long due
    finally:
        svc.close()
    code, out, _ = run(capsys, "timers", "recalculate")
    assert code == 0 and "moved 0 timers" in out
    code, out, _ = run(capsys, "timers", "fire")
    assert code == 0 and "fired 1 dossiers" in out
