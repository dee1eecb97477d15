"""Finished history is left out of the stored state (issue 15): it stays flat as a dossier loops, and
a dossier stored pruned behaves step for step as one stored whole (timers, boundary events, loops,
parallel branches, multi-instance, event sub-processes, messages)."""
from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any

import pytest

import engine.execution.serialization as serialization
from engine.execution.dossier_workflow import DossierWorkflow
from tests.engine.execution.test_dossier_workflow import clock, start  # noqa: F401  (clock: a fixture)
from tests.support.bpmn import Process


def _tasks(state: str) -> int:
    dct = json.loads(state)
    return len(dct["tasks"]) + sum(len(s["tasks"]) for s in dct["subprocesses"].values())


def loop_with_reminder() -> Process:
    """a -> b (non-interrupting reminder after 8 working hours) -> again? -> a ..."""
    return (Process("p").start().user("a").user("b").end().xor("again", default="out")
            .boundary_timer("late", "b", "deadline(working_hours=8)", interrupting=False).user("remind").end("e2")
            .chain("start", "a", "b", "again").flow("again", "a", "go == True").flow("again", "end", id="out")
            .chain("late", "remind", "e2"))


def test_a_300_pass_loop_stores_the_same_state_on_its_last_pass_as_on_its_first(clock):
    # Without pruning the state grows by three finished tasks (a, b, the gateway) a pass: 914 tasks.
    dw, engine = start(loop_with_reminder(), clock)
    sizes = []
    for _ in range(300):
        for element in ("a", "b"):
            [task] = dw.ready_tasks()
            assert task.element_id == element
            dw.complete(task.id, {"go": True})
            dw = DossierWorkflow.restore(dw.process, dw.dump(), engine, clock)
        sizes.append((len(dw.dump()), _tasks(dw.dump())))
    assert sizes[-1][1] == sizes[0][1]
    assert sizes[-1][0] <= sizes[0][0] * 1.05  # only ids and timestamps differ in length


# ------------------------------------------------------------------ same behaviour, pruned or whole

def _trace(process: Process, clock, steps: int, prune: bool, monkeypatch) -> list[Any]:
    """Drive a dossier the same way (always restoring from its stored state) and record what an
    official would see after each step."""
    if not prune:
        monkeypatch.setattr(serialization, "pruned_view", lambda wf: contextlib.nullcontext())
    dw, engine = start(process, clock.__class__(clock.now()), {"go": True, "items": ["x", "y"]})
    c = dw._clock
    out: list[Any] = []
    for i in range(steps):
        dw = DossierWorkflow.restore(dw.process, dw.dump(), engine, c)
        if i % 3 == 2:  # now and then time passes: reminders, cycles and deadlines fire
            c.advance(timedelta(hours=20))
            dw.fire_due_timers()
        elif (i % 5 == 4 or not dw.ready_tasks()) and dw.waiting_messages():
            names = sorted({m.name for m in dw.waiting_messages()})
            dw.deliver(names[i // 5 % len(names)], {"paid": i})
        else:
            ready = sorted(dw.ready_tasks(), key=lambda t: (t.element_id, json.dumps(t.data, sort_keys=True)))
            if ready:
                dw.complete(ready[0].id, {"go": i < steps - 20, "seen": i, **_output(ready[0].element_id, i)})
        out.append((
            i,
            sorted((t.element_id, json.dumps(t.data, sort_keys=True, default=str)) for t in dw.ready_tasks()),
            sorted((t.element_id, t.due_at) for t in dw.waiting_timers()),
            sorted((m.name, m.element_id) for m in dw.waiting_messages()),
            dw.completed,
            json.dumps(dw.data, sort_keys=True, default=str),
        ))
        if dw.completed:
            break
    monkeypatch.undo()
    return out


def _output(element: str, i: int) -> dict[str, int]:
    """What an instance of multi_instance_loop's tasks answers (its output item)."""
    return {"each": {"o1": i}, "all": {"o2": -i}}.get(element, {})


def _message_start(id: str, inner: Process, message: str) -> None:
    inner.elements.append(f'<bpmn:startEvent id="{id}" isInterrupting="false"><bpmn:messageEventDefinition '
                          f'messageRef="{inner.message(message)}"/></bpmn:startEvent>')


def parallel_loop() -> Process:
    return (Process("p").start().xor("merge").parallel("split").user("a").user("b").user("c").parallel("join")
            .xor("again", default="out").end()
            .chain("start", "merge", "split", "a", "join").chain("split", "b", "join").chain("split", "c", "join")
            .chain("join", "again").flow("again", "merge", "go == True").flow("again", "end", id="out"))


def multi_instance_loop() -> Process:
    return (Process("p").start().user("each", each="items", item="one", sequential=True, gather="ones", output_item="o1")
            .user("all", each="items", item="other", gather="others", output_item="o2").user("check").xor("again", default="out").end()
            .script("reset", "ones = []\nothers = []")  # a gathered output must start empty
            .chain("start", "reset", "each", "all", "check", "again").flow("again", "reset", "go == True")
            .flow("again", "end", id="out"))


def interrupting_timer_loop() -> Process:
    return (Process("p").start().user("a").boundary_timer("late", "a", "deadline(working_hours=8)")
            .user("chase").xor("again", default="out").end()
            .chain("start", "a", "again").chain("late", "chase", "again")
            .flow("again", "a", "go == True").flow("again", "end", id="out"))


def cycle_loop() -> Process:
    return (Process("p").start().user("a").user("b")
            .boundary_timer("remind", "b", '"R/PT10H"', interrupting=False, kind="timeCycle")
            .user("note").end("e2").xor("again", default="out").end()
            .chain("start", "a", "b", "again").chain("remind", "note", "e2")
            .flow("again", "a", "go == True").flow("again", "end", id="out"))


def messages_loop() -> Process:
    inner = Process("esp")
    _message_start("paid", inner, "fee paid")
    inner.user("record_fee").end("esp_end").chain("paid", "record_fee", "esp_end")
    p = (Process("p").start().user("a").message_catch("wait", "supplement").user("b")
         .boundary_message("extra", "b", "comment", interrupting=False).user("read").end("e2")
         .xor("again", default="out").end()
         .chain("start", "a", "wait", "b", "again").chain("extra", "read", "e2")
         .flow("again", "a", "go == True").flow("again", "end", id="out"))
    return p.event_subprocess("esp", inner)


def subprocess_loop() -> Process:
    body = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="s_in"/><bpmn:userTask id="inside"/>'
            '<bpmn:userTask id="inside2"/><bpmn:endEvent id="s_out"/>'
            '<bpmn:sequenceFlow id="sf1" sourceRef="s_in" targetRef="inside"/>'
            '<bpmn:sequenceFlow id="sf2" sourceRef="inside" targetRef="inside2"/>'
            '<bpmn:sequenceFlow id="sf3" sourceRef="inside2" targetRef="s_out"/></bpmn:subProcess>')
    return (Process("p").start().element(body, "sub").user("after").xor("again", default="out").end()
            .chain("start", "sub", "after", "again").flow("again", "sub", "go == True")
            .flow("again", "end", id="out"))


@pytest.mark.parametrize("process", [loop_with_reminder, parallel_loop, multi_instance_loop, interrupting_timer_loop,
                                     cycle_loop, messages_loop, subprocess_loop])
def test_a_pruned_dossier_behaves_as_one_stored_whole(process, clock, monkeypatch):
    whole = _trace(process(), clock, 90, prune=False, monkeypatch=monkeypatch)
    pruned = _trace(process(), clock, 90, prune=True, monkeypatch=monkeypatch)
    assert pruned == whole
    assert whole[-1][4], "the scenario drives the dossier to its end"


@pytest.mark.parametrize("process", [parallel_loop, multi_instance_loop, cycle_loop, messages_loop, subprocess_loop])
def test_every_kind_of_loop_stays_flat(process, clock):
    dw, engine = start(process(), clock, {"go": True, "items": ["x", "y"]})
    sizes = []
    for i in range(120):
        dw = DossierWorkflow.restore(dw.process, dw.dump(), engine, dw._clock)
        if i % 4 == 3:
            dw._clock.advance(timedelta(hours=20))
            dw.fire_due_timers()
        for m in sorted(m.name for m in dw.waiting_messages())[:1]:
            dw.deliver(m, {})
        for task in dw.ready_tasks():
            dw.complete(task.id, {"go": True, **_output(task.element_id, i)})
        sizes.append(_tasks(dw.dump()))
    assert max(sizes[60:]) <= max(sizes[:30]), sizes
