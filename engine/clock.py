"""One injectable source of "now" for the whole engine (tests move it; nothing sleeps)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""


class SystemClock:
    """The real time, in `tz` (the province's zone from the calendar, given by engine.bootstrap):
    every message and every stored text built from "now" then says +07:00, as people read it
    (issue 14). Instants compare and are stored the same whatever the zone (UTC in the database)."""

    def __init__(self, tz: tzinfo = timezone.utc):
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(self.tz)


class ManualClock:
    """A clock that only moves when told to: for tests and for replaying back-dated entries."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, t: datetime) -> None:
        if t.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware instant")
        self._now = t

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now = self._now + (delta or timedelta(**kwargs))
        return self._now
