"""Benchmark: what does `motcua db check` cost per dossier, beyond restoring its state?

What it measures
    The wall time of ``services.integrity.check()`` over N dossiers (default 2,000; ``--quick``:
    200) of a 10-task sequential procedure, each started and brought to a random step through
    the service layer (so every dossier has ready-task, timer-free and step rows as written in
    production), on SQLite and on PostgreSQL. The baseline is the unavoidable part: restoring the
    same N states, already in memory, with ``DossierWorkflow.restore`` and reading their ready
    tasks and waiting timers. The ratio check / baseline is the price of the batched reads and the
    comparisons; dossiers per second are printed too, to size a province's nightly check.

Why it is fair
    Same states, same process cache (warmed once before either is timed), best of the rounds for
    each; the garbage collector is collected before and disabled during each timing.

Usage
    .venv/bin/python bench/integrity_bench.py [--quick] [--dossiers N] [--rounds R]
        [--pg-url postgresql+psycopg://user@host:port/db] [--no-pg]

The last line printed is ``ratio=<worst over the databases of check / baseline>``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import random
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.execution.dossier_workflow import DossierWorkflow  # noqa: E402
from engine.persistence.database import connect, upgrade  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def fill(svc: Services, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    svc.procedures.sync()
    svc.procedures.publish("BENCH")
    for _ in range(n):
        d = svc.dossiers.start("BENCH")
        task = d.current_tasks[0].task_id
        for _ in range(rng.randrange(0, 5)):  # 0-4 of the 10 steps done
            done = svc.dossiers.complete_task(task, {"note": "x" * 40}, "bench")
            task = done.current_tasks[0].task_id


def timed(fn, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best


def bench(url: str, n: int, rounds: int, label: str) -> float:
    db = connect(url)
    upgrade(db)
    db.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        processes, forms = Path(tmp) / "processes", Path(tmp) / "forms"
        processes.mkdir(), forms.mkdir()
        write_procedure(processes, "BENCH", sequential(10))
        svc = build(Settings(database_url=url, processes_dir=processes, forms_dir=forms),
                    clock=ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN)), migrate=False)
        try:
            t0 = time.perf_counter()
            fill(svc, n)
            print(f"{label}: {n} dossiers filled in {time.perf_counter() - t0:.1f} s", flush=True)
            with svc.ctx.uow(write=False) as uow:
                states = [(d.procedure_version_id, d.state) for d in uow.integrity.dossiers_after(0, n)]
                processes_by_version = {v: svc.ctx.processes.get(uow, v) for v, _ in states}
            ctx = svc.ctx

            def baseline() -> None:
                for version, state in states:
                    dw = DossierWorkflow.restore(processes_by_version[version], state, ctx.script_engine, ctx.clock)
                    dw.ready_tasks()
                    dw.waiting_timers()

            def check() -> None:
                summary = svc.integrity.check()
                assert summary.ok and summary.dossiers == n, summary

            base = timed(baseline, rounds)
            full = timed(check, rounds)
        finally:
            svc.close()
    print(f"{label}: check {full:.2f} s ({n / full:,.0f} dossiers/s, {full / n * 1000:.2f} ms each), "
          f"restore only {base:.2f} s: ratio {full / base:.2f}", flush=True)
    return full / base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 dossiers (< 1 min)")
    parser.add_argument("--dossiers", type=int, help="dossiers per database (default 2000, quick 200)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, best counts (default 3)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args()
    n = args.dossiers or (200 if args.quick else 2000)
    ratios = []
    with tempfile.TemporaryDirectory() as tmp:
        ratios.append(bench(f"sqlite:///{tmp}/bench.db", n, args.rounds, "sqlite"))
    if not args.no_pg:
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(bench_postgres(args.pg_url))
            if server is not None:
                url = stack.enter_context(scratch_database(server, "integrity"))
                ratios.append(bench(url, n, args.rounds, "postgresql"))
    print(f"ratio={max(ratios):.2f}")


if __name__ == "__main__":
    main()
