"""A dossier's running workflow: the small interface the service layer uses instead of SpiffWorkflow."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    LOCALTZ,
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock

from .bpmn_compiler import HumanTaskMeta
from .script_engine import BASIS_KEY, MotcuaScriptEngine
from .serialization import dump_workflow, load_workflow, spec_from_dict
from .spiff_clock import using_clock


_MAX_ROUNDS = 100


class ProcessError(RuntimeError):
    """The procedure itself failed (a script or expression raised): not the caller's fault."""

    def __init__(self, message: str, element_id: str | None = None):
        self.element_id = element_id
        super().__init__(f"{element_id}: {message}" if element_id else message)


class TaskNotReady(LookupError):
    """No ready human task with this id in the dossier (done already, or never existed)."""


@dataclass(frozen=True)
class LoadedProcess:
    """A procedure version's spec, restored once and shared by all its dossiers (read-only)."""

    spec: Any
    subprocess_specs: dict[str, Any]
    human_tasks: dict[str, HumanTaskMeta]

    @classmethod
    def from_stored(cls, spec: dict[str, Any], subprocess_specs: dict[str, Any],
                    human_tasks: dict[str, dict[str, Any]]) -> "LoadedProcess":
        top, subs = spec_from_dict(spec, subprocess_specs)
        return cls(top, subs, {k: HumanTaskMeta(**v) for k, v in human_tasks.items()})


@dataclass(frozen=True)
class ReadyHumanTask:
    id: str
    element_id: str
    name: str
    lane: str | None
    form: str | None
    working_hours: float | None
    working_days: int | None
    data: dict[str, Any]
    candidate_groups: str | None = None  # Camunda's candidate group, routed before the lane


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    element_id: str
    due_at: datetime  # UTC
    basis: dict[str, Any] | None  # what a working-time deadline was computed from


def _utc(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    if t.tzinfo is None:  # read the way SpiffWorkflow reads it: server-local (we always write offsets)
        t = t.replace(tzinfo=LOCALTZ)
    return t.astimezone(timezone.utc)


def _describe(err: SpiffWorkflowException) -> str:
    """SpiffWorkflow's message plus the error that caused it (which it leaves out for expressions)."""
    text = str(err).strip()
    cause = err.__context__
    if cause is not None and not isinstance(cause, SpiffWorkflowException) and str(cause) not in text:
        text += f" ({type(cause).__name__}: {cause})"
    return text


class DossierWorkflow:
    def __init__(self, process: LoadedProcess, workflow: BpmnWorkflow, clock: Clock):
        self.process = process
        self._wf = workflow
        self._clock = clock

    # ------------------------------------------------------------ life cycle

    @classmethod
    def start(cls, process: LoadedProcess, script_engine: MotcuaScriptEngine, clock: Clock,
              data: dict[str, Any]) -> "DossierWorkflow":
        wf = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=script_engine)
        # The start event's data flows to every later task.
        wf.task_tree.data.update(data)
        for t in wf.get_tasks(state=TaskState.READY):
            t.data.update(data)
        dw = cls(process, wf, clock)
        dw._advance()
        return dw

    @classmethod
    def restore(cls, process: LoadedProcess, state: str, script_engine: MotcuaScriptEngine,
                clock: Clock) -> "DossierWorkflow":
        wf = load_workflow(state, process.spec, process.subprocess_specs)
        wf.script_engine = script_engine  # not restored by SpiffWorkflow
        return cls(process, wf, clock)

    def dump(self) -> str:
        return dump_workflow(self._wf)

    @property
    def completed(self) -> bool:
        return self._wf.completed

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._wf.data)

    # ------------------------------------------------------------ human tasks

    def _all_tasks(self) -> Any:
        # The task dicts directly: SpiffWorkflow's tree iterator costs more than the rest of a step.
        yield from self._wf.tasks.values()
        for sub in self._wf.subprocesses.values():
            yield from sub.tasks.values()

    def ready_tasks(self) -> list[ReadyHumanTask]:
        out = []
        ready = [t for t in self._all_tasks() if t.state == TaskState.READY and t.task_spec.manual]
        for t in sorted(ready, key=lambda t: t.last_state_change):
            meta = self.process.human_tasks.get(f"{t.workflow.spec.name}/{t.task_spec.name}")
            out.append(
                ReadyHumanTask(
                    id=str(t.id),
                    element_id=t.task_spec.name,
                    name=getattr(t.task_spec, "bpmn_name", None) or t.task_spec.name,
                    lane=t.task_spec.lane,
                    form=meta.form if meta else None,
                    working_hours=meta.working_hours if meta else None,
                    working_days=meta.working_days if meta else None,
                    data=t.data,
                    candidate_groups=meta.candidate_groups if meta else None,
                )
            )
        return out

    def complete(self, task_id: str, data: dict[str, Any]) -> str:
        """Complete a ready human task with form data; returns its element id."""
        task = self._ready_task(task_id)
        task.data.update(data)
        with using_clock(self._clock):
            try:
                task.run()
            except SpiffWorkflowException as err:
                raise ProcessError(_describe(err), task.task_spec.name) from err
        self._advance()
        return task.task_spec.name

    def task_data(self, task_id: str) -> dict[str, Any]:
        return dict(self._ready_task(task_id).data)

    def _ready_task(self, task_id: str) -> Any:
        try:
            task = self._wf.get_task_from_id(UUID(str(task_id)))
        except (ValueError, TaskNotFoundException):
            raise TaskNotReady(task_id) from None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        return task

    # ------------------------------------------------------------ timers

    def waiting_timers(self) -> list[WaitingTimer]:
        out = []
        for t in self._wf.event_manager.tasks.values():
            definition = getattr(t.task_spec, "event_definition", None)
            if not isinstance(definition, TimerEventDefinition) or t.state != TaskState.WAITING:
                continue
            value = t.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
                value = value.get("next") if value.get("cycles") != 0 else None
            if not value:
                continue
            out.append(WaitingTimer(str(t.id), t.task_spec.name, _utc(value), t.internal_data.get(BASIS_KEY)))
        return out

    def fire_due_timers(self) -> None:
        """Let every timer whose instant has passed (by the injected clock) fire, then run on."""
        self._advance()

    def fired(self, timer_task_ids: Iterable[str]) -> list[str]:
        """Of these timer events (task ids of `waiting_timers()` taken earlier), the element ids of
        those that fired. A timer that went away because its task was completed or its branch was
        cancelled did not fire, even when it was already due."""
        out = []
        for task_id in timer_task_ids:
            try:
                task = self._wf.get_task_from_id(UUID(task_id))
            except TaskNotFoundException:
                continue
            if task is not None and task.state == TaskState.COMPLETED:
                out.append(task.task_spec.name)
        return out

    def set_timer_due(self, task_id: str, due: datetime) -> None:
        task = self._wf.get_task_from_id(UUID(task_id))
        definition = task.task_spec.event_definition
        value = due.astimezone(timezone.utc).isoformat()
        if isinstance(definition, CycleTimerEventDefinition):
            task.internal_data["event_value"]["next"] = value
        else:
            task.internal_data["event_value"] = value

    def _advance(self) -> None:
        # do_engine_steps refreshes timers only after running the ready engine tasks, so a timer
        # that fires leaves its event READY: run again until nothing automatic is left.
        with using_clock(self._clock):
            try:
                for _ in range(_MAX_ROUNDS):
                    self._wf.do_engine_steps()
                    if self._wf.get_next_task(state=TaskState.READY, manual=False) is None:
                        break
                else:
                    raise ProcessError(f"still running after {_MAX_ROUNDS} rounds (a loop without a wait?)")
            except ProcessError:
                raise
            except SpiffWorkflowException as err:
                task = getattr(err, "task", None)
                element = task.task_spec.name if task is not None else None
                raise ProcessError(_describe(err), element) from err
            except Exception as err:  # a script raising something SpiffWorkflow did not wrap
                raise ProcessError(f"{type(err).__name__}: {err}") from err
