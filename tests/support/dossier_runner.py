"""Run a compiled process the way officials would, without a database: for corpus and construct tests.

Every ready human task is completed with the data given (empty by default); when only timers wait,
the ManualClock jumps to the earliest one and it fires. Stops at the end of the process, when
nothing can move (waiting for a message, or stuck), or when the process fails.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.bpmn_compiler import CompiledProcess
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess, ProcessError
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from tests.conftest import VN

START = datetime(2026, 11, 26, 9, 0, tzinfo=VN)  # a Thursday morning


@dataclass
class RunResult:
    outcome: str  # "end", "waiting" (nothing ready, no timer) or "failed"
    steps: list[str] = field(default_factory=list)  # human tasks completed and timers fired, in order
    error: str | None = None


def run_dossier(compiled: CompiledProcess, data: Callable[[str], dict[str, Any]] | None = None,
                start_data: dict[str, Any] | None = None, max_steps: int = 200) -> RunResult:
    clock = ManualClock(START)
    loaded = LoadedProcess.from_stored(compiled.spec, compiled.subprocess_specs,
                                       {k: vars(v) for k, v in compiled.human_tasks.items()})
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: WorkingCalendar.load(), clock))
    result = RunResult("waiting")
    try:
        dw = DossierWorkflow.start(loaded, engine, clock, dict(start_data or {}))
        for _ in range(max_steps):
            if dw.completed:
                result.outcome = "end"
                return result
            ready = dw.ready_tasks()
            if ready:
                task = ready[0]
                dw.complete(task.id, (data or (lambda _: {}))(task.element_id))
                result.steps.append(task.element_id)
                continue
            timers = sorted(dw.waiting_timers(), key=lambda t: t.due_at)
            if not timers:
                return result
            clock.set(max(clock.now(), timers[0].due_at) + timedelta(seconds=1))
            dw.fire_due_timers()
            result.steps.append(f"timer:{timers[0].element_id}")
        result.error = f"still running after {max_steps} steps"
        result.outcome = "failed"
    except ProcessError as err:
        result.outcome, result.error = "failed", str(err)
    return result
