"""Benchmark: cost per dossier step of the script sandbox against SpiffWorkflow's in-process eval/exec.

What it measures
    Milliseconds per step of dossiers of a procedure whose every step is a user task followed by
    a script task (``total = total + fee * 2``) and an exclusive gateway with a condition
    (``total >= 0``), so each step evaluates two pieces of procedure code. A step is what the
    service layer does per completion, minus the database: restore the workflow from its stored
    state, complete the ready task with form data, run on, dump the state. Two ways, same process:

    inprocess  SpiffWorkflow's PythonScriptEngine with TaskDataEnvironment and the working-time
               functions as globals: plain eval/exec in the server process (Motcua before issue 7).
    sandboxed  MotcuaScriptEngine: restricted bytecode run in a worker process, one round trip per
               expression or script (pickled data there and back), default budgets.

Why the comparison is fair
    Same procedure, data, clock (ManualClock) and serialization; one warm-up round per variant
    (the sandbox's worker is started and its calendar loaded there: start-up is not per step);
    rounds alternate the order of variants; the best round counts, the median is printed too.
    The garbage collector is collected before and disabled during a round for both.

Usage
    .venv/bin/python bench/script_bench.py [--quick] [--dossiers N] [--steps S] [--rounds R]

The last line printed is ``ratio=<sandboxed ms per step / inprocess ms per step>``.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402

from engine.calendar import WorkingCalendar  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.execution.bpmn_compiler import compile_process  # noqa: E402
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess  # noqa: E402
from engine.execution.sandbox import close_pools  # noqa: E402
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions  # noqa: E402
from tests.support.bpmn import Process  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def procedure(steps: int) -> LoadedProcess:
    p = Process("bench").start()
    chain = ["start"]
    for i in range(steps):
        p.user(f"u{i}", f"Step {i}").script(f"s{i}", "total = total + fee * 2").xor(f"g{i}", default=f"back{i}")
        chain += [f"u{i}", f"s{i}", f"g{i}"]
    p.end().end("never")
    for a, b in zip(chain, chain[1:]):
        if a.startswith("g"):
            p.flow(a, b, "total >= 0")
        else:
            p.flow(a, b)
    last = chain[-1]
    p.flow(last, "end", "total >= 0")
    for i in range(steps):
        p.flow(f"g{i}", "never", id=f"back{i}")
    c = compile_process({"bench.bpmn": p.xml()})
    return LoadedProcess.from_stored(c.spec, c.subprocess_specs, {k: vars(v) for k, v in c.human_tasks.items()})


def run_round(process: LoadedProcess, engine: object, clock: ManualClock, dossiers: int) -> tuple[float, int]:
    gc.collect()
    gc.disable()
    steps = 0
    t0 = time.perf_counter()
    try:
        for _ in range(dossiers):
            dw = DossierWorkflow.start(process, engine, clock, {"total": 0})  # type: ignore[arg-type]
            state = dw.dump()
            done = 0
            while True:
                dw = DossierWorkflow.restore(process, state, engine, clock)  # type: ignore[arg-type]
                ready = dw.ready_tasks()
                if not ready:
                    break
                dw.complete(ready[0].id, {"fee": 5})
                state = dw.dump()
                done += 1
            assert dw.completed and dw.data["total"] == 10 * done  # every script ran, once
            steps += done
    finally:
        gc.enable()
    return time.perf_counter() - t0, steps


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small run (well under a minute)")
    ap.add_argument("--dossiers", type=int, default=None)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args(argv)
    dossiers = args.dossiers or (10 if args.quick else 50)
    rounds = args.rounds or (3 if args.quick else 5)

    cal = WorkingCalendar.load()
    clock = ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))
    functions = WorkingTimeFunctions(lambda: cal, clock)
    engines = {
        "inprocess": PythonScriptEngine(environment=TaskDataEnvironment(functions.globals())),
        "sandboxed": MotcuaScriptEngine(functions),
    }
    process = procedure(args.steps)
    results: dict[str, list[float]] = {name: [] for name in engines}
    for name, engine in engines.items():  # warm-up: worker start, calendar, caches
        run_round(process, engine, clock, 1)
    for r in range(rounds):
        order = list(engines) if r % 2 == 0 else list(reversed(engines))
        for name in order:
            seconds, steps = run_round(process, engines[name], clock, dossiers)
            results[name].append(1000 * seconds / steps)
    close_pools()

    print(f"{dossiers} dossiers x {args.steps} steps, {rounds} rounds; each step: restore, complete, "
          "1 script + 1 condition, dump")
    for name, values in results.items():
        print(f"{name:10s} best {min(values):7.3f} ms/step   median {statistics.median(values):7.3f} ms/step")
    extra = min(results["sandboxed"]) - min(results["inprocess"])
    print(f"sandbox cost: {extra:.3f} ms per step, {1000 * extra / 2:.0f} us per evaluation (2 per step)")
    print(f"ratio={min(results['sandboxed']) / min(results['inprocess']):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
