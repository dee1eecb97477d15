"""The script engine BPMN expressions run in: restricted, out of process, with working-time functions.

Every expression and script SpiffWorkflow evaluates (gateway and flow conditions, timer
expressions, script tasks, pre/post scripts, multi-instance and DMN expressions) goes to the
sandbox (engine/execution/sandbox): compiled under the restricted policy, run in a worker process
with a time and memory budget, against a namespace where the engine's functions cannot be
shadowed by task data (issue 7).

BPMN authors write deadlines in working time (docs/bpmn-conventions.md), e.g. a boundary timer
whose timeDate is ``deadline(working_hours=8)``. When ``deadline`` is evaluated for a timer, the
engine keeps what it was computed from (start instant and amount) on the task, so that
``motcua timers recalculate`` can recompute it after the calendar changes.
"""
from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.script_engine import BasePythonScriptEngineEnvironment, PythonScriptEngine

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from .expressions import ExpressionError
from .sandbox import ScriptBudgetExceeded, ScriptFailed, ScriptLimits, ScriptRefused, pool_for
from .working_time import (  # noqa: F401 - re-exported for the service layer
    BASIS_KEY,
    WorkingTimeFunctions,
    record,
    recording,
)


_SANDBOX_ERRORS = (ScriptBudgetExceeded, ScriptFailed, ScriptRefused)


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's environment interface, answered by the sandbox's worker processes."""

    def __init__(self, functions: WorkingTimeFunctions, limits: ScriptLimits):
        super().__init__({})  # nothing of this process is offered to scripts
        self.functions = functions
        self.limits = limits

    def _run(self, mode: str, source: str, context: dict[str, Any],
             external_context: dict[str, Any] | None) -> tuple[Any, dict[str, Any] | None]:
        value, after, bases = pool_for(self.limits).run(
            self.limits, self.functions.calendar(), self.functions.clock.now(), mode, source,  # type: ignore[arg-type]
            context, external_context)
        for basis in bases:
            record(basis)
        return value, after

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        return self._run("eval", expression, context, external_context)[0]

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        after = self._run("exec", script, context, external_context)[1] or {}
        context.clear()  # in place: SpiffWorkflow holds this dict as the task's data
        context.update(after)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not supported")


class MotcuaScriptEngine(PythonScriptEngine):
    """PythonScriptEngine on the sandbox, remembering what a timer's deadline was computed from."""

    def __init__(self, functions: WorkingTimeFunctions, limits: ScriptLimits | None = None):
        super().__init__(environment=SandboxEnvironment(functions, limits or ScriptLimits()))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        with recording() as sink:
            try:
                result = self.environment.evaluate(expression, task.data, external_context)
            except SpiffWorkflowException:
                raise
            except Exception as err:
                plain = isinstance(err, (*_SANDBOX_ERRORS, NameError, ExpressionError))  # they speak for themselves
                what = str(err) if plain else f"{type(err).__name__}: {err}"
                for kind in ("NameError: ", "ExpressionError: "):  # the sandbox's wording of them
                    what = what.removeprefix(kind)
                # a JUEL/FEEL condition runs as "<Python>  # <as written>" (camunda.py): quote it as written
                shown = expression.strip().split("  # ", 1)[-1]
                raise WorkflowTaskException(f"{what}, in expression {shown!r}", task=task,
                                            exception=err) from err
        if len(sink) == 1:
            task.internal_data[BASIS_KEY] = sink[0]
        return result

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except SpiffWorkflowException:
            raise
        except Exception as err:
            raise WorkflowTaskException(str(err) if isinstance(err, _SANDBOX_ERRORS) else f"{type(err).__name__}: {err}",
                                        task=task, exception=err) from err
