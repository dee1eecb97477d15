"""A dossier's running workflow: the small interface the service layer uses instead of SpiffWorkflow."""
from __future__ import annotations

import ast
import re
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    LOCALTZ,
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock
from engine.domain.fields import FieldError, field_value

from .bpmn_compiler import HumanTaskMeta, MessageMeta
from .expressions import ExpressionError
from .sandbox import script_step
from .script_engine import BASIS_KEY, MotcuaScriptEngine
from .serialization import dump_workflow, load_workflow, spec_from_dict
from .spiff_clock import reached, using_clock
from .spiff_fixes import (
    CYCLE_ENDED_KEY,
    FIRED_KEY,
    TIMER_DUES_KEY,
    GatewayEvents,
    cycle_occurrences,
    end_idle_event_subprocesses,
    rearm_boundary_event,
)


_MAX_ROUNDS = 100


class ProcessError(RuntimeError):
    """The procedure itself failed (a script or expression raised): not the caller's fault."""

    def __init__(self, message: str, element_id: str | None = None):
        self.element_id = element_id
        super().__init__(f"{element_id}: {message}" if element_id else message)


class TaskNotReady(LookupError):
    """No ready human task with this id in the dossier (done already, or never existed)."""


class StartMessageNeeded(ValueError):
    """The process starts by one of several messages (`candidates`): the caller must name one; or a
    message was named for a process that does not start by it."""

    def __init__(self, detail: str, candidates: list[str]):
        self.candidates = candidates
        super().__init__(detail)


class NotWaiting(LookupError):
    """The dossier is not waiting for this message; `waiting` names the messages it waits for."""

    def __init__(self, message: str, waiting: list[str]):
        self.message = message
        self.waiting = waiting
        super().__init__(message)


@dataclass(frozen=True)
class LoadedProcess:
    """A procedure version's spec, restored once and shared by all its dossiers (read-only)."""

    spec: Any
    subprocess_specs: dict[str, Any]
    human_tasks: dict[str, HumanTaskMeta]
    messages: dict[str, MessageMeta] = field(default_factory=dict)  # by message name

    def has_lifecycle(self, effect: str) -> bool:
        """Whether a human task of the diagram carries `lifecycle=<effect>` (e.g. a reception task)."""
        return any((m.properties or {}).get("lifecycle") == effect for m in self.human_tasks.values())

    def start_message_names(self) -> list[str]:
        """The messages the process starts by (its message start events): a registration is one of
        them, and its form is the procedure's registration form (the applicants' catalogue)."""
        return sorted({ts.event_definition.name for ts in self.spec.task_specs.values()
                       if isinstance(ts, StartEvent) and isinstance(ts.event_definition, MessageEventDefinition)})

    @classmethod
    def from_stored(cls, spec: dict[str, Any], subprocess_specs: dict[str, Any],
                    human_tasks: dict[str, dict[str, Any]],
                    messages: dict[str, dict[str, Any]] | None = None) -> "LoadedProcess":
        top, subs = spec_from_dict(spec, subprocess_specs)
        return cls(top, subs, {k: HumanTaskMeta(**v) for k, v in human_tasks.items()},
                   {k: MessageMeta(**v) for k, v in (messages or {}).items()})


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
    lifecycle: str | None = None  # the task's `lifecycle` property (docs/bpmn-conventions.md §15)


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    element_id: str
    due_at: datetime  # UTC
    basis: dict[str, Any] | None  # what a working-time deadline was computed from


@dataclass(frozen=True)
class WaitingMessage:
    name: str  # the message's name in the diagram
    element_id: str  # the event or receive task that catches it


def element_id(task_spec: Any) -> str:
    """The diagram's id of a running task's element (a multi-instance child's spec is renamed
    `<id> [child]` by SpiffWorkflow; its bpmn_id stays the diagram's)."""
    return getattr(task_spec, "bpmn_id", None) or task_spec.name


def _utc(value: str) -> datetime:
    t = datetime.fromisoformat(value)
    if t.tzinfo is None:  # read the way SpiffWorkflow reads it: server-local (we always write offsets)
        t = t.replace(tzinfo=LOCALTZ)
    return t.astimezone(timezone.utc)


# A JUEL/FEEL condition runs as "<its Python>  # <as written>" (camunda.py); SpiffWorkflow quotes it.
_TRANSLATED = re.compile(r"(expression ')[^\n]*?  # ")
_DID_YOU_MEAN = re.compile(r"Did you mean one of '(\[[^\]]*\])'\?")


def _names(match: re.Match[str]) -> str:
    try:
        return "Did you mean " + ", ".join(map(str, ast.literal_eval(match.group(1)))) + "?"
    except (ValueError, SyntaxError):
        return match.group(0)


def _describe(err: SpiffWorkflowException) -> str:
    """SpiffWorkflow's message plus the error that caused it (which it leaves out for expressions),
    in the analyst's words: a condition as written in the diagram (not its Python translation),
    suggested names as a plain list, and no class name where the cause speaks for itself."""
    text = _DID_YOU_MEAN.sub(_names, _TRANSLATED.sub(r"\1", str(err).strip()))
    cause = err.__context__
    # ", in expression" is the script engine's own wrapping, which already says what the cause said
    if cause is not None and not isinstance(cause, SpiffWorkflowException) and str(cause) not in text \
            and ", in expression " not in text:
        plain = isinstance(cause, (NameError, ExpressionError))  # "name 'x' is not defined", "gave null"
        text += f" ({cause})" if plain else f" ({type(cause).__name__}: {cause})"
    return text


class DossierWorkflow:
    def __init__(self, process: LoadedProcess, workflow: BpmnWorkflow, clock: Clock):
        self.process = process
        self._wf = workflow
        self._clock = clock
        self._cycle_firings: dict[str, int] = {}  # cycle timer task id -> occurrences fired since loaded
        self.started_by: str | None = None  # the message start event's message, if one started it

    # ------------------------------------------------------------ life cycle

    @classmethod
    def start(cls, process: LoadedProcess, script_engine: MotcuaScriptEngine, clock: Clock,
              data: dict[str, Any], message: str | None = None) -> "DossierWorkflow":
        """Start a dossier's process. A process whose start events are message start events is
        started by registration as if that message arrived (`message` names it when there are
        several). Raises StartMessageNeeded, ProcessError."""
        wf = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=script_engine)
        # The start event's data flows to every later task.
        wf.task_tree.data.update(data)
        for t in wf.get_tasks(state=TaskState.READY):
            t.data.update(data)
        dw = cls(process, wf, clock)
        dw._advance()
        waiting = dw.start_messages()
        if message is not None and message not in waiting:
            raise StartMessageNeeded(f"the procedure does not start by message {message!r}"
                                     + (f" (it starts by: {', '.join(waiting)})" if waiting else ""), waiting)
        if message is None and len(waiting) > 1:
            raise StartMessageNeeded(f"the procedure starts by one of several messages ({', '.join(waiting)}): "
                                     "name the one this registration is", waiting)
        if waiting:
            dw.started_by = message or waiting[0]
            dw.deliver(dw.started_by, {})  # the registration data is already the start event's
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

    def cancel(self) -> None:
        """End the process without running anything more (the dossier ended by a lifecycle rule:
        refused, stopped, withdrawn); afterwards it is completed and waits for nothing."""
        self._wf.cancel()

    def task_lifecycle(self, task_id: str) -> str | None:
        """The `lifecycle` property of a ready human task's element (docs/lifecycle.md), or None."""
        t = self._ready_task(task_id)
        meta = self.process.human_tasks.get(f"{t.workflow.spec.name}/{element_id(t.task_spec)}")
        return (meta.properties or {}).get("lifecycle") or None if meta else None

    @property
    def data(self) -> dict[str, Any]:
        return dict(self._wf.data)

    def set_dossier_fields(self, values: dict[str, Any]) -> bool:
        """Give the data fields every dossier starts with (docs/bpmn-conventions.md §4, e.g. `due_at`)
        these values wherever a later step may read them: every task's data, finished ones too (a
        task about to run merges its finished parent's data over its own, a join its branches'), and
        the process data. Only fields the data already holds are set. Returns True if anything changed."""
        changed = False
        holders = [t.data for t in self._all_tasks()]
        for data in [*holders, self._wf.data, *(sub.data for sub in self._wf.subprocesses.values())]:
            for key, value in values.items():
                if key in data and data[key] != value:
                    data[key] = value
                    changed = True
        return changed

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
            element = element_id(t.task_spec)
            meta = self.process.human_tasks.get(f"{t.workflow.spec.name}/{element}")
            hours, days = _working_time(meta, t.data, element)
            out.append(
                ReadyHumanTask(
                    id=str(t.id),
                    element_id=element,
                    name=getattr(t.task_spec, "bpmn_name", None) or element,
                    lane=t.task_spec.lane,
                    form=meta.form if meta else None,
                    working_hours=hours,
                    working_days=days,
                    data=t.data,
                    candidate_groups=meta.candidate_groups if meta else None,
                    lifecycle=(meta.properties or {}).get("lifecycle") or None if meta else None,
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
                raise ProcessError(_describe(err), element_id(task.task_spec)) from err
        self._advance()
        return element_id(task.task_spec)

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
            if t.state != TaskState.WAITING:
                continue
            if isinstance(definition, GatewayEvents):
                out += _gateway_timers(t, definition)
                continue
            if not isinstance(definition, TimerEventDefinition):
                continue
            value = t.internal_data.get("event_value")
            if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
                value = value.get("next") if value.get("cycles") != 0 else None
            if not value:
                continue
            out.append(WaitingTimer(str(t.id), element_id(t.task_spec), _utc(value), t.internal_data.get(BASIS_KEY)))
        return out

    def fire_due_timers(self) -> None:
        """Let every timer whose instant has passed (by the injected clock) fire, then run on.

        A cycle timer fires once per round; a sweep that comes late fires each missed occurrence.
        """
        for _ in range(_MAX_ROUNDS):
            before = {t.task_id: t.due_at for t in self.waiting_timers()}
            self._advance()
            now = self._clock.now()
            if not any(reached(t.due_at, now) and t.task_id in before and before[t.task_id] < t.due_at
                       for t in self.waiting_timers()):
                return

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
            if task is None:
                continue
            if (task.state == TaskState.COMPLETED and task_id not in self._cycle_firings
                    and not task.internal_data.get(CYCLE_ENDED_KEY)):
                out.append(element_id(task.task_spec))
            elif self._cycle_firings.get(task_id):  # a cycle fires and waits again (or its count ended)
                out += [element_id(task.task_spec)] * self._cycle_firings[task_id]
        return out

    def _cycle_paths(self) -> dict[str, int]:
        """Paths spawned so far by each waiting cycle timer (one per occurrence fired)."""
        return {str(t.id): cycle_occurrences(t) for t in self._wf.event_manager.tasks.values()
                if isinstance(getattr(t.task_spec, "event_definition", None), CycleTimerEventDefinition)}

    def set_timer_due(self, task_id: str, due: datetime) -> None:
        """Move a waiting timer (a task id from waiting_timers) to a new instant."""
        task = self._wf.get_task_from_id(UUID(task_id))
        value = due.astimezone(timezone.utc).isoformat()
        owner = task.parent if task.parent is not None and isinstance(
            getattr(task.parent.task_spec, "event_definition", None), GatewayEvents) else None
        if owner is not None:  # a timer after an event-based gateway: its due instant is on the gateway
            index = owner.task_spec.outputs.index(task.task_spec)
            owner.internal_data[TIMER_DUES_KEY][str(index)]["due"] = value
            return
        definition = task.task_spec.event_definition
        if isinstance(definition, GatewayEvents):
            index = min(definition.pending_timers(task).items(), key=lambda kv: kv[1]["due"])[0]
            task.internal_data[TIMER_DUES_KEY][str(index)]["due"] = value
        elif isinstance(definition, CycleTimerEventDefinition):
            task.internal_data["event_value"]["next"] = value
        else:
            task.internal_data["event_value"] = value

    # ------------------------------------------------------------ messages

    def _message_waits(self) -> list[tuple[Any, Any, str]]:
        """(waiting task, its message definition, element id) for every message the dossier waits
        for; the task is None for an event sub-process whose message start creates it when caught."""
        out: list[tuple[Any, Any, str]] = []
        for t in self._wf.event_manager.tasks.values():
            if t.state != TaskState.WAITING:
                continue
            definition = getattr(t.task_spec, "event_definition", None)
            if isinstance(definition, MessageEventDefinition):
                out.append((t, definition, element_id(t.task_spec)))
            elif isinstance(definition, GatewayEvents):
                gateway = isinstance(t.task_spec, EventBasedGateway)
                for i, d in enumerate(definition.event_definitions):
                    if isinstance(d, MessageEventDefinition):
                        element = element_id(t.task_spec.outputs[i]) if gateway else element_id(t.task_spec)
                        out.append((t, d, element))
        if not self._wf.completed:
            for name in self._wf.spec.start.trigger_specs:
                spec = self._wf.subprocess_specs.get(name)
                for start in getattr(spec, "bpmn_start_events", []):
                    if isinstance(start.event_definition, MessageEventDefinition):
                        out.append((None, start.event_definition, element_id(start)))
        return out

    def waiting_messages(self) -> list[WaitingMessage]:
        return [WaitingMessage(d.name, element) for _, d, element in self._message_waits()]

    def start_messages(self) -> list[str]:
        """Names of the message start events the process still waits for before anything began."""
        return sorted({d.name for t, d, _ in self._message_waits()
                       if t is not None and isinstance(t.task_spec, StartEvent) and t.workflow is self._wf})

    def deliver(self, name: str, payload: dict[str, Any]) -> list[str]:
        """Deliver a message to the events waiting for it, then run on; returns their element ids.

        The payload goes to the data field named by the message's `messageVariable` when the diagram
        gives one, else its fields merge into the dossier data (like a completed form's).
        Raises NotWaiting if nothing waits for `name` (or its correlation keys do not match);
        ProcessError if the procedure then fails.
        """
        waits = [(t, d, element) for t, d, element in self._message_waits() if d.name == name]
        if not waits:
            raise NotWaiting(name, sorted({w.name for w in self.waiting_messages()}))
        definition = next((d for t, d, _ in waits if t is not None), waits[0][1])
        with using_clock(self._clock):
            try:
                correlations = definition.calculate_correlations(
                    self._wf.script_engine, definition.correlation_properties, payload)
                event = BpmnEvent(definition, payload=payload, correlations=correlations)
                catchers = {t.id: element for t, _, element in waits if t is not None and t.task_spec.catches(t, event)}
                if not catchers and all(t is not None for t, _, _ in waits):
                    raise NotWaiting(name, sorted({w.name for w in self.waiting_messages()}))
                self._wf.event_manager.catch(event, internal=False)
            except SpiffWorkflowException as err:
                raise ProcessError(str(err), waits[0][2]) from err
        caught = [self._wf.get_task_from_id(tid) for tid in catchers]
        # an event sub-process the message started: its start event holds the payload
        caught += [t for t in self._all_tasks() if t.id not in catchers and isinstance(t.task_spec, StartEvent)
                   and t.internal_data.get(name) is payload]
        if not caught:
            raise NotWaiting(name, sorted({w.name for w in self.waiting_messages()}))
        if getattr(definition, "message_var", None) is None:
            for t in caught:
                t.data.update(payload)
        for t in caught:
            rearm_boundary_event(t)
        self._advance()
        return [catchers.get(t.id) or element_id(t.task_spec) for t in caught]

    def _advance(self) -> None:
        # do_engine_steps refreshes timers only after running the ready engine tasks, so a timer
        # that fires leaves its event READY: run again until nothing automatic is left.
        cycles = self._cycle_paths()
        with using_clock(self._clock), script_step():
            try:
                for _ in range(_MAX_ROUNDS):
                    self._wf.do_engine_steps()
                    if self._wf.get_next_task(state=TaskState.READY, manual=False) is None \
                            and not end_idle_event_subprocesses(self._wf):
                        break
                else:
                    raise ProcessError(f"still running after {_MAX_ROUNDS} rounds (a loop without a wait?)")
            except ProcessError:
                raise
            except SpiffWorkflowException as err:
                task = getattr(err, "task", None)
                element = element_id(task.task_spec) if task is not None else None
                raise ProcessError(_describe(err), element) from err
            except Exception as err:  # a script raising something SpiffWorkflow did not wrap
                raise _unwrapped(err) from err
        self._refuse_deadlock()
        for task_id, before in cycles.items():
            task = self._wf.get_task_from_id(UUID(task_id))
            spawned = cycle_occurrences(task) - before if task is not None else 0
            if spawned > 0:
                self._cycle_firings[task_id] = self._cycle_firings.get(task_id, 0) + spawned


    def _refuse_deadlock(self) -> None:
        """A process not finished with nothing to do, no timer and no message to wait for would stay
        open forever: e.g. a parallel gateway joining the branches of an exclusive one waits for a
        branch that was never taken (BPMN 2.0 §10.6.4). Raise, so the step is refused with an
        incident on the element that waits, instead of a dossier nobody can move."""
        if self._wf.completed or any(t.state == TaskState.READY and t.task_spec.manual for t in self._all_tasks()):
            return
        if self.waiting_timers() or self._message_waits():
            return
        waiting = sorted({element_id(t.task_spec) for t in self._all_tasks()
                          if t.state == TaskState.WAITING and getattr(t.task_spec, "bpmn_id", None)})
        raise ProcessError(f"the process cannot go on: {', '.join(waiting) or 'it'} waits for a path that will "
                           "never come (a parallel gateway joins every incoming flow: after an exclusive gateway, "
                           "join with an exclusive or inclusive gateway)", waiting[0] if waiting else None)


def _unwrapped(err: Exception) -> ProcessError:
    """An error SpiffWorkflow raised without its task (e.g. a multi-instance collection that is not
    a list): located on the innermost task being run, as SpiffWorkflow's specs name it `my_task`."""
    task = None
    for frame, _ in traceback.walk_tb(err.__traceback__):
        task = frame.f_locals.get("my_task", task)
    spec = getattr(task, "task_spec", None)
    if spec is None:
        return ProcessError(f"{type(err).__name__}: {err}")
    collection = getattr(getattr(spec, "data_input", None), "bpmn_id", None)
    if isinstance(spec, MultiInstanceTask) and collection and isinstance(err, TypeError):
        value = task.data.get(collection)
        return ProcessError(f"the multi-instance collection {collection!r} is "
                            f"{'missing' if value is None else type(value).__name__}, not a list", element_id(spec))
    return ProcessError(f"{type(err).__name__}: {err}", element_id(spec))


def _gateway_timers(task: Any, definition: GatewayEvents) -> list[WaitingTimer]:
    """One row per timer still pending on a gateway (keyed by the timer event's own task), or the
    earliest one for a multiple event."""
    fired = set(task.internal_data.get(FIRED_KEY, []))
    dues = {int(i): v for i, v in task.internal_data.get(TIMER_DUES_KEY, {}).items() if int(i) not in fired}
    if not dues:
        return []
    if isinstance(task.task_spec, EventBasedGateway):
        children = {c.task_spec.name: c for c in task.children}
        out = []
        for i, v in sorted(dues.items()):
            spec = task.task_spec.outputs[i]
            child = children.get(spec.name)
            if child is not None:
                out.append(WaitingTimer(str(child.id), element_id(spec), _utc(v["due"]), v.get("basis")))
        return out
    i, v = min(dues.items(), key=lambda kv: _utc(kv[1]["due"]))
    return [WaitingTimer(str(task.id), element_id(task.task_spec), _utc(v["due"]), v.get("basis"))]


def _working_time(meta: HumanTaskMeta | None, data: dict[str, Any], element: str) -> tuple[float | None, int | None]:
    """A task's step deadline: a number from the diagram, or read from a data field of the task
    (e.g. the item of a multi-instance consultation)."""
    if meta is None:
        return None, None
    hours, days = meta.working_hours, meta.working_days
    try:
        if meta.working_hours_field:
            hours = _amount(field_value(data, meta.working_hours_field), meta.working_hours_field, float)
        if meta.working_days_field:
            days = _amount(field_value(data, meta.working_days_field), meta.working_days_field, int)
    except FieldError as err:
        raise ProcessError(str(err), element) from None
    return hours, days


def _amount(value: Any, path: str, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or (kind is int and value != int(value)):
        raise FieldError(f"the deadline comes from data field {path!r}, whose value {value!r} is not "
                         f"a non-negative {'whole ' if kind is int else ''}number")
    return kind(value)
