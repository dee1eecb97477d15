"""Where SpiffWorkflow 3.2 departs from BPMN 2.0 on constructs our procedures use, the corrected classes.

They are registered in the serializer under the stock type names (serialization.py), so every
stored spec and state, old or new, restores with them; the parser still builds the stock classes
and nothing else changes.

- Timers fire strictly after their instant in SpiffWorkflow; BPMN 2.0 §10.5.6 triggers a timer AT
  its time. Every timer here fires once `spiff_clock.reached(its instant)` (TimeDateTimer,
  DurationTimer, CycleTimer, and the gateway's timers below).
- Event-based gateway (and a multiple event) followed by timers: SpiffWorkflow stores one due
  instant per gateway, so every timer takes the first-evaluated one's, and when the sweep comes
  after two of them are due both paths run. Here each timer keeps its own instant (and what a
  working-time deadline was computed from), the earliest due timer alone fires, and an event
  already caught (a message) wins over timers not yet seen. BPMN 2.0 §10.5.6: the first event
  to occur wins, the others are dropped.
- Non-interrupting boundary cycle timer: when its activity ends, SpiffWorkflow cancels the
  boundary event together with the paths it already spawned (the reminder tasks vanish). BPMN
  2.0 §10.4.6: a path started by a non-interrupting event lives on; only the event stops.
- Non-interrupting boundary message event: SpiffWorkflow catches one message; BPMN catches every
  one while the activity runs (rearm_boundary_event).
- Event sub-processes still listening keep a finished process open forever in SpiffWorkflow
  (end_idle_event_subprocesses).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, BpmnStartTask, StartEventSplit, _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from .script_engine import BASIS_KEY
from .spiff_clock import current_utc, reached

# On a gateway task: {str(index of the timer among the gateway's events): {"due": ISO UTC, "basis": …}}
TIMER_DUES_KEY = "motcua_timer_dues"
# On a gateway task: indexes of the timers that fired, in the order they were seen.
FIRED_KEY = "motcua_timers_fired"
# On a cycle timer's task: its activity ended, so the cycle stopped (it completed without firing).
CYCLE_ENDED_KEY = "motcua_cycle_ended"


def first_due(definition: TimerEventDefinition, task: Any) -> dict[str, Any]:
    """Evaluate a timer's expression on `task`: its (first) due instant and deadline basis, if any."""
    task.internal_data.pop(BASIS_KEY, None)
    raw = task.workflow.script_engine.evaluate(task, definition.expression)
    basis = task.internal_data.pop(BASIS_KEY, None)
    now = current_utc()
    if isinstance(definition, CycleTimerEventDefinition):
        _, due, _ = TimerEventDefinition.parse_iso_recurring_interval(raw)
    elif isinstance(definition, DurationTimerEventDefinition):
        due = now + TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(raw), now)
    else:
        value = raw if isinstance(raw, datetime) else TimerEventDefinition.parse_time_or_duration(raw)
        due = value if isinstance(value, datetime) else now + TimerEventDefinition.get_timedelta_from_start(value, now)
    if due.tzinfo is None:
        due = TimerEventDefinition.get_datetime(due.isoformat())
    return {"due": due.astimezone(timezone.utc).isoformat(), "basis": basis}


class _FiresAtItsInstant:
    """has_fired of a timeDate / timeDuration timer, with its instant itself counting (BPMN)."""

    def has_fired(self, my_task: Any) -> bool:
        if super().has_fired(my_task):  # type: ignore[misc]  # evaluates and keeps the instant once
            return True
        value = my_task._get_internal_data("event_value")
        if value is not None and reached(TimerEventDefinition.parse_time_or_duration(value)):
            my_task._set_internal_data(event_fired=True)
        return bool(my_task._get_internal_data("event_fired", False))


class TimeDateTimer(_FiresAtItsInstant, TimeDateEventDefinition):
    pass


class DurationTimer(_FiresAtItsInstant, DurationTimerEventDefinition):
    pass


class CycleTimer(CycleTimerEventDefinition):
    """A cycle timer whose occurrence fires at its instant (SpiffWorkflow: strictly after it)."""

    def cycle_complete(self, my_task: Any) -> bool:
        if super().cycle_complete(my_task):
            return True
        value = my_task._get_internal_data("event_value")
        if value is None or value.get("cycles") == 0:
            return False
        occurrence = datetime.fromisoformat(value["next"])
        if not reached(occurrence):
            return False
        # the occurrence at exactly now: move on to the next one, as SpiffWorkflow does after it
        value["next"] = (occurrence + timedelta(seconds=value["duration"])).isoformat()
        value["cycles"] -= 1
        my_task._set_internal_data(event_value=value)
        return True


class GatewayEvents(MultipleEventDefinition):
    """The events a gateway (or a multiple event) waits for; each timer with its own due instant."""

    def timer_dues(self, my_task: Any) -> dict[int, dict[str, Any]]:
        """{index: {"due", "basis"}} of every timer among the events, evaluated once."""
        dues = my_task.internal_data.setdefault(TIMER_DUES_KEY, {})
        for i, definition in enumerate(self.event_definitions):
            if isinstance(definition, TimerEventDefinition) and str(i) not in dues:
                dues[str(i)] = first_due(definition, my_task)
        return {int(i): v for i, v in dues.items()}

    def pending_timers(self, my_task: Any) -> dict[int, dict[str, Any]]:
        fired = set(my_task.internal_data.get(FIRED_KEY, []))
        return {i: v for i, v in self.timer_dues(my_task).items() if i not in fired}

    def has_fired(self, my_task: Any) -> bool:
        seen = my_task.internal_data.get("seen_events", [])
        fired = my_task.internal_data.get(FIRED_KEY, [])
        if self.parallel or not seen:
            now = current_utc()
            due = sorted((datetime.fromisoformat(v["due"]), i) for i, v in self.pending_timers(my_task).items()
                         if reached(datetime.fromisoformat(v["due"]), now))
            for _, i in due if self.parallel else due[:1]:  # only the earliest wins
                seen.append(BpmnEvent(self.event_definitions[i]))
                fired.append(i)
        my_task.internal_data["seen_events"] = seen
        my_task.internal_data[FIRED_KEY] = fired
        if self.parallel:
            return len(seen) >= len(self.event_definitions)
        return len(seen) > 0

    def reset(self, my_task: Any) -> None:
        my_task.internal_data.pop(TIMER_DUES_KEY, None)
        my_task.internal_data.pop(FIRED_KEY, None)
        super().reset(my_task)


class EventGateway(EventBasedGateway):
    """Takes the path of the event that occurred, finding a timer by its position (two timers may
    share a label, which SpiffWorkflow's lookup by equality confuses)."""

    def _run_hook(self, my_task: Any) -> bool:
        definitions = self.event_definition.event_definitions
        fired = list(my_task.internal_data.get(FIRED_KEY, []))
        matches = []
        for event in my_task.internal_data.get("seen_events", []):
            if isinstance(event.event_definition, TimerEventDefinition) and fired:
                idx = fired.pop(0)
            else:
                idx = definitions.index(event.event_definition)
            definitions[idx].catch(my_task, event)
            definitions[idx].update_task_data(my_task)
            matches.append(my_task.children[idx].task_spec)
        my_task._sync_children(matches, TaskState.FUTURE)
        for child in my_task.children:
            child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
        return True


class ActivityJoin(BoundaryEventJoin):
    """When an activity ends, its boundary events stop waiting; paths they already spawned go on."""

    def _check_threshold_structured(self, my_task: Any) -> tuple[bool, list[Any]]:
        finished, cancel = super()._check_threshold_structured(my_task)
        keep = []
        for task in cancel:
            spawned = [c for c in task.children if not c.has_state(TaskState.PREDICTED_MASK)]
            if (isinstance(task.task_spec, BoundaryEvent) and task.state == TaskState.WAITING
                    and isinstance(task.task_spec.event_definition, CycleTimerEventDefinition) and spawned):
                # A cycle timer that fired: end the event itself, not the reminders it started.
                task.workflow.top_workflow.event_manager.remove_task(task)
                task.internal_data.pop("event_value", None)
                task.internal_data[CYCLE_ENDED_KEY] = True  # ended with its activity: it did not fire
                task._set_state(TaskState.COMPLETED)
            else:
                keep.append(task)
        return finished, keep


def end_idle_event_subprocesses(workflow: Any) -> bool:
    """End a (sub-)process whose flow has reached its end while event sub-processes still listen.

    BPMN 2.0 §10.3.5: an event sub-process is active only while its parent is; once every
    token of the parent has reached an end event, the parent completes and stops listening.
    SpiffWorkflow waits for them forever, so a finished dossier stayed open with its timers.
    An event sub-process already triggered (its start event fired) is a token: it is awaited.
    Returns True if it ended any.
    """
    ended = False
    for wf in [workflow, *workflow.subprocesses.values()]:
        if wf.completed or not any(isinstance(t.task_spec, _EndJoin) and t.state == TaskState.WAITING
                                   for t in wf.tasks.values()):
            continue
        open_tasks = [t for t in wf.tasks.values() if t.has_state(TaskState.DEFINITE_MASK)
                      and not isinstance(t.task_spec, _EndJoin) and t.task_spec.name != "End"]
        if open_tasks and all(_idle_event_subprocess(workflow, t) for t in open_tasks):
            for t in open_tasks:
                t.cancel()
            for t in wf.tasks.values():
                if isinstance(t.task_spec, _EndJoin) and t.state == TaskState.WAITING:
                    t.task_spec._update(t)
            ended = True
    return ended


def _idle_event_subprocess(workflow: Any, task: Any) -> bool:
    # An event sub-process hangs off the process's start (SpiffWorkflow restores its spec as a
    # plain SubWorkflowTask), where the normal flow starts with its start events.
    if not (isinstance(task.task_spec, SubWorkflowTask) and task.task_spec in task.workflow.spec.start.outputs):
        return False
    sub = workflow.subprocesses.get(task.id)
    return sub is not None and not any(
        t.has_state(TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR)
        and not isinstance(t.task_spec, (BpmnStartTask, StartEventSplit))
        for t in sub.tasks.values()
    )


def rearm_boundary_event(task: Any) -> None:
    """A non-interrupting boundary message event catches every message while its activity runs
    (BPMN 2.0 §10.4.6); SpiffWorkflow catches one. Put a fresh one beside the one that caught."""
    spec = task.task_spec
    if not isinstance(spec, BoundaryEvent) or spec.cancel_activity or task.parent is None:
        return
    activity = next((c for c in task.parent.children if not isinstance(c.task_spec, BoundaryEvent)), None)
    if activity is None or activity.has_state(TaskState.FINISHED_MASK):
        return
    fresh = task.parent._add_child(spec, TaskState.MAYBE)
    spec._predict(fresh)  # its path, as the split predicts the events it starts with
    fresh._set_state(TaskState.WAITING)
    spec._update(fresh)


def cycle_occurrences(cycle_task: Any) -> int:
    # Each occurrence adds a child for every output of the event, the activity's join among them.
    return sum(1 for c in cycle_task.children if not isinstance(c.task_spec, BoundaryEventJoin))


# A parallel multi-instance creates every instance at once, in the server process and outside the
# sandbox's budgets: a script's `items = list(range(20000))` (120 KB of data) cost 14 s and 3 GB
# there. Procedures loop over documents or applicants, never thousands. (Sequential instances are
# made one at a time and bounded by the step budget.)
MAX_PARALLEL_INSTANCES = 1000
_stock_create_child = ParallelMultiInstanceTask.create_child


def _bounded_create_child(self: Any, my_task: Any, item: Any, key_or_index: Any = None) -> Any:
    if sum(1 for _ in self._instances(my_task)) >= MAX_PARALLEL_INSTANCES:  # children: also the next task
        raise WorkflowTaskException(f"a parallel multi-instance may have at most {MAX_PARALLEL_INSTANCES} "
                                    "instances (its collection or cardinality is larger)", task=my_task)
    return _stock_create_child(self, my_task, item, key_or_index)


ParallelMultiInstanceTask.create_child = _bounded_create_child  # type: ignore[method-assign]


# A BPMN collection is a list (or a mapping). Text is iterable in Python, so "ab" made one instance
# per character; a missing or scalar value failed with a TypeError (parallel) or SpiffWorkflow's own
# wording (sequential). Checked where the instances are made, after the task has inherited its data.
def _refusing_text(stock: Any) -> Any:
    def made_from_a_collection(self: Any, my_task: Any) -> Any:
        if self.data_input is not None:
            value = self.data_input.get(my_task)
            if not isinstance(value, (list, tuple, set, frozenset, dict)):
                kind = "missing" if value is None else "text" if isinstance(value, (str, bytes)) else type(value).__name__
                raise WorkflowTaskException(f"the multi-instance collection {self.data_input.bpmn_id!r} is {kind}, "
                                            "not a list", task=my_task)
        return stock(self, my_task)
    return made_from_a_collection


ParallelMultiInstanceTask.create_children = _refusing_text(ParallelMultiInstanceTask.create_children)  # type: ignore[method-assign]
SequentialMultiInstanceTask.init_remaining_items = _refusing_text(  # type: ignore[method-assign]
    SequentialMultiInstanceTask.init_remaining_items)
