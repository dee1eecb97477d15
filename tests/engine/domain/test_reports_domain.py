"""Pure rules of the reports: periods, counts, indicators (N-9), ranking (R-7.4)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engine.domain.indicators import NOT_RECORDED, Figures, Value, compute, paid_in
from engine.domain.ontime import OnTimeCounts, Window, paused_at
from engine.domain.periods import PeriodError, parse_period
from engine.domain.ranking import DEFAULT_POINTS, PointsError, check_points, rank
from tests.conftest import VN


def test_periods_parse_and_bound_in_local_time():
    nov = parse_period("2026-11")
    assert (nov.first, nov.last) == (date(2026, 11, 1), date(2026, 11, 30))
    start, end = nov.bounds(VN)
    assert start == datetime(2026, 11, 1, tzinfo=VN) and end == datetime(2026, 12, 1, tzinfo=VN)
    assert (parse_period("2026-Q1").first, parse_period("2026-Q1").last) == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period("2028-02").last == date(2028, 2, 29)  # leap year
    assert parse_period("2026").last == date(2026, 12, 31)
    for bad in ("2026-13", "2026-Q5", "2026-11-30..2026-11-01", "last month", ""):
        with pytest.raises(PeriodError):
            parse_period(bad)


def test_split_cuts_the_first_and_last_pieces():
    parts = parse_period("2026-11-15..2027-01-10").split("month")
    assert [p.label for p in parts] == ["2026-11-15..2026-11-30", "2026-12", "2027-01-01..2027-01-10"]
    assert [p.label for p in parse_period("2026").split("quarter")] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]


def test_window_as_of_is_the_end_or_now():
    s, e = datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 12, 1, tzinfo=VN)
    assert Window.of(s, e, e + timedelta(days=9)).as_of == e
    assert Window.of(s, e, s + timedelta(days=3)).as_of == s + timedelta(days=3)
    assert Window.of(s, e, s - timedelta(days=3)).as_of == s  # a period not begun yet


def test_counts_add_and_rates():
    a = OnTimeCounts(received=3, finished=3, early=1, on_time=1, late=1)
    b = OnTimeCounts(received=1, finished=1, unclassified=1, open=2, open_late=1)
    assert a + b == OnTimeCounts(received=4, finished=4, early=1, on_time=1, late=1, unclassified=1, open=2,
                                 open_late=1)
    assert a.on_time_rate == pytest.approx(200 / 3) and a.late_rate == pytest.approx(100 / 3)
    assert b.on_time_rate is None  # nothing finished with a class: no rate, not 0 %


def test_paused_at_a_recorded_pause_or_since_the_current_one():
    r = datetime(2026, 11, 2, 9, tzinfo=VN)
    as_of = datetime(2026, 11, 10, tzinfo=VN)
    basis = {"from": r.isoformat(), "working_days": 3,
             "pauses": [[datetime(2026, 11, 9, tzinfo=VN).isoformat(), datetime(2026, 11, 12, tzinfo=VN).isoformat()]]}
    assert paused_at(None, basis, as_of)  # 9-12 Nov covers the 10th
    assert not paused_at(None, basis, datetime(2026, 11, 12, tzinfo=VN))  # a pause ends at its end
    assert paused_at(as_of - timedelta(hours=1), None, as_of)  # waiting for the applicant since before
    assert not paused_at(as_of + timedelta(hours=1), None, as_of)  # the pause began after that instant
    assert not paused_at(None, {"garbage": 1}, as_of)


def test_indicators_that_cannot_be_computed_say_why():
    values = compute(Figures(OnTimeCounts(received=4, finished=4, early=1, on_time=2, late=1), received_online=1,
                             handling_days_total=10.0))
    assert values["on_time_rate"].value == pytest.approx(75.0)  # (1 + 2) / 4
    assert values["average_handling_days"].value == pytest.approx(2.5)  # 10 / 4
    assert values["online_share"].value == pytest.approx(25.0)
    assert values["composite"].value is None and values["composite"].note == NOT_RECORDED
    # once complaints are recorded: 100 − (late 25 % + complaints 1/4 = 25 %) = 50
    with_complaints = compute(Figures(OnTimeCounts(received=4, finished=4, early=1, on_time=2, late=1),
                                      with_complaints=1))
    assert with_complaints["composite"].value == pytest.approx(50.0)
    empty = compute(Figures(OnTimeCounts()))
    assert empty["on_time_rate"].value is None and "no dossier finished" in empty["on_time_rate"].note


def test_default_points_fit_the_group_weights():
    assert check_points(DEFAULT_POINTS) == {k: float(v) for k, v in DEFAULT_POINTS.items()}
    with pytest.raises(PointsError, match="online"):
        check_points({"online_share": 12, "online_payment_share": 11})  # 23 > 22
    with pytest.raises(PointsError, match="unknown"):
        check_points({"speed": 1})
    with pytest.raises(PointsError):
        check_points({"online_share": -1})


def test_rank_ties_share_a_rank_and_unmeasured_points_are_left_out():
    def vals(rate: float | None) -> dict[str, Value]:
        return {"on_time_rate": Value("on_time_rate", rate), "online_share": Value("online_share", None, note="x")}
    ranked = rank({"X": vals(80.0), "Y": vals(80.0), "Z": vals(50.0), "W": vals(None)},
                  {"on_time_rate": 10, "online_share": 10})
    assert [(r.agency_id, r.rank) for r in ranked] == [("X", 1), ("Y", 1), ("Z", 3), ("W", 4)]
    assert ranked[0].available == 10 and ranked[0].percent == pytest.approx(80.0)
    assert ranked[3].percent is None


@pytest.mark.parametrize("text", ["0000", "9999-12", "1899-01-01..1900-01-01", "2026-01-01..2040-01-01",
                                  "２０２６", "2026-1-1..2026-2-1"])
def test_periods_out_of_range_or_too_long_are_refused(text):
    # year 0 was a ValueError (500) from the API; ten thousand years split by month would be 120,000 queries
    with pytest.raises(PeriodError):
        parse_period(text)


def test_a_fee_counts_in_the_period_it_was_paid():
    s, e = datetime(2026, 11, 1, tzinfo=VN), datetime(2026, 12, 1, tzinfo=VN)
    paid = {"amount": 1, "requested_at": "2026-11-02T09:00:00+07:00", "paid_at": "2026-11-03T09:00:00+07:00",
            "method": "online"}
    assert paid_in(paid, s, e) == "online"
    assert paid_in({**paid, "paid_at": "2026-12-01T00:00:00+07:00"}, s, e) is None  # the next period's
    assert paid_in({**paid, "refunded_at": "2026-11-20T09:00:00+07:00"}, s, e) == "online"  # paid online all the same
    assert paid_in({"amount": 1, "requested_at": "2026-11-02T09:00:00+07:00"}, s, e) is None  # not paid
    assert paid_in({**paid, "paid_at": "yesterday"}, s, e) is None and paid_in(None, s, e) is None
