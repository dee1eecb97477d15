"""The deadline basis: what a dossier's or a step's due instant is computed from (R-5.2, N-4, N-6).

A due instant is never stored alone: it is stored with its basis (the instant counted from, the
amount of working time, the paused intervals, the one re-appointment), so that it can be computed
again after the calendar changes (`motcua timers recalculate`) and always agrees with a hand
computation. Pure domain: the calendar is passed in.

JSON shape (stored in `due_basis` columns and on timer tasks)::

    {"from": "2026-12-04T17:30:00+07:00", "working_days": 3,            # or "working_hours": 8
     "pauses": [["2026-12-08T09:00:00+07:00", "2026-12-09T09:00:00+07:00"]],          # optional
     "cutoff_hour": 15,                                                               # optional
     "reappointment": {"due": "...", "reason": "...", "made_at": "..."}}              # optional

Bases stored before pauses and re-appointments existed ({"from", "working_hours"|"working_days"})
read as bases without them.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone
from typing import Any, Protocol


class DeadlineError(ValueError):
    """A basis that cannot be built or read (bad amount, naive instant, malformed JSON)."""


class ReappointmentRefused(DeadlineError):
    """N-6: the new appointment may be made only once, at least 1 working day before the due date."""


class Calendar(Protocol):
    def next_working_time(self, t: datetime) -> datetime: ...
    def add_working_hours(self, t: datetime, hours: float, pauses: Any = ...) -> datetime: ...
    def add_working_days(self, t: datetime, days: int, pauses: Any = ...) -> datetime: ...
    def working_periods(self, d: Any) -> list[tuple[datetime, datetime]]: ...
    tz: Any
    def canonical_end(self, t: datetime) -> datetime: ...
    def working_hours_between(self, a: datetime, b: datetime, pauses: Any = ...) -> float: ...


def _aware(value: Any, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise DeadlineError(f"{name}={value!r} is not an ISO date-time") from None
    if not isinstance(value, datetime):
        raise DeadlineError(f"{name} must be an ISO date-time, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise DeadlineError(f"{name}={value.isoformat()} has no offset")
    return value


@dataclass(frozen=True)
class Reappointment:
    """The apology's new appointment (N-6, R-5.3): the new due instant, why, and when it was made."""

    due: datetime
    reason: str
    made_at: datetime

    def to_json(self) -> dict[str, str]:
        return {"due": self.due.isoformat(), "reason": self.reason, "made_at": self.made_at.isoformat()}


@dataclass(frozen=True)
class DeadlineBasis:
    """`working_hours` or `working_days` (exactly one) of working time counted from `start`.

    `pauses`: (start, end) intervals not counted (N-4, the applicant supplementing).
    `reappointment`: the one new appointment (N-6); when present it is the due instant.
    `cutoff_hour`: received after this local hour, the count starts at the next working day, and
    `working_days=0` means "by the end of the working day the count starts on" (certification:
    the same working day, the next one after 15:00, Decree 23/2015 Art. 7; newborn routing:
    Decree 63/2024 Art. 7.2). None: the count starts at the next working time (R-3.4).
    Raises DeadlineError on a naive instant, a negative or non-finite amount, both or neither
    amount, fractional days, or a pause that ends before it starts."""

    start: datetime
    working_hours: float | None = None
    working_days: int | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = field(default=())
    reappointment: Reappointment | None = None
    cutoff_hour: int | None = None

    def __post_init__(self) -> None:
        _aware(self.start, "from")
        c = self.cutoff_hour
        if c is not None and (isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= 23):
            raise DeadlineError(f"cutoff_hour must be a whole hour 0-23, got {c!r}")
        if (self.working_hours is None) == (self.working_days is None):
            raise DeadlineError("give exactly one of working_hours or working_days")
        h, d = self.working_hours, self.working_days
        if h is not None and (isinstance(h, bool) or not isinstance(h, numbers.Real)
                              or not math.isfinite(h) or h < 0):
            raise DeadlineError(f"working_hours must be a finite number >= 0, got {h!r}")
        if d is not None and (isinstance(d, bool) or not isinstance(d, int) or d < 0):
            raise DeadlineError(f"working_days must be a whole number >= 0, got {d!r}")
        pauses = tuple(tuple(p) for p in self.pauses)
        for n, pause in enumerate(pauses):
            if len(pause) != 2:
                raise DeadlineError(f"pauses[{n}] must be a (start, end) pair")
            s, e = _aware(pause[0], f"pauses[{n}].start"), _aware(pause[1], f"pauses[{n}].end")
            if e < s:
                raise DeadlineError(f"pauses[{n}] ends before it starts")
        object.__setattr__(self, "pauses", pauses)

    # ------------------------------------------------------------ computing

    def started(self, calendar: Calendar) -> datetime:
        """Where the count starts: the next working time from `start` (R-3.4); with a cutoff and
        `start` after that local hour, the start of the next working day."""
        if self.cutoff_hour is not None:
            local = self.start.astimezone(calendar.tz)
            if local.time() > time(self.cutoff_hour):  # exactly at the cut-off is not after it
                midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=calendar.tz)
                return calendar.next_working_time(midnight)
        return calendar.next_working_time(self.start)

    def statutory_due(self, calendar: Calendar) -> datetime:
        """The amount counted from `start`, pauses excluded (the appointment before any re-appointment)."""
        if self.cutoff_hour is not None:
            begin = self.started(calendar)
            if self.working_hours is not None:
                return calendar.add_working_hours(begin, self.working_hours, self.pauses)
            if self.working_days == 0:  # within the working day the count starts on
                day_end = calendar.working_periods(begin.astimezone(calendar.tz).date())[-1][1]
                return calendar.add_working_hours(begin, calendar.working_hours_between(begin, day_end),
                                                  self.pauses)
            return calendar.add_working_days(begin, self.working_days, self.pauses)  # type: ignore[arg-type]
        if self.working_hours is not None:
            return calendar.add_working_hours(self.start, self.working_hours, self.pauses)
        return calendar.add_working_days(self.start, self.working_days, self.pauses)  # type: ignore[arg-type]

    def due(self, calendar: Calendar) -> datetime:
        """The due instant in force: the re-appointment's, else the statutory one."""
        if self.reappointment is not None:
            return self.reappointed_due(calendar)
        return self.statutory_due(calendar)

    def reappointed_due(self, calendar: Calendar) -> datetime:
        """The new appointment (N-6) moved on by the working time paused after it was made (N-4: the
        applicant's supplement time is not counted, whichever appointment is in force); pauses
        before it were known when the new date was chosen. Needs a re-appointment."""
        r = self.reappointment
        assert r is not None
        if not any(e > r.made_at for _, e in self.pauses):
            return r.due
        hours = calendar.working_hours_between(r.made_at, r.due)
        return calendar.add_working_hours(r.made_at, hours, self.pauses)  # pauses before made_at are cut off

    def reappoint(self, calendar: Calendar, due: datetime, reason: str, made_at: datetime) -> "DeadlineBasis":
        """This basis with its one new appointment (N-6, R-5.3).

        `due` is kept as the working instant it names (calendar.canonical_end). Refused
        (ReappointmentRefused) when there already is one, when the reason is blank, when
        the new due instant is not later than the current one, or when it is asked for less than
        1 working day before the current due instant (made_at + 1 working day must not pass it)."""
        if self.reappointment is not None:
            raise ReappointmentRefused(
                f"the dossier was already re-appointed on {self.reappointment.made_at.isoformat()} "
                f"(to {self.reappointment.due.isoformat()}); the new appointment may be made only once (N-6)")
        due, made_at = _aware(due, "due"), _aware(made_at, "made_at")
        # The same instant is never named two ways: an appointment outside working hours (Sunday,
        # lunch, Monday 07:00) is the end of the working time before it (Friday 17:00, 11:30).
        try:
            due = calendar.canonical_end(due)
        except ValueError as err:  # beyond the calendar's years: no deadline could be counted against it
            raise ReappointmentRefused(f"the new appointment {due.isoformat()} cannot be counted: {err}") from None
        if not isinstance(reason, str) or not reason.strip():
            raise ReappointmentRefused("a re-appointment needs its reason (N-6)")
        current = self.due(calendar)
        if due <= current:
            raise ReappointmentRefused(
                f"the new appointment {due.isoformat()} must be later than the current one {current.isoformat()}")
        if calendar.add_working_days(made_at, 1) > current:
            raise ReappointmentRefused(
                f"a re-appointment must be asked for at least 1 working day before the due instant "
                f"{current.isoformat()} (N-6); asked at {made_at.isoformat()}")
        return replace(self, reappointment=Reappointment(due, reason.strip(), made_at))

    # ------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"from": self.start.isoformat()}
        if self.working_hours is not None:
            out["working_hours"] = self.working_hours
        else:
            out["working_days"] = self.working_days
        if self.pauses:
            out["pauses"] = [[s.isoformat(), e.isoformat()] for s, e in self.pauses]
        if self.reappointment is not None:
            out["reappointment"] = self.reappointment.to_json()
        if self.cutoff_hour is not None:
            out["cutoff_hour"] = self.cutoff_hour
        return out

    @classmethod
    def from_json(cls, data: Any) -> "DeadlineBasis":
        """Read `to_json`'s shape (and the older one without pauses); DeadlineError names the key."""
        if not isinstance(data, dict) or "from" not in data:
            raise DeadlineError(f"a deadline basis is an object with 'from', got {data!r}")
        raw_pauses = data.get("pauses") or []
        if not isinstance(raw_pauses, list) or not all(isinstance(p, list) and len(p) == 2 for p in raw_pauses):
            raise DeadlineError("pauses must be a list of [start, end] pairs")
        pauses = tuple((_aware(s, f"pauses[{n}].start"), _aware(e, f"pauses[{n}].end"))
                       for n, (s, e) in enumerate(raw_pauses))
        re = data.get("reappointment")
        reappointment = None
        if re is not None:
            if not isinstance(re, dict) or not isinstance(re.get("reason"), str):
                raise DeadlineError("reappointment must be an object with due, reason and made_at")
            reappointment = Reappointment(_aware(re.get("due"), "reappointment.due"), re["reason"],
                                          _aware(re.get("made_at"), "reappointment.made_at"))
        days = data.get("working_days")
        if isinstance(days, float) and days.is_integer():
            days = int(days)  # JSON columns of some databases give 3.0
        return cls(_aware(data["from"], "from"), working_hours=data.get("working_hours"),
                   working_days=days, pauses=pauses, reappointment=reappointment,
                   cutoff_hour=data.get("cutoff_hour"))


# A deadline timer held by a supplement pause has no due instant until the pause ends (N-4); it is
# parked at an instant no sweep reaches (the calendar's last year: nothing counts working time on it).
HELD_UNTIL_RESUMED = datetime(2400, 1, 1, tzinfo=timezone.utc)


def timer_due_under_pauses(basis: DeadlineBasis, pauses: tuple[tuple[datetime, datetime], ...],
                           paused_since: datetime | None, calendar: Calendar) -> datetime:
    """N-4 for a working-time deadline timer (a `deadline(...)` timer event) of a dossier.

    A timer that was already counting when the applicant was asked to supplement (its basis started
    strictly before the pause) does not count the paused working time: while the dossier is paused
    it is held (HELD_UNTIL_RESUMED, never due), and once the pause ends its due instant moves on by
    the working time paused, as the dossier's appointment and its open steps' deadlines do. Timers
    started during or after a pause (e.g. the applicant's own time to supplement) are not moved by it.
    `pauses`: the dossier's ended pauses (start, end); `paused_since`: the open one, if any. Returns
    an aware instant (UTC for the held one)."""
    if paused_since is not None and basis.start < paused_since:
        return HELD_UNTIL_RESUMED
    extra = tuple(p for p in pauses if basis.start < p[0] and p not in basis.pauses)
    if not extra:
        return basis.due(calendar)
    return replace(basis, pauses=basis.pauses + extra).due(calendar)
