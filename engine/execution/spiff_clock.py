"""Route SpiffWorkflow's timer clock through our injectable Clock.

SpiffWorkflow 3.2 reads ``datetime.now(timezone.utc)`` inside its timer event definitions, so an
injected clock needs a hook there. We replace that module's ``datetime`` name with a subclass
whose ``now()`` asks the clock bound to the current context (a ContextVar, so threads and
requests each see their own); with no clock bound it is the system clock.
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
