"""Working-time arithmetic: every deadline in the regulations is counted in working time (R-5.2, N-10).

The calendar turns each local day into its working periods and keeps prefix sums of working
microseconds per day, so "where is the instant 8 working hours after t" is a binary search
instead of a walk through the days.

Conventions (documented in docs/calendar.md):
- Working periods are closed intervals: 17:00 sharp still belongs to the working day, so a
  deadline that uses the whole day ends at 17:00 rather than at 07:00 the next working day.
- Appointment arithmetic: 17:00 and 07:00 the next working day (or 11:30 and 13:30) are the same
  working instant. A count *starts* at the later name (R-3.4, N-3: next working period) and *ends*
  at the earlier one, so a count that ends exactly at the start of a working period ends at the
  end of the previous one. Every positive count returns that canonical end; a count of zero ends
  where it starts, never before the instant it was counted from.
- Durations are kept in whole microseconds, the resolution of ``datetime``.
"""
from __future__ import annotations

import bisect
import hashlib
import importlib
import numbers
import os
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from .config import CalendarConfig, Period, Week, load_config

_US_PER_HOUR = 3_600_000_000
_DAY_US = 86_400_000_000
_YEARS_WITHOUT_WORK = 5  # a calendar with no working time for this long is broken

_WEEKDAY_NAMES = {
    "vi": ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MAKE_UP = {"vi": "Làm bù cho ngày {off:%d/%m/%Y}", "en": "Make-up working day for {off:%Y-%m-%d}"}


class NaiveDatetimeError(ValueError):
    """A datetime without a time zone: ambiguous for a deadline, so refused."""


class CalendarError(ValueError):
    """The calendar cannot answer (e.g. it has no working time at all)."""


@dataclass(frozen=True)
class DayOff:
    day: date
    kind: str  # "weekend", "holiday" or "announced"
    reason: str


@dataclass(frozen=True)
class MakeUpDay:
    day: date
    reason: str


@dataclass(frozen=True)
class _Span:
    """Days first_year-01-01 .. last_year-12-31, with their working periods and prefix sums."""

    first_year: int
    last_year: int
    base: int  # ordinal of the first day
    periods: tuple[tuple[Period, ...], ...]
    prefix: list[int]  # prefix[i] = working microseconds before day i; len = days + 1
    wd_prefix: list[int]  # number of working days before day i
    off: dict[date, DayOff]
    made_up: dict[date, MakeUpDay]


def _require_aware(t: datetime, name: str = "t") -> None:
    if not isinstance(t, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise NaiveDatetimeError(
            f"{name}={t.isoformat()} has no time zone; give an offset such as +07:00"
        )


def _hours_to_us(hours: float) -> int:
    if isinstance(hours, bool) or not isinstance(hours, numbers.Real):
        raise TypeError(f"hours must be a number, got {hours!r}")
    if hours < 0 or hours != hours or hours in (float("inf"),):
        raise ValueError(f"hours must be a finite number >= 0, got {hours!r}")
    return round(hours * _US_PER_HOUR)


def _worked_before(periods: tuple[Period, ...], us: int) -> int:
    total = 0
    for s, e in periods:
        if us <= s:
            break
        total += (e if us > e else us) - s
    return total


def _locate(periods: tuple[Period, ...], r: int) -> int:
    """Earliest time of day at which r microseconds of the day's work have been done."""
    if r <= 0:
        return periods[0][0]
    for s, e in periods:
        if r <= e - s:
            return s + r
        r -= e - s
    return periods[-1][1]


class WorkingCalendar:
    """The province's working time: weekly hours, dated schedules, holidays and announcements."""

    def __init__(self, config: CalendarConfig):
        self.config = config
        self.tz = ZoneInfo(config.timezone)
        self._lang = "vi" if config.holiday_language.startswith("vi") else "en"
        self._announced = {a.day: a for a in config.announcements}
        self._library_swaps = self._read_library_swaps() if config.library_swaps else {}
        self._lock = threading.Lock()
        self._span: _Span | None = None
        self.digest = hashlib.sha256(repr(config).encode()).hexdigest()[:16]

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None) -> "WorkingCalendar":
        """The calendar in `path`, else $MOTCUA_CALENDAR, else the province file config/calendar.toml."""
        return cls(load_config(path))

    # ------------------------------------------------------------ public operations

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"is_working_day takes a date, got {type(d).__name__}")
        span = self._cover(d.year)
        i = d.toordinal() - span.base
        return span.prefix[i + 1] > span.prefix[i]

    def is_working_time(self, t: datetime) -> bool:
        span, i, us = self._split(t)
        return any(s <= us <= e for s, e in span.periods[i])

    def next_working_time(self, t: datetime) -> datetime:
        """`t` itself when it is working time, else the start of the next working period (R-3.4)."""
        span, i, us = self._split(t)
        for s, e in span.periods[i]:
            if us <= e:
                return t.astimezone(self.tz) if us >= s else self._instant(span, i, s)
        span, j = self._next_working_day(span, i + 1)
        return self._instant(span, j, span.periods[j][0][0])

    def canonical_end(self, t: datetime) -> datetime:
        """The name of `t` as the end of a count: the earliest instant with as much working time done
        (the convention of add_working_hours/add_working_days). Sunday 10:00 and Monday 07:00 are
        Friday 17:00, 12:00 is 11:30; a working instant inside a period is itself (in self.tz)."""
        span, i, us = self._split(t)
        c = span.prefix[i] + _worked_before(span.periods[i], us)
        if c == 0:  # nothing worked since the calendar's first day: nothing earlier to name it
            return t.astimezone(self.tz)
        return self._at(span, c)

    def add_working_hours(
        self,
        t: datetime,
        hours: float,
        pauses: Iterable[tuple[datetime, datetime]] = (),
    ) -> datetime:
        """The earliest instant at which `hours` of working time have passed since `t`, not
        counting paused intervals (N-4: the applicant's supplement time).

        A positive count ending exactly at the start of a working period ends at the end of the
        previous one (Monday 07:00 is named Friday 17:00); `hours=0` gives `next_working_time(t)`.
        Raises ValueError/TypeError on a bad amount or pause, NaiveDatetimeError on naive instants."""
        us = _hours_to_us(hours)
        if us == 0:
            return self.next_working_time(t)
        return self._add_us(t, us, _clip_pauses(pauses, t))

    def add_working_days(
        self,
        t: datetime,
        days: int,
        pauses: Iterable[tuple[datetime, datetime]] = (),
    ) -> datetime:
        """The same position in the working day, `days` working days later (R-5.2), moved on by
        the working time of paused intervals (N-4).

        The count starts at `next_working_time(t)` (R-3.4); a positive count that lands on the
        start of a working period ends at the end of the previous one: from Tuesday 07:00, 3 days
        end Thursday 17:00, the instant `add_working_hours(t, 24)` names."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise ValueError(f"days must be a whole number >= 0, got {days!r}")
        t0 = self.next_working_time(t)
        if days == 0:
            return t0
        span, i, us = self._split(t0)
        target = span.wd_prefix[i + 1] + days
        while span.wd_prefix[-1] < target:
            span = self._extend_forward(span)
        j = bisect.bisect_left(span.wd_prefix, target) - 1
        if span.periods[j] != span.periods[i]:
            # A day with other hours (summer schedule, make-up day): keep the share of the day done.
            done = _worked_before(span.periods[i], us)
            total = span.prefix[j + 1] - span.prefix[j]
            us = _locate(span.periods[j], min(done, total))
        # The canonical end: the earliest instant with as much work done as (day j, us).
        end = self._at(span, span.prefix[j] + _worked_before(span.periods[j], us))
        clipped = _clip_pauses(pauses, t)
        if not clipped:
            return end
        return self._add_us(t, self._cum(end) - self._cum(t0), clipped)

    def working_hours_between(
        self,
        a: datetime,
        b: datetime,
        pauses: Iterable[tuple[datetime, datetime]] = (),
    ) -> float:
        """Working hours from a to b, not counting paused intervals (N-4); negative if b < a."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        if b < a:
            return -self.working_hours_between(b, a, pauses)
        clipped = [(s, min(e, b)) for s, e in _clip_pauses(pauses, a) if s < b]
        work = self._cum(b) - self._cum(a)
        work -= sum(self._cum(e) - self._cum(s) for s, e in clipped)
        return work / _US_PER_HOUR

    def non_working_days(self, year: int) -> list[DayOff]:
        """Every day off in `year` with its reason (weekend, holiday name, announcement)."""
        span = self._cover(year)
        return sorted((d for d in span.off.values() if d.day.year == year), key=lambda d: d.day)

    def make_up_days(self, year: int) -> list[MakeUpDay]:
        """Days worked although they fall on a weekend (swaps announced by the government)."""
        span = self._cover(year)
        return sorted((d for d in span.made_up.values() if d.day.year == year), key=lambda d: d.day)

    def working_periods(self, d: date) -> list[tuple[datetime, datetime]]:
        """The day's working periods as aware datetimes (empty on a day off)."""
        span = self._cover(d.year)
        i = d.toordinal() - span.base
        return [(self._instant(span, i, s), self._instant(span, i, e)) for s, e in span.periods[i]]

    # ------------------------------------------------------------ internals

    def _split(self, t: datetime) -> tuple[_Span, int, int]:
        _require_aware(t)
        lt = t.astimezone(self.tz)
        span = self._span
        if span is None or not span.first_year <= lt.year <= span.last_year:
            span = self._cover(lt.year)
        us = ((lt.hour * 60 + lt.minute) * 60 + lt.second) * 1_000_000 + lt.microsecond
        return span, lt.toordinal() - span.base, us

    def _add_us(self, t: datetime, us: int, pauses: list[tuple[datetime, datetime]]) -> datetime:
        """The canonical end of a count of `us` > 0 working microseconds from `t`, skipping
        `pauses` (merged, sorted, none ending before `t`). A count that uses up the working time
        before a pause exactly ends there, before the pause."""
        cur = t
        for s, e in pauses:
            if s > cur:
                available = self._cum(s) - self._cum(cur)
                if available >= us:
                    break
                us -= available
            cur = max(cur, e)
        span, i, tus = self._split(cur)
        return self._at(span, span.prefix[i] + _worked_before(span.periods[i], tus) + us)

    def _cum(self, t: datetime) -> int:
        span, i, us = self._split(t)
        return span.prefix[i] + _worked_before(span.periods[i], us)

    def _at(self, span: _Span, c: int) -> datetime:
        while span.prefix[-1] < c:
            span = self._extend_forward(span)
        k = bisect.bisect_left(span.prefix, c)
        i = k - 1
        return self._instant(span, i, _locate(span.periods[i], c - span.prefix[i]))

    def _next_working_day(self, span: _Span, i: int) -> tuple[_Span, int]:
        while i >= len(span.periods) or span.prefix[-1] == span.prefix[i]:
            span = self._extend_forward(span)
        return span, bisect.bisect_right(span.prefix, span.prefix[i]) - 1

    def _instant(self, span: _Span, i: int, us: int) -> datetime:
        d = date.fromordinal(span.base + i)
        return datetime(d.year, d.month, d.day, tzinfo=self.tz) + timedelta(microseconds=us)

    def _extend_forward(self, span: _Span) -> _Span:
        new = self._cover(span.last_year + 1)
        window_start = date(new.last_year - _YEARS_WITHOUT_WORK + 1, 1, 1).toordinal() - new.base
        if window_start >= 0 and new.prefix[-1] == new.prefix[window_start]:
            raise CalendarError(
                f"{self.config.source}: no working time in the {_YEARS_WITHOUT_WORK} years "
                f"up to {new.last_year}"
            )
        return new

    def _cover(self, year: int) -> _Span:
        if not 1900 <= year <= 2400:
            raise ValueError(f"year {year} is outside the calendar's range 1900-2400")
        span = self._span
        if span is not None and span.first_year <= year <= span.last_year:
            return span
        with self._lock:
            span = self._span
            if span is not None and span.first_year <= year <= span.last_year:
                return span
            first = year if span is None else min(span.first_year, year)
            last = year if span is None else max(span.last_year, year)
            if span is None:  # warm up around the year asked for: most work is near "now"
                first, last = year - 1, year + 2
            self._span = self._build(first, last)
            return self._span

    def _build(self, first_year: int, last_year: int) -> _Span:
        hol = self._holidays(first_year, last_year)
        start, end = date(first_year, 1, 1), date(last_year, 12, 31)
        base = start.toordinal()
        periods: list[tuple[Period, ...]] = []
        prefix, wd_prefix = [0], [0]
        off: dict[date, DayOff] = {}
        made_up: dict[date, MakeUpDay] = {}
        names = _WEEKDAY_NAMES[self._lang]
        for n in range(end.toordinal() - base + 1):
            d = date.fromordinal(base + n)
            week = self._week_for(d)
            p = week[d.weekday()]
            a = self._announced.get(d)
            if a is not None:
                if a.working:
                    p = self._hours_like(week, a.hours_like)
                    made_up[d] = MakeUpDay(d, a.reason)
                else:
                    p = ()
                    off[d] = DayOff(d, "announced", a.reason)
            elif d in hol:
                p = ()
                off[d] = DayOff(d, "holiday", hol[d])
            elif d in self._library_swaps:
                off_day, like = self._library_swaps[d]
                p = self._hours_like(week, like)
                made_up[d] = MakeUpDay(d, _MAKE_UP[self._lang].format(off=off_day))
            elif not p:
                off[d] = DayOff(d, "weekend", names[d.weekday()])
            periods.append(p)
            prefix.append(prefix[-1] + sum(e - s for s, e in p))
            wd_prefix.append(wd_prefix[-1] + (1 if p else 0))
        return _Span(first_year, last_year, base, tuple(periods), prefix, wd_prefix, off, made_up)

    def _week_for(self, d: date) -> Week:
        for s in self.config.schedules:
            if s.start <= d <= s.end:
                return s.week
        return self.config.week

    @staticmethod
    def _hours_like(week: Week, weekday: int | None) -> tuple[Period, ...]:
        if weekday is not None and week[weekday]:
            return week[weekday]
        return next((p for p in week if p), ())

    def _holidays(self, first_year: int, last_year: int) -> dict[date, str]:
        if not self.config.holiday_country:
            return {}
        found = holidays_lib.country_holidays(
            self.config.holiday_country,
            years=range(first_year, last_year + 1),
            language=self.config.holiday_language,
        )
        return {d: name for d, name in found.items() if d not in self.config.excluded_holidays}

    def _read_library_swaps(self) -> dict[date, tuple[date, int]]:
        """Worked days of the swaps the `holidays` package knows (it only lists the day off).

        The package records swaps as (month, day, from_month, from_day[, from_year]) in its
        static-holidays class: the first date is off, the second is worked instead.
        """
        country = self.config.holiday_country
        if not country:
            return {}
        cls = type(holidays_lib.country_holidays(country))
        module = importlib.import_module(cls.__module__)
        found: dict[date, tuple[date, int]] = {}
        for name in dir(module):
            table = getattr(getattr(module, name), "special_public_holidays", None)
            if not name.endswith("StaticHolidays") or not isinstance(table, dict):
                continue
            for year, entries in table.items():
                if entries and not isinstance(entries[0], tuple):
                    entries = (entries,)
                for entry in entries:
                    if len(entry) not in (4, 5) or not all(isinstance(x, int) for x in entry):
                        continue
                    try:
                        off_day = date(year, entry[0], entry[1])
                        worked = date(entry[4] if len(entry) == 5 else year, entry[2], entry[3])
                    except ValueError:
                        continue
                    if off_day not in self.config.excluded_holidays:
                        found[worked] = (off_day, off_day.weekday())
        return found


def _clip_pauses(
    pauses: Iterable[tuple[datetime, datetime]], after: datetime
) -> list[tuple[datetime, datetime]]:
    """Checked (start, end) pairs, cut to what lies after `after`, merged and sorted."""
    clipped: list[tuple[datetime, datetime]] = []
    for n, pause in enumerate(pauses):
        try:
            s, e = pause
        except (TypeError, ValueError):
            raise TypeError(f"pauses[{n}] must be a (start, end) pair") from None
        _require_aware(s, f"pauses[{n}].start")
        _require_aware(e, f"pauses[{n}].end")
        if e < s:
            raise ValueError(f"pauses[{n}] ends before it starts")
        s = max(s, after)
        if s < e:
            clipped.append((s, e))
    return merge_pauses(clipped)


def merge_pauses(pauses: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for s, e in sorted(pauses):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged
