"""Benchmark: does a task cost the same on a dossier's 600th task as on its first (issue 15)?

What it measures
    Dossiers of a looping procedure driven through the service layer on a temporary SQLite file:
    ``receive`` then ``appraise`` (8 working hours, with a non-interrupting reminder timer on it),
    then an exclusive gateway back to ``receive`` while the form says ``again``: 2 user tasks a
    pass, 600 tasks in all (``--tasks``). One dossier is aged untimed to its last tenth; then its
    last tenth and the first tenth of a fresh dossier (the baseline) are completed in turns, each
    ``complete_task`` call timed. The figure is the median of the last tenth over the median of
    the first. The old dossier's stored state is printed after its first pass and before its last
    task.

    SpiffWorkflow keeps every finished task in its tree; Motcua leaves finished history out of
    the stored state (engine/execution/pruning.py; the steps table keeps the history). Storing
    the whole tree, as before, this dossier cost 61 ms a task over its first 60 tasks and 506 ms
    over tasks 361-420 (a loaded 2-core machine), its state grew 1.2 KiB a task, and task 494
    failed with RecursionError (SpiffWorkflow walks ancestors recursively): it could not move any
    more. ``--whole`` drives one dossier that way until it fails or ends, for comparison.

Usage
    .venv/bin/python bench/loop_bench.py [--quick] [--tasks N] [--whole]

The last line printed is ``ratio=<last tenth / first tenth>`` (target <= 1.2).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import engine.execution.serialization as serialization  # noqa: E402
from engine.bootstrap import build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import Process, write_procedure  # noqa: E402

CODE = "BENCHLOOP"
TARGET = 1.2
START = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def looping_procedure() -> Process:
    return (Process("bench_loop").start()
            .user("receive", "Receive", lane="official", hours=4)
            .user("appraise", "Appraise", lane="official", hours=8)
            .boundary_timer("remind", "appraise", "deadline(working_hours=8)", interrupting=False)
            .user("reminded", "Reminded", lane="official").end("reminder_end")
            .xor("again", default="done").end()
            .chain("start", "receive", "appraise", "again").chain("remind", "reminded", "reminder_end")
            .flow("again", "receive", "again == True").flow("again", "end", id="done"))


@contextlib.contextmanager
def whole_tree() -> Iterator[None]:
    """Store the whole task tree, as SpiffWorkflow does by default (the 'before' figure)."""
    saved = serialization.pruned_view
    serialization.pruned_view = lambda workflow: contextlib.nullcontext()  # type: ignore[assignment]
    try:
        yield
    finally:
        serialization.pruned_view = saved


class LoopingDossier:
    """One dossier of the looping procedure, advanced a task at a time."""

    def __init__(self, services: Any, tasks: int):
        self.services, self.tasks, self.done = services, tasks, 0
        view = services.dossiers.start(CODE, applicant={"name": "Bench"}, actor="bench")
        self.id, self.current = view.id, view.current_tasks

    def step(self) -> float:
        [task] = self.current
        data: dict[str, Any] = {"again": self.done < self.tasks - 1, "note": f"pass {self.done // 2}"}
        t0 = time.perf_counter()
        done = self.services.dossiers.complete_task(task.task_id, data, "bench")
        elapsed = time.perf_counter() - t0
        self.current, self.done = done.current_tasks, self.done + 1
        return elapsed


def run(tmp: Path, tasks: int, label: str) -> tuple[list[float], list[float], int, int]:
    """Seconds per task of the first tenth of a fresh dossier and of the last tenth of an old one,
    taken in turns (so load on this shared machine hits both alike); the old one's state size after
    its first pass and before its last task."""
    processes_dir, forms_dir = tmp / "processes", tmp / "forms"
    forms_dir.mkdir(exist_ok=True)
    write_procedure(processes_dir, CODE, looping_procedure())
    services = build(Settings(database_url=f"sqlite:///{tmp}/{label}.db", processes_dir=processes_dir,
                              forms_dir=forms_dir), clock=ManualClock(START), migrate=True)
    try:
        services.procedures.sync()
        services.procedures.publish(CODE)
        tenth = max(tasks // 10, 1)
        old = LoopingDossier(services, tasks)
        old.step(), old.step()
        first_size = _state_size(services, old.id)
        while old.done < tasks - tenth:  # age it, untimed
            old.step()
        fresh = LoopingDossier(services, tasks)
        fresh.step()  # warm caches for a new dossier too
        first: list[float] = []
        last: list[float] = []
        gc.collect()
        gc.disable()
        try:
            for n in range(tenth):
                if n == tenth - 1:
                    last_size = _state_size(services, old.id)
                pair = [(first, fresh), (last, old)]
                for times, dossier in pair[n % 2:] + pair[:n % 2]:
                    times.append(dossier.step())
        finally:
            gc.enable()
        return first, last, first_size, last_size
    finally:
        services.close()


def whole(tmp: Path, tasks: int) -> None:
    """The 'before' figure: one dossier storing its whole tree, driven until it ends or fails."""
    processes_dir, forms_dir = tmp / "processes", tmp / "forms"
    forms_dir.mkdir(exist_ok=True)
    write_procedure(processes_dir, CODE, looping_procedure())
    services = build(Settings(database_url=f"sqlite:///{tmp}/whole.db", processes_dir=processes_dir,
                              forms_dir=forms_dir), clock=ManualClock(START), migrate=True)
    try:
        services.procedures.sync()
        services.procedures.publish(CODE)
        dossier = LoopingDossier(services, tasks)
        times: list[float] = []
        tenth = max(tasks // 10, 1)
        try:
            while dossier.done < tasks:
                times.append(dossier.step())
                if dossier.done % tenth == 0:
                    print(f"whole tree (before): tasks {dossier.done - tenth + 1}-{dossier.done}: "
                          f"{1000 * statistics.median(times[-tenth:]):.2f} ms/task, state "
                          f"{_state_size(services, dossier.id) / 1024:.0f} KiB", flush=True)
        except RecursionError:
            print(f"whole tree (before): task {dossier.done + 1} failed with RecursionError: the dossier is stuck")
    finally:
        services.close()


def _state_size(services: Any, dossier_id: Any) -> int:
    with services.db.engine.connect() as conn:
        from sqlalchemy import text
        return conn.execute(text("SELECT length(state) FROM dossiers WHERE id = :id"), {"id": dossier_id}).scalar_one()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one dossier (< 1 min)")
    parser.add_argument("--tasks", type=int, default=600, help="tasks in the looping dossier (default 600)")
    parser.add_argument("--rounds", type=int, help="dossiers run, the median ratio counts (default 3, quick 1)")
    parser.add_argument("--whole", action="store_true", help="also run it storing the whole tree (slow)")
    args = parser.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 3)
    ratios = []
    with tempfile.TemporaryDirectory(prefix="motcua-loop-bench.") as tmp:
        print(f"loop bench: one dossier looping {args.tasks} user tasks (2 a pass, a reminder timer on one) "
              f"through the service layer on SQLite, {rounds} round(s){' (quick)' if args.quick else ''}")
        if args.whole:
            with whole_tree():
                whole(Path(tmp), args.tasks)
        for r in range(rounds):
            ta, tb, first, last = run(Path(tmp), args.tasks, f"pruned{r}")
            a, b = statistics.median(ta), statistics.median(tb)
            ratios.append(b / a)
            print(f"pruned (round {r + 1}):     first tenth {1000 * a:.2f} ms/task (baseline), last tenth "
                  f"{1000 * b:.2f} ms/task ({b / a:.2f}x); state {first / 1024:.1f} KiB after a pass, "
                  f"{last / 1024:.1f} KiB before the last task ({last / first:.2f}x)")
    print(f"target: last tenth <= {TARGET:g}x the first")
    print(f"ratio={statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
