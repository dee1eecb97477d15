"""Where SpiffWorkflow 3.2 departs from BPMN 2.0 on constructs our procedures use, the corrected classes.

They are registered in the serializer under the stock type names (serialization.py), so every
stored spec and state, old or new, restores with them; the parser still builds the stock classes
and nothing else changes.

- Event-based gateway (and a multiple event) followed by timers: SpiffWorkflow stores one due
  instant per gateway, so every timer takes the first-evaluated one's, and when the sweep comes
  after two of them are due both paths run. Here each timer keeps its own instant (and what a
  working-time deadline was computed from), the earliest due timer alone fires, and an event
  already caught (a message) wins over timers not yet seen. BPMN 2.0 §10.5.6: the first event
  to occur wins, the others are dropped.
- Non-interrupting boundary cycle timer: when its activity ends, SpiffWorkflow cancels the
  boundary event together with the paths it already spawned (the reminder tasks vanish). BPMN
  2.0 §10.4.6: a path started by a non-interrupting event lives on; only the event stops.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.util.task import TaskState

from .script_engine import BASIS_KEY
from .spiff_clock import current_utc

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
                         if datetime.fromisoformat(v["due"]) < now)
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
