"""The script engine BPMN expressions run in, with working-time functions for deadlines.

BPMN authors write deadlines in working time (docs/bpmn-conventions.md), e.g. a boundary timer
whose timeDate is ``deadline(working_hours=8)``. When ``deadline`` is evaluated for a timer, the
engine keeps what it was computed from (start instant and amount) on the task, so that
``motcua timers recalculate`` can recompute it after the calendar changes.
"""
from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from typing import Any, Callable

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from engine.calendar import WorkingCalendar
from engine.clock import Clock

from .expressions import FUNCTIONS as EXPRESSION_FUNCTIONS

BASIS_KEY = "motcua_deadline_basis"

_recorded: ContextVar[list[dict[str, Any]] | None] = ContextVar("motcua_deadlines", default=None)


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


def compute_deadline(
    calendar: WorkingCalendar,
    start: datetime,
    working_hours: float | None = None,
    working_days: int | None = None,
) -> datetime:
    """The one place a working-time amount becomes an instant (also used by recalculation)."""
    if (working_hours is None) == (working_days is None):
        raise ValueError("give exactly one of working_hours or working_days")
    if working_hours is not None:
        return calendar.add_working_hours(start, working_hours)
    return calendar.add_working_days(start, int(working_days))  # type: ignore[arg-type]


def recompute(calendar: WorkingCalendar, basis: dict[str, Any]) -> datetime:
    """Recompute a deadline from the basis recorded when it was first computed."""
    return compute_deadline(
        calendar,
        _instant(basis["from"], "from"),
        working_hours=basis.get("working_hours"),
        working_days=basis.get("working_days"),
    )


class WorkingTimeFunctions:
    """The functions offered to BPMN expressions and scripts (all instants as ISO strings)."""

    def __init__(self, calendar: Callable[[], WorkingCalendar], clock: Clock):
        self._calendar = calendar
        self._clock = clock

    def globals(self) -> dict[str, Callable[..., Any]]:
        return {
            "deadline": self.deadline,
            "now": self.now,
            "add_working_hours": self.add_working_hours,
            "add_working_days": self.add_working_days,
            "working_hours_between": self.working_hours_between,
            "is_working_time": self.is_working_time,
        }

    def now(self) -> str:
        return self._clock.now().astimezone(self._calendar().tz).isoformat()

    def deadline(
        self,
        working_hours: float | None = None,
        working_days: int | None = None,
        start: Any = None,
    ) -> str:
        """ISO instant `working_hours` or `working_days` of working time after `start` (default now)."""
        cal = self._calendar()
        t0 = self._clock.now() if start is None else _instant(start, "start")
        due = compute_deadline(cal, t0, working_hours, working_days)
        basis: dict[str, Any] = {"from": t0.isoformat()}
        if working_hours is not None:
            basis["working_hours"] = working_hours
        else:
            basis["working_days"] = int(working_days)  # type: ignore[arg-type]
        sink = _recorded.get()
        if sink is not None:
            sink.append(basis)
        return due.isoformat()

    def add_working_hours(self, start: Any, hours: float) -> str:
        return self._calendar().add_working_hours(_instant(start, "start"), hours).isoformat()

    def add_working_days(self, start: Any, days: int) -> str:
        return self._calendar().add_working_days(_instant(start, "start"), days).isoformat()

    def working_hours_between(self, a: Any, b: Any) -> float:
        return self._calendar().working_hours_between(_instant(a, "a"), _instant(b, "b"))

    def is_working_time(self, t: Any) -> bool:
        return self._calendar().is_working_time(_instant(t, "t"))


class MotcuaScriptEngine(PythonScriptEngine):
    """PythonScriptEngine that remembers what a timer's deadline was computed from.

    Not a sandbox (SpiffWorkflow evaluates with eval/exec); restricting scripts of uploaded
    diagrams is on the roadmap and will replace `environment` here.
    """

    def __init__(self, functions: WorkingTimeFunctions):
        # EXPRESSION_FUNCTIONS: what conditions translated from JUEL/FEEL call (expressions.runtime)
        super().__init__(environment=TaskDataEnvironment({**functions.globals(), **EXPRESSION_FUNCTIONS}))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        sink: list[dict[str, Any]] = []
        token = _recorded.set(sink)
        try:
            result = super().evaluate(task, expression, external_context)
        finally:
            _recorded.reset(token)
        if len(sink) == 1:
            task.internal_data[BASIS_KEY] = sink[0]
        return result
