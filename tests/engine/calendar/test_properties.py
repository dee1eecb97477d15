"""Property tests of working-time arithmetic (hypothesis), on the shipped calendar."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st

from engine.calendar import WorkingCalendar

CAL = WorkingCalendar.load()
VN = ZoneInfo("Asia/Ho_Chi_Minh")

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(VN)
).map(lambda t: t.replace(microsecond=0))
# Whole seconds of working time, up to 60 working days: deadlines are never finer than that.
hours = st.integers(min_value=0, max_value=60 * 8 * 3600).map(lambda s: s / 3600)
days = st.integers(min_value=0, max_value=60)

settings.register_profile("motcua", max_examples=300, deadline=None)
settings.load_profile("motcua")


@given(instants, hours)
def test_results_never_outside_working_time(t, h):
    assert CAL.is_working_time(CAL.add_working_hours(t, h))
    assert CAL.is_working_time(CAL.next_working_time(t))


@given(instants, hours, hours)
def test_add_is_monotonic(t, a, b):
    lo, hi = sorted((a, b))
    assert CAL.add_working_hours(t, lo) <= CAL.add_working_hours(t, hi)


@given(instants, instants, hours)
def test_add_is_monotonic_in_the_start(t1, t2, h):
    lo, hi = sorted((t1, t2))
    assert CAL.add_working_hours(lo, h) <= CAL.add_working_hours(hi, h)


@given(instants, hours, hours)
def test_add_is_additive(t, a, b):
    assert CAL.add_working_hours(CAL.add_working_hours(t, a), b) == CAL.add_working_hours(t, a + b)


@given(instants, hours)
def test_between_inverts_add(t, h):
    assert CAL.working_hours_between(t, CAL.add_working_hours(t, h)) == h


@given(instants, days)
def test_add_days_lands_on_a_working_day(t, n):
    result = CAL.add_working_days(t, n)
    assert CAL.is_working_day(result.date())
    assert CAL.is_working_time(result)
    assert result >= t


def _period_starts(t):
    return {s for s, _ in CAL.working_periods(t.date())}


@given(instants, st.integers(min_value=1, max_value=60))
def test_add_days_counts_working_days(t, n):
    # The count starts at the next working period and, when it does not end inside a day,
    # ends at 17:00 of its n-th working day; otherwise at the same position of the (n+1)-th day.
    start = CAL.next_working_time(t)
    result = CAL.add_working_days(t, n)
    worked = sum(
        1
        for k in range(1, (result.date() - start.date()).days + 1)
        if CAL.is_working_day(start.date() + timedelta(days=k))
    )
    starts_day = start == CAL.working_periods(start.date())[0][0]
    assert worked == (n - 1 if starts_day else n)


@given(instants, st.integers(min_value=1, max_value=60))
def test_days_and_hours_name_the_same_instant(t, n):
    # Every working day of the shipped calendar has 8 working hours (N-10: 40-hour week, make-up
    # days on Monday's hours), so n working days are 8n working hours: one instant, one name.
    assert CAL.add_working_days(t, n) == CAL.add_working_hours(t, 8 * n)


@given(instants, hours.filter(bool), st.integers(min_value=1, max_value=60))
def test_a_positive_count_never_ends_at_the_start_of_a_period(t, h, n):
    # Appointment arithmetic: 17:00 and the next 07:00 (11:30 and 13:30) are the same working
    # instant; an end is always named by the earlier one.
    for end in (CAL.add_working_hours(t, h), CAL.add_working_days(t, n)):
        assert end not in _period_starts(end)


@given(instants, hours, st.lists(st.tuples(instants, instants), max_size=3))
def test_pauses_move_the_end_by_the_paused_working_time(t, h, raw):
    # N-4: the end with pauses is the end without them, moved by exactly the working time paused
    # between the start and the new end.
    pauses = [tuple(sorted(p)) for p in raw]
    end = CAL.add_working_hours(t, h, pauses)
    assert CAL.working_hours_between(t, end, pauses) == h
    assert end >= CAL.add_working_hours(t, h)


@given(instants, instants, st.lists(st.tuples(instants, instants), max_size=4))
def test_pauses_never_add_time(a, b, raw):
    a, b = sorted((a, b))
    pauses = [tuple(sorted(p)) for p in raw]
    total = CAL.working_hours_between(a, b)
    paused = CAL.working_hours_between(a, b, pauses)
    assert 0 <= paused <= total
