"""`motcua timers recalculate`: progress for the operator, and what they see when it stops half way or
a dossier cannot be saved (issue 15; engine/services/recalculation.py)."""
from datetime import datetime

import pytest

from engine.bootstrap import build
from engine.clock import ManualClock
from engine.services import recalculation
from engine.settings import Settings
from tests.conftest import VN
from tests.engine.services.test_timers import SHIPPED, escalation
from tests.support.bpmn import write_procedure
from tests.support.cli import point_at, run


@pytest.fixture
def three(clean_db, dirs, monkeypatch, tmp_path):
    """Three dossiers started Thu 3 Dec 2026 15:00; the calendar file then announces Fri 4 Dec off,
    which moves each one's appointment, step and timer (worked out in test_recalculate.py)."""
    processes, forms = dirs
    point_at(monkeypatch, clean_db, dirs)
    calendar = tmp_path / "calendar.toml"
    calendar.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("MOTCUA_CALENDAR", str(calendar))
    write_procedure(processes, "P", escalation(8))
    svc = build(Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms, calendar_path=calendar),
                clock=ManualClock(datetime(2026, 12, 3, 15, 0, tzinfo=VN)), migrate=False)
    try:
        svc.procedures.sync()
        svc.procedures.publish("P")
        ids = [svc.dossiers.start("P").id for _ in range(3)]
    finally:
        svc.close()
    with calendar.open("a", encoding="utf-8") as f:
        f.write('\n[[days_off]]\ndate = 2026-12-04\nreason = "Nghỉ do tỉnh công bố"\n')
    return ids


def test_progress_goes_to_stderr_and_the_totals_to_stdout(three, capsys):
    code, out, err = run(capsys, "timers", "recalculate", "--batch", "1")
    assert code == 0
    assert out == "moved 3 timers, 3 task due dates, 3 dossier due dates\n"
    assert err.splitlines() == ["recalculating: 3 dossiers have a deadline the calendar moves",
                                "recalculating: 1 of 3 dossiers done, 1 saved",
                                "recalculating: 2 of 3 dossiers done, 2 saved"]
    code, out, err = run(capsys, "timers", "recalculate")
    assert (code, out) == (0, "moved 0 timers, 0 task due dates, 0 dossier due dates\n")
    assert "0 dossiers have a deadline" in err


def test_a_batch_size_below_one_is_refused(three, capsys):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "timers", "recalculate", "--batch", "0")
    assert exit_.value.code == 2 and "'0' is not a whole number of at least 1" in capsys.readouterr().err


def test_interrupted_it_says_what_was_saved_and_a_second_run_finishes(three, capsys, monkeypatch):
    real_move, calls = recalculation._move, {"n": 0}

    def interrupted_on_the_second(ctx, uow, dossier_id, now):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C
        return real_move(ctx, uow, dossier_id, now)

    with monkeypatch.context() as m:
        m.setattr(recalculation, "_move", interrupted_on_the_second)
        code, out, err = run(capsys, "timers", "recalculate", "--batch", "1")
    assert code == 130 and out == ""
    assert "interrupted: 1 of 3 dossiers done (1 saved" in err and "run it again to move them" in err
    code, out, _ = run(capsys, "timers", "recalculate")
    assert (code, out) == (0, "moved 2 timers, 2 task due dates, 2 dossier due dates\n")


def test_a_dossier_that_cannot_be_saved_is_named_and_the_exit_code_is_1(three, capsys, monkeypatch):
    real_move = recalculation._move

    def move(ctx, uow, dossier_id, now):
        if dossier_id == three[1]:
            raise RuntimeError("state unreadable")
        return real_move(ctx, uow, dossier_id, now)

    monkeypatch.setattr(recalculation, "_move", move)
    code, out, err = run(capsys, "timers", "recalculate")
    assert code == 1 and out == "moved 2 timers, 2 task due dates, 2 dossier due dates\n"
    assert f"dossier {three[1]} NOT recalculated: RuntimeError: state unreadable" in err
    assert "1 dossiers left as they were" in err
