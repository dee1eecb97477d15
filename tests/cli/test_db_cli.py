"""`motcua db check|backup|restore` (R-9.2) against the test database."""
from __future__ import annotations

import pytest
from sqlalchemy import update

from cli.main import main
from engine.persistence.models import Timer
from tests.support.bpmn import Process, sequential, write_procedure


@pytest.fixture
def env(services, dirs, monkeypatch):
    processes, forms = dirs
    monkeypatch.setenv("MOTCUA_DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("MOTCUA_PROCESSES_DIR", str(processes))
    monkeypatch.setenv("MOTCUA_FORMS_DIR", str(forms))
    return services


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def start_dossiers(services, dirs, n=3, process=None):
    write_procedure(dirs[0], "P", process or sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    return [services.dossiers.start("P") for _ in range(n)]


def test_check_passes_then_names_the_damaged_dossier(env, dirs, capsys):
    timed = (Process("p").start().user("t", lane="official", hours=8)
             .boundary_timer("late", "t", "deadline(working_hours=8)").end("e1").end("e2")
             .chain("start", "t", "e1").chain("late", "e2"))
    dossiers = start_dossiers(env, dirs, process=timed)
    code, out, _ = run(capsys, "db", "check", "--batch", "2")
    assert (code, out) == (0, "checked 3 dossier(s): consistent\n")

    with env.db.engine.begin() as conn:
        conn.execute(update(Timer).where(Timer.dossier_id == dossiers[1].id).values(element_id="other"))
    code, out, _ = run(capsys, "db", "check")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"{dossiers[1].code}  timer_row_mismatch: timers row ")
    assert lines[-1] == "checked 3 dossier(s): 1 inconsistency in 1 dossier(s) (timer_row_mismatch 1)"
