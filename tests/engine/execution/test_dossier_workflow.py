"""The engine wrapper: timers follow the injected clock, deadlines are working time, state has no spec."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.bpmn_compiler import compile_process
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess, ProcessError, TaskNotReady
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from tests.conftest import VN
from tests.support.bpmn import Process, sequential

CAL = WorkingCalendar.load()


def load(process: Process) -> LoadedProcess:
    c = compile_process({"p.bpmn": process.xml()})
    return LoadedProcess.from_stored(c.spec, c.subprocess_specs, {k: vars(v) for k, v in c.human_tasks.items()})


@pytest.fixture
def clock():
    return ManualClock(datetime(2026, 11, 26, 15, 0, tzinfo=VN))  # Thursday 15:00


def start(process, clock, data=None):
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock))
    return DossierWorkflow.start(load(process), engine, clock, data or {}), engine


def boundary():
    return (Process("p").start().user("receive", hours=8)
            .boundary_timer("late", "receive", "deadline(working_hours=8)")
            .user("escalate").end("e1").end("e2")
            .chain("start", "receive", "e1").chain("late", "escalate", "e2"))


def test_boundary_timer_due_in_working_hours_and_basis_recorded(clock):
    dw, _ = start(boundary(), clock)
    [timer] = dw.waiting_timers()
    # 8 working hours from Thursday 15:00 end Friday 15:00.
    assert timer.due_at == datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    assert timer.basis == {"from": clock.now().isoformat(), "working_hours": 8}


def test_timer_fires_by_the_injected_clock_not_the_system_clock(clock):
    # The clock is in 2026 while the machine's clock says otherwise: only the injected one counts.
    dw, engine = start(boundary(), clock)
    clock.set(datetime(2026, 11, 27, 14, 59, tzinfo=VN))
    dw.fire_due_timers()
    assert [t.element_id for t in dw.ready_tasks()] == ["receive"]
    clock.set(datetime(2026, 11, 27, 15, 0, 1, tzinfo=VN))
    restored = DossierWorkflow.restore(dw.process, dw.dump(), engine, clock)
    restored.fire_due_timers()
    assert [t.element_id for t in restored.ready_tasks()] == ["escalate"]
    assert restored.waiting_timers() == []


def test_timer_in_the_far_past_of_the_clock_does_not_fire(clock):
    clock.set(datetime(2001, 1, 1, tzinfo=timezone.utc))
    dw, _ = start(boundary(), clock)
    assert dw.waiting_timers()[0].due_at.year == 2001


def test_intermediate_timer_in_working_days_then_task(clock):
    p = (Process("p").start().timer("wait", "deadline(working_days=2)").user("after").end()
         .chain("start", "wait", "after", "end"))
    dw, _ = start(p, clock)
    [timer] = dw.waiting_timers()
    assert timer.due_at == datetime(2026, 11, 30, 15, 0, tzinfo=VN)  # Thu -> Fri, Mon
    assert dw.ready_tasks() == []
    clock.set(datetime(2026, 11, 30, 15, 1, tzinfo=VN))
    dw.fire_due_timers()
    assert [t.element_id for t in dw.ready_tasks()] == ["after"]


def test_plain_iso_duration_timers_still_work(clock):
    p = Process("p").start().timer("wait", '"PT2H"', kind="timeDuration").user("after").end().chain("start", "wait", "after", "end")
    dw, _ = start(p, clock)
    [timer] = dw.waiting_timers()
    assert timer.due_at == clock.now() + timedelta(hours=2)
    assert timer.basis is None  # calendar time, nothing to recalculate


def test_deadline_from_dossier_data(clock):
    p = (Process("p").start().timer("wait", "deadline(working_hours=1, start=received_at)").user("after").end()
         .chain("start", "wait", "after", "end"))
    dw, _ = start(p, clock, {"received_at": "2026-11-27T18:00:00+07:00"})  # Friday evening
    assert dw.waiting_timers()[0].due_at == datetime(2026, 11, 30, 8, 0, tzinfo=VN)


def test_complete_and_data_flow(clock):
    dw, _ = start(sequential(2, hours=None), clock, {"applicant": {"name": "A"}})
    [t0] = dw.ready_tasks()
    assert t0.data["applicant"] == {"name": "A"}
    dw.complete(t0.id, {"ok": True})
    [t1] = dw.ready_tasks()
    assert t1.data["ok"] is True
    with pytest.raises(TaskNotReady):
        dw.complete(t0.id, {})
    with pytest.raises(TaskNotReady):
        dw.complete("not-a-uuid", {})
    dw.complete(t1.id, {})
    assert dw.completed


def test_script_failure_is_a_process_error_naming_the_element(clock):
    p = Process("p").start().user("t").script("boom", "x = 1 / 0").end().chain("start", "t", "boom", "end")
    dw, _ = start(p, clock)
    with pytest.raises(ProcessError) as info:
        dw.complete(dw.ready_tasks()[0].id, {})
    assert info.value.element_id == "boom"


def test_state_is_stored_without_the_spec(clock):
    dw, _ = start(sequential(10), clock)
    ours = dw.dump()
    full = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG)).serialize_json(dw._wf)
    assert "spec" not in json.loads(ours)
    assert len(ours) < len(full) * 0.6


def test_restored_process_runs_like_the_parsed_one(clock):
    dw, engine = start(sequential(3), clock)
    for _ in range(3):
        dw = DossierWorkflow.restore(dw.process, dw.dump(), engine, clock)
        dw.complete(dw.ready_tasks()[0].id, {})
    assert dw.completed


def exclusive_choice_joined_by_a_parallel_gateway() -> Process:
    return (Process("p").start().xor("choose", default="to_b").user("a").user("b").parallel("join").end()
            .flow("start", "choose").flow("choose", "a", "x == 1").flow("choose", "b", id="to_b")
            .flow("a", "join").flow("b", "join").flow("join", "end"))


def test_a_step_that_leaves_the_process_waiting_for_nothing_is_refused(clock):
    """The dossier sat open forever: no ready task, no timer, no message (issue 8: never stuck)."""
    dw, _ = start(exclusive_choice_joined_by_a_parallel_gateway(), clock, {"x": 1})
    with pytest.raises(ProcessError) as info:
        dw.complete(dw.ready_tasks()[0].id, {})
    assert info.value.element_id == "join" and "never come" in str(info.value)
