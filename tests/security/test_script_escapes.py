"""Escapes from BPMN scripts and expressions: each refused at check time AND at run time (issue 7).

Run time is tested with the check bypassed (a compiled spec whose script was replaced afterwards,
as a tampered stored version would be), so the runtime guard itself is exercised.
"""
import copy
import os
from datetime import datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess, ProcessError
from engine.execution.sandbox import ScriptLimits
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from tests.conftest import VN
from tests.support.bpmn import Process

CAL = WorkingCalendar.load()
LIMITS = ScriptLimits(timeout_ms=2000, memory_mb=64)
MARKER = "/tmp/motcua-sandbox-escaped"

ESCAPES = {
    "import builtin": f"leak = __import__('os').system('touch {MARKER}')",
    "import statement": f"import os\nos.system('touch {MARKER}')",
    "from import": "from os import environ\nleak = dict(environ)",
    "open": "leak = open('/etc/passwd').read()",
    "subclasses": "leak = ().__class__.__mro__[1].__subclasses__()",
    "mro without underscore": "leak = str.mro()",
    "environment copy": "import os\nenv = dict(os.environ)",
    "format string": 'leak = "{0.__class__.__init__.__globals__}".format(1)',
    "format_map": 'leak = "{x.__class__}".format_map({"x": 1})',
    "f-string attribute": 'leak = f"{(1).__class__}"',
    "generator frame": "g = (x for x in [1])\nleak = g.gi_frame.f_back.f_globals",
    "generator code": "g = (x for x in [1])\nleak = g.gi_code",
    "traceback frame": "try:\n    1 / 0\nexcept Exception as e:\n    leak = e.__traceback__.tb_frame.f_globals",
    "function globals": "leak = (lambda: 0).__globals__",
    "engine function internals": "leak = deadline.__self__.calendar",
    "getattr": "leak = getattr(1, '__class__')",
    "eval": "leak = eval('1')",
    "exec": "exec('leak = 1')",
    "compile": "leak = compile('1', 'x', 'eval')",
    "globals": "leak = globals()",
    "vars": "leak = vars()",
    "class definition": "class A:\n    pass",
    "guard shadowed by positional-only parameter": "def f(_getattr_, /):\n    return ().__class__\nleak = f(1)",
    "builtins name": "leak = __builtins__",
    "rebinding an engine function": "deadline = 'x'",
    "print": "print('x')",
}


def script_process(script: str) -> Process:
    return Process("p").start().script("s", script).user("u").end().chain("start", "s", "u", "end")


def tampered(script: str) -> LoadedProcess:
    """A version whose script was replaced after it passed the check."""
    compiled = compile_process({"p.bpmn": script_process("x = 1").xml()})
    spec = copy.deepcopy(compiled.spec)
    spec["task_specs"]["s"]["script"] = script
    return LoadedProcess.from_stored(spec, compiled.subprocess_specs,
                                     {k: vars(v) for k, v in compiled.human_tasks.items()})


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_refused_at_check_time(script):
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": script_process(script).xml()})
    assert [(p.file, p.element_id) for p in info.value.problems][0] == ("p.bpmn", "s")
    assert all("refused" in p.message for p in info.value.problems)


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_refused_at_run_time(script):
    if os.path.exists(MARKER):
        os.remove(MARKER)
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(tampered(script), engine, clock, {"secret": "data"})
    assert info.value.element_id == "s"
    assert "not data" not in str(info.value)  # refused, not merely unable to return what it took
    assert not os.path.exists(MARKER)


def test_runtime_guard_refuses_attributes_the_compiler_cannot_see():
    # Compiles (no underscore, no known-bad name); only the runtime attribute guard stops it.
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(tampered("g = (x for x in [1])\nleak = g.gi_running"), engine, clock, {})
    assert "attributes of a generator are not available" in str(info.value)


@pytest.mark.parametrize("expression", [
    "__import__('os').getenv('MOTCUA_SECRET_KEY')",
    "open('/etc/passwd').read() != ''",
    "().__class__.__mro__[1].__subclasses__() == []",
    "'{0.__class__}'.format(complete) == ''",
])
def test_escape_in_a_condition_or_a_timer_is_refused_at_check_time(expression):
    gateway = (Process("p").start().xor("gw", default="f_b").user("a").user("b").end("e1").end("e2")
               .flow("start", "gw").flow("gw", "a", expression, id="f_a").flow("gw", "b", id="f_b")
               .chain("a", "e1").chain("b", "e2"))
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": gateway.xml()})
    assert {p.element_id for p in info.value.problems} == {"f_a"}
    timer = Process("p").start().timer("t", expression).end().chain("start", "t", "end")
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": timer.xml()})
    assert {p.element_id for p in info.value.problems} == {"t"}


# Results the engine cannot store (issue 7: "results must be data"; the same rules as data entered
# over the API, engine/domain/json_values.py). Each compiles, so only the run-time check stops it;
# before, 10**5000, {(1, 2): 3}, bytes and 1j were a 500 after the script had run, and NaN or NUL
# were stored where PostgreSQL's jsonb refuses them.
NOT_DATA = {
    "integer past 4300 digits": ("x = 10 ** 5000", "integer out of range"),
    "integer past 64 bits": ("x = 2 ** 70", "integer out of range"),
    "NaN": ("x = float('nan')", "not a finite number"),
    "Infinity in a list": ("x = [1, float('inf')]", "x[1]: not a finite number"),
    "tuple key": ("x = {(1, 2): 3}", "keys must be valid text"),
    "integer key": ("x = {1: 3}", "keys must be valid text"),
    "bytes": ("x = 'a'.encode()", "not a JSON value (bytes)"),
    "complex": ("x = 1j", "not a JSON value (complex)"),
    "NUL character": ("x = chr(0)", "invalid characters"),
    "lone surrogate": ("x = chr(0xd800)", "invalid characters"),
    "nested deeper than 64": ("x = []\nfor i in range(100):\n    x = [x]", "nested deeper than 64"),
    "mutated in place": ("items.append(float('nan'))", "items[1]: not a finite number"),
}


@pytest.mark.parametrize("script, problem", NOT_DATA.values(), ids=NOT_DATA.keys())
def test_a_result_the_engine_cannot_store_fails_the_step(script, problem):
    compile_process({"p.bpmn": script_process(script).xml()})  # nothing to see at check time
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(tampered(script), engine, clock, {"items": [1]})
    assert info.value.element_id == "s"
    assert "the result is not data" in str(info.value) and problem in str(info.value)


def test_an_expression_value_the_engine_cannot_store_fails_the_step():
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(Exception, match="result: not a JSON value \\(complex\\)"):
        engine.environment.evaluate("1j", {})
    assert engine.environment.evaluate("[{1, 2}, (3,), 'a']", {}) == [{1, 2}, (3,), "a"]  # sets, tuples: data


def test_a_loop_of_scripts_each_within_budget_is_stopped_by_the_step_budget():
    # Each evaluation takes milliseconds, so the per-script budget never trips: before, one request
    # ran 1,000 evaluations (12 s here; minutes with heavier scripts) until SpiffWorkflow's task
    # depth cap silently stalled the dossier. Now all of one step share ScriptLimits.step_ms.
    loop = (Process("p").start().script("s", "n = n + 1").xor("gw", default="f_out").user("u").end()
            .flow("start", "s").flow("s", "gw").flow("gw", "s", "n < 10 ** 9", id="f_back")
            .flow("gw", "u", id="f_out").chain("u", "end"))
    compiled = compile_process({"p.bpmn": loop.xml()})
    process = LoadedProcess.from_stored(compiled.spec, compiled.subprocess_specs,
                                        {k: vars(v) for k, v in compiled.human_tasks.items()})
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    limits = ScriptLimits(timeout_ms=2000, memory_mb=64, step_ms=1000)
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), limits)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(process, engine, clock, {"n": 0})
    assert "ran longer than 1000 ms together (MOTCUA_SCRIPT_STEP_MS" in str(info.value)
    assert info.value.element_id in {"s", "f_back", "gw"}


@pytest.mark.parametrize("script", [
    "x = ['a' * 10 ** 6] * 10 ** 4",  # 10 GB of JSON; pickled, the one string crosses once
    "x = {'a': 'b' * 2 ** 20}\nfor i in range(5):\n    x = [x, x, x, x]",  # 1 MiB * 4**5, aliased
])
def test_a_result_larger_as_json_than_as_a_reply_fails_the_step(script):
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(tampered(script), engine, clock, {})
    assert info.value.element_id == "s" and "more than 16 MiB as JSON" in str(info.value)


def test_a_parallel_multi_instance_of_thousands_fails_its_step():
    # Before: 20,000 user-task instances from a 120 KB list took 14 s and 3 GB of the server's memory.
    process = (Process("p").start().script("s", "items = list(range(1001))").user("u", each="items", item="it")
               .end().chain("start", "s", "u", "end"))
    compiled = compile_process({"p.bpmn": process.xml()})
    loaded = LoadedProcess.from_stored(compiled.spec, compiled.subprocess_specs,
                                       {k: vars(v) for k, v in compiled.human_tasks.items()})
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    engine = MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock), LIMITS)
    with pytest.raises(ProcessError) as info:
        DossierWorkflow.start(loaded, engine, clock, {})
    assert info.value.element_id == "u" and "at most 1000 instances" in str(info.value)
    ok = DossierWorkflow.start(LoadedProcess.from_stored(
        compile_process({"p.bpmn": process.xml().replace(b"range(1001)", b"range(1000)")}).spec,
        compiled.subprocess_specs, {k: vars(v) for k, v in compiled.human_tasks.items()}), engine, clock, {})
    assert len(ok.ready_tasks()) == 1000
