"""The working-time calendar's configuration: a TOML file of data, validated at load.

Everything a province changes from year to year (announced days off, swapped days, summer hours)
lives in the file, so next year's announcement is an edit, never a code change (N-10).
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marshmallow import Schema, ValidationError, fields, validates_schema
from marshmallow import validate as v

from engine.validation_errors import flatten_errors

ENV_VAR = "MOTCUA_CALENDAR"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "calendar.toml"

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_US_PER_MINUTE = 60_000_000
_DAY_US = 24 * 60 * _US_PER_MINUTE

# Decision 188/1999: 40-hour week Monday to Friday; clock hours set by the province (N-10).
DEFAULT_PERIODS = ("07:00-11:30", "13:30-17:00")


class CalendarConfigError(ValueError):
    """A calendar file that cannot be used; names the file, where in it, and the problem."""

    def __init__(self, source: str, where: str, problem: str):
        self.source, self.where, self.problem = source, where, problem
        super().__init__(f"{source}: {where}: {problem}" if where else f"{source}: {problem}")


Period = tuple[int, int]  # microseconds since local midnight, start < end
Week = tuple[tuple[Period, ...], ...]  # index 0 = Monday


@dataclass(frozen=True)
class DatedSchedule:
    name: str
    start: date
    end: date  # inclusive
    week: Week


@dataclass(frozen=True)
class Announcement:
    """A day the government or province announced: off, or worked (make-up day)."""

    day: date
    working: bool
    reason: str
    hours_like: int | None = None  # weekday whose hours a worked day follows


@dataclass(frozen=True)
class CalendarConfig:
    source: str
    timezone: str = "Asia/Ho_Chi_Minh"
    week: Week = ()
    schedules: tuple[DatedSchedule, ...] = ()
    holiday_country: str | None = "VN"
    holiday_language: str = "vi"
    library_swaps: bool = True
    excluded_holidays: frozenset[date] = frozenset()
    announcements: tuple[Announcement, ...] = field(default=())


# ---------------------------------------------------------------- validation schemas


class _DateField(fields.Field):
    """A TOML date (or an ISO string, for files written by hand with quotes)."""

    default_error_messages = {"invalid": "expected a date like 2026-01-02"}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.make_error("invalid")


_PERIOD_RE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class _PeriodField(fields.Field):
    default_error_messages = {
        "invalid": 'expected a period like "07:00-11:30"',
        "order": "a period must end after it starts",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Period:
        m = _PERIOD_RE.match(value) if isinstance(value, str) else None
        if not m:
            raise self.make_error("invalid")
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        if h1 > 23 or h2 > 24 or m1 > 59 or m2 > 59 or (h2 == 24 and m2 != 0):
            raise self.make_error("invalid")
        start, end = (h1 * 60 + m1) * _US_PER_MINUTE, (h2 * 60 + m2) * _US_PER_MINUTE
        if end <= start:
            raise self.make_error("order")
        return start, end


def _check_periods(periods: list[Period]) -> None:
    for (s1, e1), (s2, _e2) in zip(periods, periods[1:]):
        if s2 < e1:
            raise ValidationError("periods must be in order and must not overlap")


class _WeekSchema(Schema):
    mon = fields.List(_PeriodField(), validate=_check_periods)
    tue = fields.List(_PeriodField(), validate=_check_periods)
    wed = fields.List(_PeriodField(), validate=_check_periods)
    thu = fields.List(_PeriodField(), validate=_check_periods)
    fri = fields.List(_PeriodField(), validate=_check_periods)
    sat = fields.List(_PeriodField(), validate=_check_periods)
    sun = fields.List(_PeriodField(), validate=_check_periods)


class _ScheduleSchema(Schema):
    name = fields.String(required=True)
    from_ = _DateField(data_key="from", required=True)
    to = _DateField(required=True)
    hours = fields.Nested(_WeekSchema, required=True)

    @validates_schema
    def _order(self, data: dict, **kwargs: Any) -> None:
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before 'from'", "to")


_weekday = v.OneOf(WEEKDAYS, error="expected one of " + ", ".join(WEEKDAYS))


class _DayOffSchema(Schema):
    date = _DateField(required=True)
    reason = fields.String(required=True, validate=v.Length(min=1))
    reference = fields.String()


class _WorkingDaySchema(_DayOffSchema):
    hours_like = fields.String(validate=_weekday)


class _SwapSchema(Schema):
    off = _DateField(required=True)
    worked = _DateField(required=True)
    reason = fields.String(required=True, validate=v.Length(min=1))
    reference = fields.String()
    hours_like = fields.String(validate=_weekday)


class _HolidaysSchema(Schema):
    country = fields.String(load_default="VN")
    language = fields.String(load_default="vi")
    library_swaps = fields.Boolean(load_default=True)
    exclude = fields.List(_DateField(), load_default=list)


class _CalendarSchema(Schema):
    timezone = fields.String(load_default="Asia/Ho_Chi_Minh")
    hours = fields.Nested(_WeekSchema)
    schedules = fields.List(fields.Nested(_ScheduleSchema), load_default=list)
    holidays = fields.Nested(_HolidaysSchema)
    days_off = fields.List(fields.Nested(_DayOffSchema), load_default=list)
    working_days = fields.List(fields.Nested(_WorkingDaySchema), load_default=list)
    swaps = fields.List(fields.Nested(_SwapSchema), load_default=list)

    @validates_schema
    def _zone(self, data: dict, **kwargs: Any) -> None:
        try:
            ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"unknown time zone {data['timezone']!r}", "timezone")


# ---------------------------------------------------------------- loading


_HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-]+)\s*\]\]?")
_KEY_RE = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def _locate(text: str, path: str) -> int | None:
    """Best-effort line number of a key path like 'swaps[1].worked' in TOML text."""
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    table: list[str] = []
    counts: dict[str, int] = {}
    want_table: list[str] = []
    for p in parts:
        if p.startswith("["):
            want_table[-1] = f"{want_table[-1]}[{int(p[1:-1])}]"
        else:
            want_table.append(p)
    candidates = [(want_table, None)]
    if want_table:
        candidates.append((want_table[:-1], re.sub(r"\[\d+\]$", "", want_table[-1])))
    lines = text.splitlines()
    for tbl, key in candidates:
        table, counts = [], {}
        for no, line in enumerate(lines, start=1):
            h = _HEADER_RE.match(line)
            if h:
                name = h.group(2)
                if h.group(1) == "[[":
                    counts[name] = counts.get(name, -1) + 1
                    table = [f"{name}[{counts[name]}]"]
                else:
                    table = name.split(".")
                if key is None and table == tbl:
                    return no
                continue
            k = _KEY_RE.match(line)
            if k and key is not None and table == tbl and k.group(1) == key:
                return no
            if k and key is None and table + [k.group(1)] == tbl:
                return no
    return None


def _week(raw: dict[str, list[Period]] | None, default: Week) -> Week:
    if raw is None:
        return default
    return tuple(tuple(raw.get(day, [])) for day in WEEKDAYS)


def default_week() -> Week:
    periods = tuple(_PeriodField().deserialize(p) for p in DEFAULT_PERIODS)
    return tuple(periods if i < 5 else () for i in range(7))


def parse_config(text: str, source: str = "<calendar>") -> CalendarConfig:
    """Parse and validate calendar TOML; raises CalendarConfigError naming line/key and problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise CalendarConfigError(source, "", f"not valid TOML: {err}") from None
    try:
        data = _CalendarSchema().load(raw)
    except ValidationError as err:
        where, problem = flatten_errors(err.messages)[0]
        line = _locate(text, where)
        where = f"line {line}, {where}" if line else where
        raise CalendarConfigError(source, where, problem) from None

    week = _week(data.get("hours"), default_week())
    schedules = tuple(
        DatedSchedule(
            name=s["name"],
            start=s["from_"],
            end=s["to"],
            week=_week(s["hours"], ()),
        )
        for s in data["schedules"]
    )
    announcements: list[Announcement] = []
    for d in data["days_off"]:
        announcements.append(Announcement(d["date"], False, d["reason"]))
    for d in data["working_days"]:
        like = WEEKDAYS.index(d["hours_like"]) if "hours_like" in d else None
        announcements.append(Announcement(d["date"], True, d["reason"], like))
    for s in data["swaps"]:
        like = WEEKDAYS.index(s["hours_like"]) if "hours_like" in s else s["off"].weekday()
        announcements.append(Announcement(s["off"], False, s["reason"]))
        announcements.append(Announcement(s["worked"], True, s["reason"], like))
    seen: dict[date, Announcement] = {}
    for a in announcements:
        other = seen.get(a.day)
        if other is not None and other.working != a.working:
            raise CalendarConfigError(
                source, a.day.isoformat(), "announced both as a day off and as a working day"
            )
        seen[a.day] = a
    hol = data.get("holidays") or _HolidaysSchema().load({})
    return CalendarConfig(
        source=source,
        timezone=data["timezone"],
        week=week,
        schedules=schedules,
        holiday_country=hol["country"] or None,
        holiday_language=hol["language"],
        library_swaps=hol["library_swaps"],
        excluded_holidays=frozenset(hol["exclude"]),
        announcements=tuple(announcements),
    )


def resolve_path(path: str | os.PathLike[str] | None = None) -> Path:
    if path is not None:
        return Path(path)
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else DEFAULT_PATH


def load_config(path: str | os.PathLike[str] | None = None) -> CalendarConfig:
    p = resolve_path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise CalendarConfigError(str(p), "", f"cannot read the file ({err.strerror})") from None
    return parse_config(text, str(p))


def time_of(us: int) -> time:
    """Microseconds since midnight -> time (24:00 is not a time; callers handle day ends)."""
    s, us_rest = divmod(us, 1_000_000)
    return time(s // 3600, (s // 60) % 60, s % 60, us_rest)
