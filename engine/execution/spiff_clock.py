"""Route SpiffWorkflow's timer clock through our injectable Clock; decide when an instant is reached.

SpiffWorkflow 3.2 reads ``datetime.now(timezone.utc)`` inside its timer event definitions, so an
injected clock needs a hook there. We replace that module's ``datetime`` name with a subclass
whose ``now()`` asks the clock bound to the current context (a ContextVar, so threads and
requests each see their own); with no clock bound it is the system clock.

`reached` is THE comparison of a timer's instant with the clock: every place that decides whether
a timer is due (the corrected timer events of spiff_fixes.py, the adapter's firing loop, the sweep)
asks it, so they cannot disagree at the instant itself.
"""
from __future__ import annotations

import contextlib
from contextvars import ContextVar
from datetime import datetime, timezone, tzinfo
from typing import Iterator

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _spiff_timer

from engine.clock import Clock

_current: ContextVar[Clock | None] = ContextVar("motcua_clock", default=None)


class _ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        clock = _current.get()
        if clock is None:
            return datetime.now(tz)
        t = clock.now()
        return t.astimezone(tz) if tz is not None else t.astimezone().replace(tzinfo=None)


def current_utc() -> datetime:
    """Now, by the clock bound to this context (the system clock if none), in UTC."""
    return _ClockedDatetime.now(timezone.utc)


def reached(instant: datetime, now: datetime | None = None) -> bool:
    """Whether a timer due at `instant` (aware) fires at `now` (default: the bound clock's now).

    BPMN 2.0 §10.5.6: a timer is triggered AT its time, so the instant itself counts; SpiffWorkflow
    3.2 fired only strictly after it, so a sweep at exactly `due_at` found the timer due and fired
    nothing (it went off at the next sweep).
    """
    return instant <= (current_utc() if now is None else now)


@contextlib.contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    token = _current.set(clock)
    try:
        yield
    finally:
        _current.reset(token)


def install() -> None:
    if _spiff_timer.datetime is not _ClockedDatetime:
        _spiff_timer.datetime = _ClockedDatetime


install()
