"""Hand-checked working-time cases on the province's shipped calendar (config/calendar.toml)."""
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import NaiveDatetimeError, WorkingCalendar, parse_config

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


@pytest.fixture(scope="module")
def cal():
    return WorkingCalendar.load()


def test_friday_evening_submission_starts_monday_morning(cal):
    # received outside working hours -> the clock starts at the next working hour.
    assert cal.next_working_time(at(2026, 11, 27, 17, 30)) == at(2026, 11, 30, 7, 0)


def test_next_working_time_inside_working_time_is_the_instant_itself(cal):
    t = at(2026, 11, 26, 9, 15)
    assert cal.next_working_time(t) == t


def test_next_working_time_in_lunch_break_is_afternoon_start(cal):
    assert cal.next_working_time(at(2026, 11, 26, 12, 0)) == at(2026, 11, 26, 13, 30)


def test_eight_hours_from_thursday_15_end_friday_15(cal):
    # forwarded within 8 working hours; Thu 15-17 (2h) + Fri 07-11:30 (4.5h) + 13:30-15 (1.5h).
    assert cal.add_working_hours(at(2026, 11, 26, 15), 8) == at(2026, 11, 27, 15)


def test_lunch_break_not_counted(cal):
    # N-10: clock hours 07:00-11:30 and 13:30-17:00.
    assert cal.add_working_hours(at(2026, 11, 26, 11), 1) == at(2026, 11, 26, 14)
    assert cal.working_hours_between(at(2026, 11, 26, 11), at(2026, 11, 26, 14)) == 1


def test_tet_2026_is_skipped(cal):
    # N-10: Tết 2026, days off Mon 16 - Fri 20 Feb (with the weekends: 14-22 Feb).
    for d in range(14, 23):
        assert not cal.is_working_day(date(2026, 2, d)), d
    assert cal.add_working_hours(at(2026, 2, 13, 16), 8) == at(2026, 2, 23, 16)
    assert cal.add_working_days(at(2026, 2, 13, 9), 1) == at(2026, 2, 23, 9)


def test_announced_swap_2026_jan_2_off_jan_10_worked(cal):
    # N-10: Friday 2 Jan 2026 off, Saturday 10 Jan 2026 worked (announcement in the calendar file).
    assert not cal.is_working_day(date(2026, 1, 2))
    assert cal.is_working_day(date(2026, 1, 10))
    assert cal.is_working_time(at(2026, 1, 10, 9))
    # Thu 1 Jan is New Year: a dossier on Wed 31 Dec at 16:30 + 1 day lands on Mon 5 Jan.
    assert cal.add_working_days(at(2025, 12, 31, 16, 30), 1) == at(2026, 1, 5, 16, 30)
    # Fri 9 Jan 16:30 + 1 day = the worked Saturday.
    assert cal.add_working_days(at(2026, 1, 9, 16, 30), 1) == at(2026, 1, 10, 16, 30)


def test_holidays_come_from_the_holidays_package_with_weekend_compensation(cal):
    # N-10: Hùng Kings day 2026 falls on Sunday 26 April and is compensated on Monday 27.
    assert not cal.is_working_day(date(2026, 4, 27))
    reasons = {d.day: d for d in cal.non_working_days(2026)}
    assert reasons[date(2026, 4, 26)].kind == "holiday"
    assert "Hùng Vương" in reasons[date(2026, 4, 26)].reason
    assert reasons[date(2026, 4, 27)].kind == "holiday"
    assert "Hùng Vương" in reasons[date(2026, 4, 27)].reason


def test_a_swap_known_to_the_library_also_makes_its_saturday_worked(cal):
    # The package lists Mon 31 Aug 2026 off "instead of 22/08/2026": that Saturday is worked.
    assert not cal.is_working_day(date(2026, 8, 31))
    assert cal.is_working_day(date(2026, 8, 22))
    assert [d.day for d in cal.make_up_days(2026)] == [date(2026, 1, 10), date(2026, 8, 22)]


def test_add_working_days_keeps_position_in_day(cal):
    # Thursday 16:30 + 1 day = Friday 16:30 ...
    assert cal.add_working_days(at(2026, 11, 26, 16, 30), 1) == at(2026, 11, 27, 16, 30)
    # ... or Monday 16:30 when Friday is off (1 May 2026 is a Friday holiday; 30 Apr too).
    assert cal.add_working_days(at(2026, 4, 29, 16, 30), 1) == at(2026, 5, 4, 16, 30)
    # A start outside working time first moves to the next working time: Friday 18:00 starts
    # Monday 30 Nov 07:00, and one whole working day from there ends Monday 17:00 (appointment
    # arithmetic: the count ends at the end of a period, not at Tuesday 07:00, the same instant).
    assert cal.add_working_days(at(2026, 11, 27, 18), 1) == at(2026, 11, 30, 17)


def test_handle_within_13_working_days(cal):
    # feedback handled within 13 working days; 24 Nov 2026 is Vietnam Cultural Day.
    assert cal.add_working_days(at(2026, 11, 16, 9), 13) == at(2026, 12, 4, 9)


def test_pause_in_the_middle_is_not_counted(cal):
    # N-4: the applicant's supplement time is not counted.
    a, b = at(2026, 12, 7, 7), at(2026, 12, 11, 17)  # Mon-Fri: 40 working hours
    assert cal.working_hours_between(a, b) == 40
    pause = (at(2026, 12, 8, 7), at(2026, 12, 10, 7))  # Tue and Wed paused
    assert cal.working_hours_between(a, b, [pause]) == 24
    # overlapping and out-of-range pauses are merged and clipped
    pauses = [pause, (at(2026, 12, 9, 9), at(2026, 12, 9, 10)), (at(2026, 12, 1), at(2026, 12, 7, 8))]
    assert cal.working_hours_between(a, b, pauses) == 23
    # the week of 23 Nov 2026 has Vietnam Cultural Day (Tue 24 Nov) off
    assert cal.working_hours_between(at(2026, 11, 23, 7), at(2026, 11, 27, 17)) == 32


def test_between_is_signed(cal):
    a, b = at(2026, 11, 26, 9), at(2026, 11, 26, 10)
    assert cal.working_hours_between(b, a) == -1


def test_fractional_hours(cal):
    assert cal.add_working_hours(at(2026, 11, 26, 11), 0.75) == at(2026, 11, 26, 13, 45)


def test_a_day_used_up_ends_at_17_not_next_morning(cal):
    assert cal.add_working_hours(at(2026, 11, 26, 7), 8) == at(2026, 11, 26, 17)
    assert cal.is_working_time(at(2026, 11, 26, 17))


def test_results_are_in_the_calendar_zone(cal):
    t = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 09:00 in Hanoi
    result = cal.add_working_hours(t, 1)
    assert result.utcoffset() == timedelta(hours=7)
    assert result == at(2026, 11, 26, 10)


def test_naive_datetimes_are_refused(cal):
    naive = datetime(2026, 11, 26, 9)
    for call in (
        lambda: cal.is_working_time(naive),
        lambda: cal.next_working_time(naive),
        lambda: cal.add_working_hours(naive, 1),
        lambda: cal.add_working_days(naive, 1),
        lambda: cal.working_hours_between(naive, at(2026, 11, 26, 10)),
        lambda: cal.working_hours_between(at(2026, 11, 26, 10), at(2026, 11, 27), [(naive, naive)]),
    ):
        with pytest.raises(NaiveDatetimeError, match="time zone"):
            call()


def test_bad_amounts_are_refused(cal):
    with pytest.raises(ValueError):
        cal.add_working_hours(at(2026, 11, 26, 9), -1)
    with pytest.raises(ValueError):
        cal.add_working_days(at(2026, 11, 26, 9), 1.5)
    with pytest.raises(TypeError):
        cal.add_working_hours(at(2026, 11, 26, 9), "8")


def test_non_working_days_lists_every_day_off_with_its_reason(cal):
    days = cal.non_working_days(2026)
    kinds = {d.kind for d in days}
    assert kinds == {"weekend", "holiday", "announced"}
    weekends = [d for d in days if d.kind == "weekend"]
    # 52 weeks of Sat+Sun, minus the worked Saturdays 10 Jan and 22 Aug, minus weekend holidays.
    assert all(d.day.weekday() >= 5 for d in weekends)
    assert date(2026, 1, 10) not in {d.day for d in days}
    assert len(days) == len({d.day for d in days})
    assert sum(1 for d in days if d.day.weekday() < 5) == 14  # weekday days off in 2026


SUMMER = """
timezone = "Asia/Ho_Chi_Minh"
[hours]
mon = ["07:00-11:30", "13:30-17:00"]
tue = ["07:00-11:30", "13:30-17:00"]
wed = ["07:00-11:30", "13:30-17:00"]
thu = ["07:00-11:30", "13:30-17:00"]
fri = ["07:00-11:30", "13:30-17:00"]
[holidays]
country = ""
[[schedules]]
name = "summer"
from = 2027-05-01
to = 2027-09-30
[schedules.hours]
mon = ["07:00-11:00", "14:00-17:30"]
tue = ["07:00-11:00", "14:00-17:30"]
wed = ["07:00-11:00", "14:00-17:30"]
thu = ["07:00-11:00", "14:00-17:30"]
fri = ["07:00-11:00", "14:00-17:30"]
[[days_off]]
date = 2027-06-02
reason = "Ngày nghỉ do tỉnh công bố"
[[working_days]]
date = 2027-06-05
reason = "Làm bù"
hours_like = "fri"
"""


def test_dated_schedule_and_announcements():
    cal = WorkingCalendar(parse_config(SUMMER, "summer.toml"))
    assert cal.is_working_time(at(2027, 4, 30, 11, 15))
    assert not cal.is_working_time(at(2027, 5, 3, 11, 15))  # summer: morning ends at 11:00
    assert cal.next_working_time(at(2027, 5, 3, 12)) == at(2027, 5, 3, 14)
    assert not cal.is_working_day(date(2027, 6, 2))
    assert cal.is_working_day(date(2027, 6, 5))
    assert cal.next_working_time(at(2027, 6, 5, 12)) == at(2027, 6, 5, 14)
    # Friday 30 April 16:30 + 1 day lands on Monday 3 May, on summer hours: the same share of the
    # day done (7.5 hours = all of a summer day), clamped to the day's end.
    assert cal.add_working_days(at(2027, 4, 30, 16, 30), 1) == at(2027, 5, 3, 17, 30)
    assert cal.add_working_days(at(2027, 4, 30, 9), 1) == at(2027, 5, 3, 9)
    assert cal.non_working_days(2027)[0].kind == "weekend"  # no holiday country configured


# ---------------------------------------------------------------- appointment arithmetic
# A count STARTS at the next working period (R-3.4, N-3) and ENDS, when it ends exactly at the
# start of a working period, at the end of the previous one: Friday 17:00 and Monday 07:00 are the
# same working instant (N-10 hours 07:00-11:30, 13:30-17:00; closed periods), named once.


def test_days_and_hours_name_the_same_instant(cal):
    # Tue 1 Dec 2026 07:00 + 3 working days = Tue, Wed, Thu used up = Thu 3 Dec 17:00, which is
    # also 3 x 8 = 24 working hours; it was Fri 4 Dec 07:00 before.
    assert cal.add_working_days(at(2026, 12, 1, 7), 3) == at(2026, 12, 3, 17)
    assert cal.add_working_hours(at(2026, 12, 1, 7), 24) == at(2026, 12, 3, 17)
    # Tue 13:30 + 1 day: Tue 13:30-17:00 (3.5 h) + Wed 07:00-11:30 (4.5 h) = 8 h -> Wed 11:30,
    # not Wed 13:30 (the same instant after the lunch break).
    assert cal.add_working_days(at(2026, 12, 1, 13, 30), 1) == at(2026, 12, 2, 11, 30)
    assert cal.add_working_hours(at(2026, 12, 1, 13, 30), 8) == at(2026, 12, 2, 11, 30)


def test_received_friday_before_a_weekend(cal):
    # received Fri 4 Dec 2026 16:00 (working time), 2 working days: Mon 7, Tue 8 Dec
    # -> Tue 8 Dec 16:00 (the weekend skipped, position in the day kept).
    assert cal.add_working_days(at(2026, 12, 4, 16), 2) == at(2026, 12, 8, 16)
    # 1 working hour from Fri 16:00 ends Fri 17:00, not Mon 07:00.
    assert cal.add_working_hours(at(2026, 12, 4, 16), 1) == at(2026, 12, 4, 17)
    # Online at 05:00 on Friday: the count starts Fri 07:00; 1 day uses Friday up and
    # ends Fri 17:00. Before the fix it jumped the weekend to Mon 7 Dec 07:00.
    assert cal.add_working_days(at(2026, 12, 4, 5), 1) == at(2026, 12, 4, 17)
    # Online Fri 17:30: starts Mon 7 Dec 07:00; 3 days = Mon, Tue, Wed -> Wed 9 Dec 17:00.
    assert cal.next_working_time(at(2026, 12, 4, 17, 30)) == at(2026, 12, 7, 7)
    assert cal.add_working_days(at(2026, 12, 4, 17, 30), 3) == at(2026, 12, 9, 17)


def test_crossing_tet_2026(cal):
    # N-10: Tết 2026 keeps 14-22 Feb off. Thu 12 Feb 07:00 + 2 days = Thu, Fri used up
    # -> Fri 13 Feb 17:00 (before: Mon 23 Feb 07:00, ten days later by the wall clock).
    assert cal.add_working_days(at(2026, 2, 12, 7), 2) == at(2026, 2, 13, 17)
    # Online Fri 13 Feb 17:30 starts Mon 23 Feb 07:00; 1 day ends Mon 23 Feb 17:00.
    assert cal.add_working_days(at(2026, 2, 13, 17, 30), 1) == at(2026, 2, 23, 17)
    # Fri 13 Feb 15:00 + 2 h = 17:00 the same day, not Mon 23 Feb 07:00.
    assert cal.add_working_hours(at(2026, 2, 13, 15), 2) == at(2026, 2, 13, 17)


def test_make_up_saturday_10_jan_2026(cal):
    # N-10: Sat 10 Jan 2026 is worked. Thu 8 Jan 07:00 + 2 days = Thu, Fri -> Fri 9 Jan 17:00
    # (before: Sat 10 Jan 07:00).
    assert cal.add_working_days(at(2026, 1, 8, 7), 2) == at(2026, 1, 9, 17)
    # Online Fri 9 Jan 18:00 starts on the worked Saturday 07:00; 1 day ends Sat 10 Jan 17:00.
    assert cal.next_working_time(at(2026, 1, 9, 18)) == at(2026, 1, 10, 7)
    assert cal.add_working_days(at(2026, 1, 9, 18), 1) == at(2026, 1, 10, 17)
    # Sat 10 Jan 07:00 + 2 days: Sat, Mon 12 Jan -> Mon 12 Jan 17:00.
    assert cal.add_working_days(at(2026, 1, 10, 7), 2) == at(2026, 1, 12, 17)


def test_a_zero_count_ends_where_it_starts(cal):
    # R-3.5 (result on the spot): nothing is counted, so the end is the start, never an instant
    # before the receipt (Fri 17:30 -> Mon 07:00, not Fri 17:00).
    assert cal.add_working_days(at(2026, 12, 4, 17, 30), 0) == at(2026, 12, 7, 7)
    assert cal.add_working_hours(at(2026, 12, 4, 17, 30), 0) == at(2026, 12, 7, 7)


def test_pauses_move_the_end_by_the_paused_working_time(cal):
    # N-4: Mon 7 Dec 2026 07:00 + 16 h ends Tue 8 Dec 17:00. Paused Mon 13:30 - Tue 13:30 (8 h of
    # work): Mon 07:00-11:30 (4.5) + Tue 13:30-17:00 (3.5) + Wed 9 Dec whole (8) = 16 -> Wed 17:00.
    pause = (at(2026, 12, 7, 13, 30), at(2026, 12, 8, 13, 30))
    assert cal.add_working_hours(at(2026, 12, 7, 7), 16) == at(2026, 12, 8, 17)
    assert cal.add_working_hours(at(2026, 12, 7, 7), 16, [pause]) == at(2026, 12, 9, 17)
    # Tue 1 Dec 07:00 + 3 days with Wed 2 Dec paused: Tue, Thu, Fri -> Fri 4 Dec 17:00.
    wed = (at(2026, 12, 2, 7), at(2026, 12, 2, 17))
    assert cal.add_working_days(at(2026, 12, 1, 7), 3, [wed]) == at(2026, 12, 4, 17)
    # A count using up the time before a pause exactly ends there: Mon 07:00 + 4.5 h with a pause
    # from 11:30 ends 11:30; 5 h resumes at the pause's end 15:00 and ends 15:30.
    lunch_on = (at(2026, 12, 7, 11, 30), at(2026, 12, 7, 15))
    assert cal.add_working_hours(at(2026, 12, 7, 7), 4.5, [lunch_on]) == at(2026, 12, 7, 11, 30)
    assert cal.add_working_hours(at(2026, 12, 7, 7), 5, [lunch_on]) == at(2026, 12, 7, 15, 30)
    # Pauses before the start, or a start inside a pause: only what lies after the start counts.
    early = (at(2026, 12, 1, 7), at(2026, 12, 7, 9))
    assert cal.add_working_hours(at(2026, 12, 7, 8), 1, [early]) == at(2026, 12, 7, 10)
    with pytest.raises(ValueError, match="ends before it starts"):
        cal.add_working_hours(at(2026, 12, 7, 7), 1, [(at(2026, 12, 7, 9), at(2026, 12, 7, 8))])
