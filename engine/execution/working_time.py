"""The working-time functions offered to BPMN expressions and scripts (docs/bpmn-conventions.md).

Plain Python without SpiffWorkflow: the script sandbox's worker process imports this module to
run ``deadline(...)`` and friends next to the script that calls them.

When ``deadline`` is evaluated, what it was computed from (the deadline basis: start instant and
amount, engine/domain/deadline.py) is appended to the sink set by ``recording()``, so that the engine can keep it on the timer's task and
``motcua timers recalculate`` can recompute the deadline after the calendar changes (R-5.2).
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Callable, Iterator

from engine.calendar import WorkingCalendar
from engine.clock import Clock
from engine.domain.deadline import DeadlineBasis

BASIS_KEY = "motcua_deadline_basis"

_recorded: ContextVar[list[dict[str, Any]] | None] = ContextVar("motcua_deadlines", default=None)


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """Collect the bases of every ``deadline(...)`` computed inside the block."""
    sink: list[dict[str, Any]] = []
    token = _recorded.set(sink)
    try:
        yield sink
    finally:
        _recorded.reset(token)


def record(basis: dict[str, Any]) -> None:
    sink = _recorded.get()
    if sink is not None:
        sink.append(basis)


def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, datetime):
        t = value
    elif isinstance(value, str):
        try:
            t = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name}={value!r} is not an ISO date-time") from None
    else:
        raise TypeError(f"{name} must be an ISO date-time string, got {type(value).__name__}")
    if t.tzinfo is None:
        raise ValueError(f"{name}={value!r} has no offset")
    return t


class WorkingTimeFunctions:
    """The functions offered to BPMN expressions and scripts (all instants as ISO strings).

    Their names and parameters are the documented namespace: `motcua procedures check` refuses a
    call to any other function, or with an argument name these do not take.
    """

    NAMES = ("deadline", "now", "add_working_hours", "add_working_days", "working_hours_between",
             "is_working_time")

    def __init__(self, calendar: Callable[[], WorkingCalendar], clock: Clock):
        self.calendar = calendar
        self.clock = clock

    def globals(self) -> dict[str, Callable[..., Any]]:
        return {name: getattr(self, name) for name in self.NAMES}

    def now(self) -> str:
        return self.clock.now().astimezone(self.calendar().tz).isoformat()

    def deadline(
        self,
        working_hours: float | None = None,
        working_days: int | None = None,
        start: Any = None,
    ) -> str:
        """ISO instant `working_hours` or `working_days` of working time after `start` (default now)."""
        t0 = self.clock.now() if start is None else _instant(start, "start")
        if isinstance(working_days, float) and working_days.is_integer():
            working_days = int(working_days)  # deadline(working_days=2.0) from a computed value
        basis = DeadlineBasis(t0, working_hours=working_hours, working_days=working_days)
        due = basis.due(self.calendar())
        record(basis.to_json())
        return due.isoformat()

    def add_working_hours(self, start: Any, hours: float) -> str:
        return self.calendar().add_working_hours(_instant(start, "start"), hours).isoformat()

    def add_working_days(self, start: Any, days: int) -> str:
        return self.calendar().add_working_days(_instant(start, "start"), days).isoformat()

    def working_hours_between(self, a: Any, b: Any) -> float:
        return self.calendar().working_hours_between(_instant(a, "a"), _instant(b, "b"))

    def is_working_time(self, t: Any) -> bool:
        return self.calendar().is_working_time(_instant(t, "t"))
