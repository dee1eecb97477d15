"""Reporting periods: a month, a quarter, a year or any range of days, in the province's local time
(R-5.4, R-7.4: statistics and rankings are published monthly, quarterly and yearly).

Text forms: ``2026`` · ``2026-Q4`` · ``2026-11`` · ``2026-11-01..2026-11-15`` (both days included).
A period is a range of local days; its instants are [first day 00:00, day after the last 00:00).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

GRAINS = ("month", "quarter", "year")
YEARS = (1900, 9000)  # like the API's instants: beyond them, converting to the province's zone overflows
MAX_DAYS = 3660  # a report covers at most about ten years (a range split by month: 120 pieces at most)


class PeriodError(ValueError):
    """A period text that is none of the forms above, or a range that ends before it starts."""


@dataclass(frozen=True)
class Period:
    label: str
    first: date  # first local day, included
    last: date  # last local day, included

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) instants: local midnight of `first` and of the day after `last`."""
        return (datetime.combine(self.first, time(0), tz),
                datetime.combine(self.last + timedelta(days=1), time(0), tz))

    def split(self, grain: str) -> list["Period"]:
        """The months, quarters or years this period touches, each cut to the period
        (a range 2026-11-15..2027-01-10 by month: 2026-11 from the 15th, 2026-12, 2027-01 to the 10th)."""
        if grain not in GRAINS:
            raise PeriodError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
        out: list[Period] = []
        day = self.first
        while day <= self.last:
            whole = _containing(day, grain)
            first, last = max(whole.first, self.first), min(whole.last, self.last)
            label = whole.label if (first, last) == (whole.first, whole.last) else f"{first}..{last}"
            out.append(Period(label, first, last))
            day = whole.last + timedelta(days=1)
        return out


def _month(year: int, month: int) -> Period:
    first = date(year, month, 1)
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return Period(f"{year:04d}-{month:02d}", first, nxt - timedelta(days=1))


def _quarter(year: int, q: int) -> Period:
    first = date(year, 3 * q - 2, 1)
    last = _month(year, 3 * q).last
    return Period(f"{year:04d}-Q{q}", first, last)


def _containing(day: date, grain: str) -> Period:
    if grain == "month":
        return _month(day.year, day.month)
    if grain == "quarter":
        return _quarter(day.year, (day.month - 1) // 3 + 1)
    return Period(f"{day.year:04d}", date(day.year, 1, 1), date(day.year, 12, 31))


_YEAR = re.compile(r"^([0-9]{4})$")
_QUARTER = re.compile(r"^([0-9]{4})-Q([1-4])$", re.I)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_RANGE = re.compile(r"^([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})$")


def parse_period(text: str) -> Period:
    """``2026`` | ``2026-Q4`` | ``2026-11`` | ``2026-11-01..2026-11-15``, years 1900 to 9000, at most
    MAX_DAYS days; PeriodError otherwise."""
    period = _parse(text)
    if not (YEARS[0] <= period.first.year and period.last.year < YEARS[1]):
        raise PeriodError(f"{text!r}: years run from {YEARS[0]} to {YEARS[1] - 1}")
    if (period.last - period.first).days >= MAX_DAYS:
        raise PeriodError(f"{text!r} is longer than {MAX_DAYS} days")
    return period


def _parse(text: str) -> Period:
    text = (text or "").strip()
    year = int(text[:4]) if text[:4].isascii() and text[:4].isdigit() else None
    if year is not None and not YEARS[0] <= year < YEARS[1]:
        raise PeriodError(f"{text!r}: years run from {YEARS[0]} to {YEARS[1] - 1}")
    if m := _YEAR.match(text):
        return _containing(date(int(m[1]), 1, 1), "year")
    if m := _QUARTER.match(text):
        return _quarter(int(m[1]), int(m[2]))
    if m := _MONTH.match(text):
        if not 1 <= int(m[2]) <= 12:
            raise PeriodError(f"{text!r}: month {m[2]} does not exist")
        return _month(int(m[1]), int(m[2]))
    if m := _RANGE.match(text):
        try:
            first, last = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as err:
            raise PeriodError(f"{text!r}: {err}") from None
        if last < first:
            raise PeriodError(f"{text!r} ends before it starts")
        return Period(text, first, last)
    raise PeriodError(f"{text!r} is not a period: write 2026, 2026-Q4, 2026-11 or 2026-11-01..2026-11-15")


def period_of(day: date, grain: str) -> Period:
    """The whole month, quarter or year that contains `day`."""
    if grain not in GRAINS:
        raise PeriodError(f"grain must be one of {', '.join(GRAINS)}, got {grain!r}")
    return _containing(day, grain)
