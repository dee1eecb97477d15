"""A malformed calendar file is refused at load, naming the file, the line/key and the problem."""
import pytest

from engine.calendar import CalendarConfigError, WorkingCalendar, load_config, parse_config


def refused(text: str) -> CalendarConfigError:
    with pytest.raises(CalendarConfigError) as info:
        parse_config(text, "cal.toml")
    return info.value


def test_shipped_file_loads():
    cfg = load_config()
    assert cfg.timezone == "Asia/Ho_Chi_Minh"
    assert cfg.week[0] == ((7 * 3600 * 10**6, 11.5 * 3600 * 10**6), (13.5 * 3600 * 10**6, 17 * 3600 * 10**6))
    assert cfg.week[5] == cfg.week[6] == ()


def test_env_var_overrides_path(tmp_path, monkeypatch):
    f = tmp_path / "other.toml"
    f.write_text('timezone = "Asia/Bangkok"\n')
    monkeypatch.setenv("MOTCUA_CALENDAR", str(f))
    assert WorkingCalendar.load().config.timezone == "Asia/Bangkok"


def test_toml_syntax_error_names_line():
    err = refused('timezone = "Asia/Ho_Chi_Minh"\n[hours\nmon = []\n')
    assert err.source == "cal.toml"
    assert "line 2" in str(err)


def test_bad_period_names_line_and_key():
    err = refused('[hours]\nmon = ["07:00-11:30"]\ntue = ["13:30-12:00"]\n')
    assert str(err).startswith("cal.toml: line 3, hours.tue")
    assert "end after it starts" in err.problem


def test_overlapping_periods():
    err = refused('[hours]\nmon = ["07:00-11:30", "11:00-17:00"]\n')
    assert "hours.mon" in err.where and "overlap" in err.problem


def test_bad_date_in_second_swap_names_its_line():
    text = (
        "[[swaps]]\noff = 2026-01-02\nworked = 2026-01-10\nreason = \"a\"\n\n"
        "[[swaps]]\noff = 2027-01-02\nworked = \"2027-13-01\"\nreason = \"b\"\n"
    )
    err = refused(text)
    assert err.where == "line 8, swaps[1].worked"
    assert "date" in err.problem


def test_missing_reason():
    err = refused("[[days_off]]\ndate = 2027-01-04\n")
    assert err.where.endswith("days_off[0].reason") and "required" in err.problem


def test_unknown_key():
    err = refused("[[days_off]]\ndate = 2027-01-04\nreason = \"x\"\nreson = \"typo\"\n")
    assert "days_off[0].reson" in err.where and "unknown" in err.problem


def test_unknown_timezone():
    err = refused('timezone = "Asia/Hanoi_City"\n')
    assert err.where.endswith("timezone") and "unknown time zone" in err.problem


def test_bad_weekday_for_hours_like():
    err = refused('[[working_days]]\ndate = 2027-01-09\nreason = "x"\nhours_like = "friday"\n')
    assert "hours_like" in err.where and "mon" in err.problem


def test_day_both_off_and_worked():
    err = refused(
        '[[days_off]]\ndate = 2027-01-09\nreason = "x"\n[[working_days]]\ndate = 2027-01-09\nreason = "y"\n'
    )
    assert "2027-01-09" in str(err) and "both" in err.problem


def test_schedule_ending_before_start():
    err = refused('[[schedules]]\nname = "s"\nfrom = 2027-05-01\nto = 2027-04-01\n[schedules.hours]\nmon = []\n')
    assert "schedules[0].to" in err.where


def test_unreadable_file(tmp_path):
    with pytest.raises(CalendarConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
