"""The script sandbox: namespaces that data cannot shadow, and a time and memory budget (issue 7)."""
import multiprocessing
import os
from datetime import datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.dossier_workflow import DossierWorkflow, ProcessError
from engine.execution.sandbox import ScriptBudgetExceeded, ScriptFailed, ScriptLimits, pool_for
from engine.execution.sandbox.pool import _Worker
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from tests.conftest import VN
from tests.engine.execution.test_dossier_workflow import load
from tests.support.bpmn import Process

CAL = WorkingCalendar.load()
# Tiny budgets: the tests wait for a timeout a handful of times, never for a real one.
TIGHT = ScriptLimits(timeout_ms=200, memory_mb=48, workers=2)
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=VN)  # Thursday 15:00


def run(mode, source, data=None, limits=TIGHT):
    return pool_for(limits).run(limits, CAL, NOW, mode, source, data or {}, None)


@pytest.fixture
def clock():
    return ManualClock(NOW)


def engine(clock, limits=TIGHT):
    return MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), limits)


# ------------------------------------------------------------------ namespaces

def test_task_data_cannot_shadow_an_engine_function(clock):
    # Completing a task with {"deadline": "x"} used to break every later step of the dossier.
    p = (Process("p").start().user("fill").timer("wait", "deadline(working_hours=8)")
         .script("compute", "due = add_working_hours(now(), 1)").user("next").end()
         .chain("start", "fill", "wait", "compute", "next", "end"))
    dw = DossierWorkflow.start(load(p), engine(clock), clock, {})
    [task] = dw.ready_tasks()
    dw.complete(task.id, {"deadline": "x", "now": "not a function", "len": 3})
    [timer] = dw.waiting_timers()
    assert timer.due_at == datetime(2026, 11, 27, 15, 0, tzinfo=VN)  # the function ran
    clock.set(datetime(2026, 11, 27, 15, 0, 1, tzinfo=VN))
    dw.fire_due_timers()
    [task] = dw.ready_tasks()
    assert task.element_id == "next"
    assert task.data["due"] == "2026-11-27T16:00:01+07:00"
    assert (task.data["deadline"], task.data["now"], task.data["len"]) == ("x", "not a function", 3)  # kept


def test_script_results_are_data_only_and_comprehensions_see_the_data():
    _, after, _ = run("exec", "picked = [x for x in items if x > limit]\n"
                              "def helper(v):\n    return v * 2\n"
                              "doubled = helper(sum(picked))\ndel items", {"items": [1, 5, 7], "limit": 4})
    assert after == {"limit": 4, "picked": [5, 7], "doubled": 24}


def test_a_script_failing_names_its_exception_and_line():
    with pytest.raises(ScriptFailed) as info:
        run("exec", "a = 1\nb = missing + 1")
    assert str(info.value) == "NameError: name 'missing' is not defined (line 2)"


def test_deadline_in_the_worker_uses_the_servers_clock_and_calendar():
    value, _, bases = run("eval", "deadline(working_days=1)")
    assert value == "2026-11-27T15:00:00+07:00"  # one working day after Thursday 15:00
    assert bases == [{"from": NOW.isoformat(), "working_days": 1}]


# ------------------------------------------------------------------ budgets

@pytest.mark.parametrize("source", ["while True:\n    pass", "x = 10 ** 10 ** 10"])
def test_a_runaway_script_is_stopped_at_its_time_budget_and_the_next_one_runs(source):
    with pytest.raises(ScriptBudgetExceeded, match="200 ms"):
        run("exec", source)
    assert run("eval", "1 + 1")[0] == 2  # the killed worker was replaced


def test_a_huge_allocation_is_stopped_at_the_memory_budget():
    with pytest.raises(ScriptBudgetExceeded, match="48 MiB"):
        run("exec", "x = 'x' * 10 ** 10")
    with pytest.raises(ScriptBudgetExceeded, match="48 MiB"):
        run("exec", "x = [0] * (100 * 1024 * 1024)")  # 800 MB of pointers
    assert run("eval", "len('x' * 1000)")[0] == 1000


def test_a_result_too_large_for_task_data_is_refused():
    limits = ScriptLimits(timeout_ms=5000, memory_mb=96)
    with pytest.raises(ScriptBudgetExceeded, match="more than 16 MiB"):
        run("exec", "x = 'x' * (20 * 1024 * 1024)", limits=limits)


def test_a_runaway_script_task_is_a_process_error_naming_the_element(clock):
    p = Process("p").start().script("spin", "while True:\n    pass").end().chain("start", "spin", "end")
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(load(p), engine(clock), clock, {})
    assert info.value.element_id == "spin" and "200 ms" in str(info.value)


def test_a_runaway_gateway_condition_is_a_process_error_naming_the_gateway(clock):
    p = (Process("p").start().xor("gw", default="f_other").user("a").user("b").end("e1").end("e2")
         .flow("start", "gw").flow("gw", "a", "len([1 for i in range(10 ** 9)]) > 0").flow("gw", "b", id="f_other")
         .chain("a", "e1").chain("b", "e2"))
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(load(p), engine(clock), clock, {})
    assert info.value.element_id == "gw" and "budget" in str(info.value)


def _evaluate_in_child(queue):
    queue.put(run("eval", "2 * 21")[0])


def test_the_pool_works_in_a_forked_child_after_the_parent_used_it():
    assert run("eval", "1")[0] == 1  # the parent has a worker now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_evaluate_in_child, args=(queue,))
    child.start()
    assert queue.get(timeout=120) == 42
    child.join(timeout=30)
    assert child.exitcode == 0
    assert run("eval", "2")[0] == 2  # and the parent's still answers the parent


def test_the_worker_has_no_environment_to_leak(monkeypatch):
    # Even a script that escaped the restrictions would find no secret key or database URL.
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "s3cret-that-must-not-leak")
    monkeypatch.setenv("MOTCUA_DATABASE_URL", "postgresql://user:pw@db/motcua")
    worker = _Worker(TIGHT.memory_mb)
    try:
        with open(f"/proc/{worker.proc.pid}/environ", "rb") as f:
            environ = f.read()
    finally:
        worker.kill()
    assert b"s3cret" not in environ and b"MOTCUA" not in environ
