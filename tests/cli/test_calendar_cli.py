"""`motcua calendar …` for operators: answers on stdout, one-line errors with non-zero exit."""
import pytest

from cli.main import main
from tests.support.cli import run


def test_add_hours_over_tet(capsys):
    code, out, _ = run(capsys, "calendar", "add-hours", "2026-02-13T16:00+07:00", "8")
    assert code == 0 and out.strip() == "2026-02-23T16:00:00+07:00"


def test_add_days(capsys):
    code, out, _ = run(capsys, "calendar", "add-days", "2026-11-26T16:30+07:00", "1")
    assert code == 0 and out.strip() == "2026-11-27T16:30:00+07:00"


def test_days_and_hours_print_the_same_instant(capsys):
    # Appointment arithmetic (R-5.2, N-10): Tue 1 Dec 2026 07:00 + 3 working days uses up Tue, Wed
    # and Thu -> Thu 17:00, as 24 working hours do; it printed Fri 07:00 before.
    _, days, _ = run(capsys, "calendar", "add-days", "2026-12-01T07:00+07:00", "3")
    _, hours, _ = run(capsys, "calendar", "add-hours", "2026-12-01T07:00+07:00", "24")
    assert days.strip() == hours.strip() == "2026-12-03T17:00:00+07:00"


def test_between(capsys):
    code, out, _ = run(capsys, "calendar", "between", "2026-11-26T11:00+07:00", "2026-11-26T14:00+07:00")
    assert code == 0 and out.strip() == "1"


def test_next(capsys):
    code, out, _ = run(capsys, "calendar", "next", "2026-11-27T17:30+07:00")
    assert code == 0 and out.strip() == "2026-11-30T07:00:00+07:00"


def test_show_lists_days_off_and_worked_saturdays(capsys):
    code, out, _ = run(capsys, "calendar", "show", "2026")
    assert code == 0
    assert "2026-01-02  Fri  off     announced" in out
    assert "2026-01-10  Sat  worked  make-up" in out
    assert "2026-02-17  Tue  off     holiday    Tết Nguyên Đán" in out


@pytest.mark.parametrize(
    "argv, problem",
    [
        (["calendar", "add-hours", "2026-02-13T16:00", "8"], "no offset"),
        (["calendar", "add-hours", "yesterday", "8"], "not an ISO date-time"),
        (["calendar", "add-hours", "2026-02-13T16:00+07:00", "-1"], "hours must be"),
        (["calendar", "add-days", "2026-02-13T16:00+07:00", "1.5"], "whole number"),
        (["calendar", "show", "twenty"], "not a year"),
        (["calendar", "frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line_and_non_zero_exit(capsys, argv, problem):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err
    assert info.value.code != 0
    assert len(err.strip().splitlines()) == 1 and problem in err


def test_malformed_calendar_file_is_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[hours]\nmon = [\"7-11\"]\n")
    code, _, err = run(capsys, "calendar", "--file", str(bad), "show", "2026")
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "bad.toml: line 2, hours.mon" in err
