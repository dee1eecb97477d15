"""Benchmark: cost per user task of the service layer (SQLite, PostgreSQL) against raw SpiffWorkflow.

What it measures
    Milliseconds per user task to run dossiers of a 10-user-task sequential procedure
    (``sequential(10)`` of tests/support/bpmn.py: one lane, a working-hours deadline per task)
    from start to end, three ways, in the same process:

    raw      SpiffWorkflow alone, persisting the way a naive integration would: parse the BPMN
             once with SpiffBpmnParser; per dossier ``BpmnWorkflow(spec, subprocess_specs)`` and
             ``do_engine_steps()``; then for each task ``deserialize_json`` the whole workflow,
             take the ready manual task, ``set_data``, ``run``, ``do_engine_steps`` and
             ``serialize_json`` it again (``BpmnWorkflowSerializer`` configured with
             SPIFF_CONFIG, so the spec travels with every state, as SpiffWorkflow does by default).
    sqlite   the service layer on a temporary SQLite file: ``dossiers.start`` then, per task,
             ``complete_task(task_id, data, actor)``, the next task taken from what the call returned.
    postgres the same on PostgreSQL: ``--pg-url`` (a scratch database is created and dropped
             there) or a throwaway server started for the run (bench/pg_server.py). Skipped, with
             a message, when no server can be had.

    The same form data is written to every task in all three. ms/task is the time of a whole
    round (starting the dossiers included) divided by the number of tasks completed.

Why the comparison is fair
    One warm-up round per variant first (spec caches, SQL statement caches, connection pools),
    then rounds that alternate between the variants, starting with a different one each round,
    so drift and noise on this shared machine hit all of them; the best round of each counts
    (the median is printed too). The garbage collector is collected before and disabled during a
    round, the same for all. The clock is a ManualClock, so no variant waits on time.
    The service layer does more than the raw loop on purpose (ready-task rows with deadlines,
    steps, events, optimistic locking, views returned to the caller): the ratio is what that
    bookkeeping costs over bare SpiffWorkflow with full-state persistence.

Profile hint
    ``--profile`` (or ``--profile postgres``) runs a few more dossiers under cProfile on the
    warmed services and prints the top 15 entries by cumulative time, and the own time grouped by
    area (SpiffWorkflow, SQLAlchemy, database driver, JSON, engine, other).

Usage
    .venv/bin/python bench/engine_bench.py [--quick] [--dossiers N] [--rounds R]
        [--pg-url postgresql+psycopg://user@host:port/db] [--profile [sqlite|postgres]]

Against a durable write too
    A completion must commit durably; the raw loop never writes to disk. Beside the ratio, each
    database's service figure is also printed against raw step + one committed single-row write
    measured on that database in the same run (bench/durable_write.py), labelled as such: it shows
    how much of the gap the disk's flush accounts for. It does not replace the ratio.

The last line printed is ``ratio=<worst of service/raw over the databases measured>``.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import pstats
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event

# Let `python bench/engine_bench.py` import the engine (and the test BPMN writer) from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.durable_write import durable_write_ms  # noqa: E402
from bench.pg_server import bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.domain.dossier_status import DossierStatus  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

CODE = "BENCHSEQ"
TASKS = 10
ACTOR = "bench"
TARGET = 2.0
# Thursday 26 November 2026, 09:00 in Hanoi: a plain working day (as in tests/conftest.py).
START = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def task_data(step: int) -> dict[str, Any]:
    """The form data of one task: small, like a real decision form."""
    return {"step": step, "approved": True, "note": f"checked at step {step}"}


class RawLoop:
    """SpiffWorkflow alone, the whole workflow (spec included) serialized after every task."""

    name = "raw SpiffWorkflow"

    def __init__(self, xml: bytes, process_id: str):
        parser = SpiffBpmnParser()
        parser.add_bpmn_str(xml)
        self.spec = parser.get_spec(process_id)
        self.subprocess_specs = parser.get_subprocess_specs(process_id)
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.state_bytes = 0

    def run(self, dossiers: int) -> None:
        ser = self.serializer
        for _ in range(dossiers):
            wf = BpmnWorkflow(self.spec, self.subprocess_specs)
            wf.do_engine_steps()
            state = ser.serialize_json(wf)
            for step in range(TASKS):
                wf = ser.deserialize_json(state)
                task = wf.get_next_task(state=TaskState.READY, manual=True)
                task.set_data(**task_data(step))
                task.run()
                wf.do_engine_steps()
                state = ser.serialize_json(wf)
            if not wf.completed:
                raise AssertionError("raw workflow did not complete")
            self.state_bytes = len(state)


@dataclass
class ServiceLoop:
    """The service layer, as the API drives it: start, then complete each task. Like the raw loop,
    which takes the ready task from the workflow it just ran, the next task comes from what the
    previous call returned (start and complete_task both return the dossier's ready tasks)."""

    name: str
    services: Services
    op_seconds: dict[str, float] = field(default_factory=lambda: {"start": 0.0, "complete_task": 0.0})
    op_calls: dict[str, int] = field(default_factory=lambda: {"start": 0, "complete_task": 0})
    timing_ops: bool = False
    # While counting (statements_per_task): (statements, round trips) now, and their sum per op.
    counters: Callable[[], tuple[int, int]] | None = None
    op_counts: dict[str, list[int]] = field(default_factory=dict)

    def _call(self, op: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.counters is not None:
            before = self.counters()
            try:
                return fn(*args, **kwargs)
            finally:
                after, sums = self.counters(), self.op_counts.setdefault(op, [0, 0, 0])
                sums[0], sums[1], sums[2] = sums[0] + after[0] - before[0], sums[1] + after[1] - before[1], sums[2] + 1
        if not self.timing_ops:
            return fn(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:  # a perf_counter pair costs well under a microsecond: no need for a separate run
            self.op_seconds[op] += time.perf_counter() - t0
            self.op_calls[op] += 1

    def run(self, dossiers: int) -> None:
        svc = self.services.dossiers
        for n in range(dossiers):
            view = self._call("start", svc.start, CODE, applicant={"name": f"Applicant {n}"}, actor=ACTOR)
            tasks = view.current_tasks
            for step in range(TASKS):
                if len(tasks) != 1:
                    raise AssertionError(f"dossier {view.code}: expected one ready task, found {len(tasks)}")
                done = self._call("complete_task", svc.complete_task, tasks[0].task_id, task_data(step), ACTOR)
                tasks = done.current_tasks
            if done.status != DossierStatus.PROCESSED.value:
                raise AssertionError(f"dossier {done.dossier_code} ended {done.status}, not processed")

    def statements_per_task(self) -> tuple[float, float, float | None, float, float | None]:
        """SQL statements, pooled-connection checkouts and (PostgreSQL) round trips per task,
        counted on one untimed dossier (start included); then statements and round trips of one
        ``complete_task`` call alone (the figure docs/operations.md gives per completion)."""
        counts = {"statements": 0, "checkouts": 0}
        exchanges = self.services.db.exchanges  # PostgreSQL: engine/persistence/write_behind.py
        exchanged = exchanges.count if exchanges else 0

        def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
            # SQLite's BEGIN goes through the cursor, PostgreSQL's is implicit: count neither.
            if not sql.startswith("BEGIN"):
                counts["statements"] += 1

        def checkout(*_args: Any) -> None:
            counts["checkouts"] += 1

        db = self.services.db
        engines = {db.engine, db.read_engine}
        for engine in engines:
            event.listen(engine, "before_cursor_execute", statement)
            event.listen(engine, "checkout", checkout)
        timing, self.timing_ops = self.timing_ops, False  # keep this dossier out of the op timings
        self.counters = lambda: (counts["statements"], exchanges.count if exchanges else 0)
        self.op_counts = {}
        try:
            self.run(1)
        finally:
            self.timing_ops, self.counters = timing, None
            for engine in engines:
                event.remove(engine, "before_cursor_execute", statement)
                event.remove(engine, "checkout", checkout)
        trips = (exchanges.count - exchanged) / TASKS if exchanges else None
        c_statements, c_trips, c_calls = self.op_counts["complete_task"]
        return (counts["statements"] / TASKS, counts["checkouts"] / TASKS, trips,
                c_statements / c_calls, c_trips / c_calls if exchanges else None)

    def breakdown(self) -> str:
        def ms(op: str) -> float:
            return 1000 * self.op_seconds[op] / max(self.op_calls[op], 1)

        return (f"start {ms('start'):.2f} ms/dossier, "
                f"complete_task {ms('complete_task'):.2f} ms/call (mean over the timed rounds)")


def open_services(url: str, processes_dir: Path, forms_dir: Path, pipeline: bool = False) -> Services:
    """Migrated database with the bench procedure synced and published (`pipeline`: MOTCUA_DB_PIPELINE)."""
    settings = Settings(database_url=url, processes_dir=processes_dir, forms_dir=forms_dir, db_pipeline=pipeline)
    services = build(settings, clock=ManualClock(START), migrate=True)
    [entry] = services.procedures.sync()
    if entry.outcome != "created":
        raise RuntimeError(f"procedure {CODE} not loaded: {entry}")
    services.procedures.publish(CODE)
    return services


def timed_round(run: Callable[[int], None], dossiers: int) -> float:
    """Seconds per task of one round; the collector is off so a collection lands in no one variant."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        run(dossiers)
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    return elapsed / (dossiers * TASKS)


# ------------------------------------------------------------ profile hint

_AREAS = (
    ("SpiffWorkflow", ("SpiffWorkflow",)),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("database driver and server wait", ("sqlite3", "psycopg", "_sqlite")),
    ("JSON", ("/json/", "_json")),
    ("engine (ours)", ("/engine/",)),
)


def _area(filename: str, funcname: str) -> str:
    where = f"{filename} {funcname}"
    for area, needles in _AREAS:
        if any(n in where for n in needles):
            return area
    return "other"


def _label(key: tuple[str, int, str]) -> str:
    filename, line, func = key
    if filename == "~":  # a builtin: the name says it all
        return func
    parts = Path(filename).parts
    for anchor in ("SpiffWorkflow", "sqlalchemy", "psycopg", "engine", "bench"):
        if anchor in parts:
            parts = parts[parts.index(anchor):]
            break
    else:
        parts = parts[-2:]
    return f"{'/'.join(parts)}:{line}({func})"


def profile_hint(loop: ServiceLoop, dossiers: int) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(loop.run, dossiers)
    stats = pstats.Stats(profiler)
    entries: dict[tuple[str, int, str], tuple[int, float, float]] = {
        key: (nc, tt, ct) for key, (_cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    }
    total = stats.total_tt  # type: ignore[attr-defined]
    tasks = dossiers * TASKS
    print(f"profile ({loop.name}, {dossiers} dossiers, {tasks} tasks, {1000 * total / tasks:.2f} ms/task "
          "under cProfile); top 15 by cumulative time:")
    print(f"  {'cum ms/task':>11} {'own ms/task':>11} {'calls/task':>10}  function")
    skip = ("bench/engine_bench.py", "{method 'disable' of '_lsprof.Profiler' objects}")
    top = sorted(((k, v) for k, v in entries.items() if not any(s in _label(k) for s in skip)),
                 key=lambda kv: kv[1][2], reverse=True)[:15]
    for key, (nc, tt, ct) in top:
        print(f"  {1000 * ct / tasks:11.3f} {1000 * tt / tasks:11.3f} {nc / tasks:10.1f}  {_label(key)}")
    # The same, our own functions only: where in the engine to look first.
    ours = sorted(((k, v) for k, v in entries.items() if _area(k[0], k[2]) == "engine (ours)"),
                  key=lambda kv: kv[1][2], reverse=True)[:10]
    print("  engine functions, cumulative ms/task: " + ", ".join(
        f"{Path(k[0]).stem}.{k[2]} {1000 * ct / tasks:.2f}" for k, (_nc, _tt, ct) in ours))
    by_area: dict[str, float] = {}
    for (filename, _line, func), (_nc, tt, _ct) in entries.items():
        area = _area(filename, func)
        by_area[area] = by_area.get(area, 0.0) + tt
    print("  own time by area: " + ", ".join(
        f"{area} {100 * t / total:.0f}%" for area, t in sorted(by_area.items(), key=lambda kv: -kv[1])))


# ------------------------------------------------------------ main


@contextlib.contextmanager
def postgres_url(pg_url: str | None, wanted: bool) -> Iterator[str | None]:
    """A scratch PostgreSQL database for the run, or None when skipped."""
    if not wanted:
        yield None
        return
    with bench_postgres(pg_url) as server:
        if server is None:
            yield None
            return
        with scratch_database(server, "engine") as url:
            yield url


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few dossiers, for a smoke test (< 1 min)")
    parser.add_argument("--dossiers", type=int, help="dossiers per round and variant (default 20, quick 3)")
    parser.add_argument("--rounds", type=int, help="timed rounds, best counts (default 7, quick 3)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pipeline", action="store_true",
                        help="PostgreSQL with MOTCUA_DB_PIPELINE=1 (engine/persistence/write_behind.py)")
    parser.add_argument("--profile", nargs="?", const="sqlite", choices=("sqlite", "postgres"),
                        help="profile the service layer on this database (default sqlite) and print a hint")
    args = parser.parse_args(argv)
    dossiers = args.dossiers or (3 if args.quick else 20)
    rounds = args.rounds or (3 if args.quick else 7)

    process = sequential(TASKS, process_id="bench_seq")
    with tempfile.TemporaryDirectory(prefix="motcua-engine-bench.") as tmp, \
            postgres_url(args.pg_url, not args.no_pg) as pg_url:
        processes_dir, forms_dir = Path(tmp) / "processes", Path(tmp) / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, CODE, process)

        raw = RawLoop(process.xml(), process.id)
        loops: list[RawLoop | ServiceLoop] = [raw]
        opened: list[Services] = []
        try:
            for name, url in (("service on SQLite", f"sqlite:///{tmp}/bench.db"),
                              ("service on PostgreSQL", pg_url)):
                if url is not None:
                    services = open_services(url, processes_dir, forms_dir, args.pipeline)
                    opened.append(services)
                    loops.append(ServiceLoop(name, services))

            for loop in loops:  # warm-up: caches, compiled statements, pooled connections
                loop.run(1)
                if isinstance(loop, ServiceLoop):
                    loop.timing_ops = True
            times: dict[str, list[float]] = {loop.name: [] for loop in loops}
            for r in range(rounds):
                for loop in loops[r % len(loops):] + loops[:r % len(loops)]:  # rotate who goes first
                    times[loop.name].append(timed_round(loop.run, dossiers))

            print(f"engine bench: {TASKS}-user-task sequential procedure, {dossiers} dossiers "
                  f"({dossiers * TASKS} tasks) per round and variant, best of {rounds} rotated rounds "
                  f"after a warm-up{' (quick)' if args.quick else ''}")
            print(f"SpiffWorkflow {version('SpiffWorkflow')}, SQLAlchemy {version('SQLAlchemy')}, "
                  f"Python {sys.version.split()[0]}; raw state {raw.state_bytes / 1024:.1f} KiB per "
                  "serialization (spec included)"
                  + ("; PostgreSQL with MOTCUA_DB_PIPELINE=1" if args.pipeline else ""))
            best = {name: min(ts) for name, ts in times.items()}
            for loop in loops:
                ts = times[loop.name]
                print(f"{loop.name:<24} {1000 * best[loop.name]:8.2f} ms/task  "
                      f"(median {1000 * statistics.median(ts):.2f}, worst {1000 * max(ts):.2f})")
                if isinstance(loop, ServiceLoop):
                    statements, checkouts, trips, c_statements, c_trips = loop.statements_per_task()
                    print(f"{'':<26}{loop.breakdown()}")
                    trips_text = f", {trips:.1f} round trips to the server" if trips is not None else ""
                    print(f"{'':<26}{statements:.1f} SQL statements and {checkouts:.1f} connection checkouts "
                          f"(transactions){trips_text} per task, start included")
                    c_trips_text = f", {c_trips:.1f} round trips" if c_trips is not None else ""
                    print(f"{'':<26}one complete_task alone: {c_statements:.1f} SQL statements (BEGIN not "
                          f"counted){c_trips_text}")
            ratios = {loop.name.removeprefix("service on "): best[loop.name] / best[raw.name]
                      for loop in loops if isinstance(loop, ServiceLoop)}
            if pg_url is None and not args.no_pg:
                print("PostgreSQL skipped: the ratio is SQLite's alone")
            print("service / raw: " + ", ".join(f"{db} {r:.2f}x" for db, r in ratios.items())
                  + f" (target <= {TARGET:g}x)")
            # A completion commits durably; the raw step never does (bench/durable_write.py).
            for loop in loops:
                if isinstance(loop, ServiceLoop):
                    write = durable_write_ms(loop.services.db.engine, 20 if args.quick else 60)
                    floor = 1000 * best[raw.name] + write
                    print(f"  not the target's ratio, for reading it: {loop.name} / (raw step + one durable "
                          f"single-row write on the same database, p50 {write:.2f} ms in this run) = "
                          f"{1000 * best[loop.name]:.2f} / {floor:.2f} ms = {1000 * best[loop.name] / floor:.2f}x")
                    # What no implementation that commits each task durably can go below, whatever it does.
                    print(f"  lower bound of service / raw for any implementation that commits each task durably "
                          f"on this database: (raw step + one durable write) / raw step = {floor:.2f} / "
                          f"{1000 * best[raw.name]:.2f} ms = {floor / (1000 * best[raw.name]):.2f}x")

            if args.profile:
                wanted = "service on SQLite" if args.profile == "sqlite" else "service on PostgreSQL"
                target = next((lp for lp in loops if lp.name == wanted), None)
                if isinstance(target, ServiceLoop):
                    target.timing_ops = False
                    profile_hint(target, 3 if args.quick else 10)
                else:
                    print(f"profile: {args.profile} was not measured, nothing to profile")
        finally:
            for services in opened:
                services.close()

    print(f"ratio={max(ratios.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
