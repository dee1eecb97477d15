"""Benchmark: how late do timers really fire, with the scheduler running as production runs it?

What it measures
    The observed lateness of each timer: the instant its dossier fired (the ``at`` of the
    ``timers_fired`` event the sweep wrote) minus the instant it was due (its ``due_at`` in the
    timer table, read before the run). Nothing is guessed by the bench: both figures are what the
    engine stored. p50, p95 and the maximum are printed, with the sweep interval used, and the
    maximum is compared with the computed bound ``interval + slowest sweep`` (what
    bench/timer_bench.py prints): a timer due just after a sweep began waits for the next sweep,
    then for the dossiers fired before it in that sweep.

How it runs
    The real loop: ``engine.scheduler.TimerScheduler`` (APScheduler's BackgroundScheduler, the
    job ``api/app.py`` starts in every API process, ``coalesce``, one instance) against the real
    clock (``SystemClock``), on a fresh database per backend. Before the scheduler starts, N
    dossiers are started on a procedure whose first element is a timer at the instant given in the
    dossier's data (``timeDate`` = ``fire_at``); their instants are spread at random (seeded) over
    a window that begins after the last start, so they come due at unrelated phases of the sweep.
    A timer due before the scheduler started (the starts overran their margin on a busy machine)
    fires too but is not counted. The bench sleeps until every timer has fired (or a deadline passes: then it says so), stops the
    scheduler (``shutdown``, as ``motcua serve`` does) and reads the rows. Each sweep's wall time is
    taken around ``TimerScheduler.sweep`` (the heartbeat included).

Usage
    .venv/bin/python bench/timer_latency.py [--quick] [--interval S] [--window S] [--dossiers N]
        [--pg-url postgresql+psycopg://user@host:port/db] [--no-pg]
    --quick: a 2 s interval, 12 s window, 40 dossiers per backend (under a minute for both);
    default: the production interval (MOTCUA_SCHEDULER_INTERVAL's default, 10 s), a 100 s window,
    200 dossiers.

The last line printed is ``ratio=<worst over the databases of observed max / (interval + slowest sweep)>``:
at most 1 when the computed bound holds (a little above 1 means the scheduler's thread woke late,
e.g. on a machine whose cores are busy).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Sequence

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.persistence.models import DossierEvent, Incident, Timer  # noqa: E402
from engine.scheduler import TimerScheduler  # noqa: E402
from engine.services.timers import SweepReport  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import Process, write_procedure  # noqa: E402

CODE = "BENCHAT"
_RNG = random.Random(20261201)


def at_instant() -> Process:
    """A timer at the instant in the dossier's data, then a task: firing it is a real firing."""
    return (Process("bench_at").start().timer("wait", "fire_at").user("after", lane="one_stop_officer")
            .end().chain("start", "wait", "after", "end"))


class TimedScheduler(TimerScheduler):
    """The production scheduler; only the wall time of each sweep is noted."""

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sweeps: list[tuple[float, int]] = []  # (seconds, dossiers fired)

    def sweep(self) -> SweepReport:
        t0 = time.perf_counter()
        report = super().sweep()
        self.sweeps.append((time.perf_counter() - t0, len(report.fired)))
        return report


@dataclass
class Result:
    name: str
    lateness: list[float] = field(default_factory=list)  # seconds, one per timer fired
    sweeps: list[tuple[float, int]] = field(default_factory=list)
    missing: int = 0
    excluded: int = 0  # fired, but due before the scheduler started: not a measure of it


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def run(name: str, url: str, tmp: Path, interval: float, window: float, n: int) -> Result:
    settings = Settings(database_url=url, processes_dir=tmp / "processes", forms_dir=tmp / "forms",
                        scheduler_interval=interval)
    services: Services = build(settings, migrate=True)  # SystemClock: the real time
    try:
        entries = services.procedures.sync()
        if [e.outcome for e in entries] != ["created"]:
            raise RuntimeError(f"bench procedure not loaded: {entries}")
        services.procedures.publish(CODE)
        clock = services.ctx.clock
        # Two starts to warm up, the second timed: their timers are a day away, they never fire here.
        for _ in range(2):
            t0 = time.perf_counter()
            services.dossiers.start(CODE, applicant={"name": "warm-up"},
                                    data={"fire_at": (clock.now() + timedelta(days=1)).isoformat()})
            per_start = time.perf_counter() - t0
        base = clock.now() + timedelta(seconds=1.0 + 3 * n * per_start)
        instants = sorted(base + timedelta(seconds=_RNG.uniform(0, window)) for _ in range(n))
        ids = [services.dossiers.start(CODE, applicant={"name": f"timer {k}"},
                                       data={"fire_at": at.isoformat()}).id for k, at in enumerate(instants)]
        with services.db.engine.connect() as conn:
            due = dict(conn.execute(select(Timer.dossier_id, Timer.due_at).where(Timer.dossier_id.in_(ids))).all())
        if len(due) != n:
            raise AssertionError(f"{len(due)} timer rows for {n} dossiers")

        scheduler = TimedScheduler(services.timers, interval, name=f"bench-{name}")
        started = clock.now()  # a timer due before this (the starts overran their margin) is not counted
        scheduler.start()
        deadline = time.monotonic() + (base - clock.now()).total_seconds() + window + 2 * interval + 5
        try:
            while time.monotonic() < deadline:
                time.sleep(0.5)
                with services.db.engine.connect() as conn:
                    left = conn.scalar(select(func.count()).select_from(Timer).where(Timer.dossier_id.in_(ids)))
                if not left:
                    break
        finally:
            scheduler.shutdown()  # waits for a sweep in progress

        result = Result(name, sweeps=scheduler.sweeps)
        with services.db.engine.connect() as conn:
            fired = conn.execute(select(DossierEvent.dossier_id, DossierEvent.at).where(
                DossierEvent.kind == "timers_fired", DossierEvent.dossier_id.in_(ids))).all()
            incidents = conn.scalar(select(func.count()).select_from(Incident))
        seen = [d for d, _ in fired]
        if len(seen) != len(set(seen)) or incidents:
            raise AssertionError(f"a timer fired twice or failed: {len(seen)} events, {incidents} incidents")
        result.lateness = [(at - due[d]).total_seconds() for d, at in fired if due[d] >= started]
        result.missing = n - len(fired)
        result.excluded = sum(1 for d, _ in fired if due[d] < started)
        if min(result.lateness, default=0) < 0:
            raise AssertionError(f"a timer fired early: {min(result.lateness):.3f} s")
        return result
    finally:
        services.close()


def report(r: Result, interval: float) -> float:
    late = r.lateness
    busy = [s for s, fired in r.sweeps if fired]
    idle = [s for s, fired in r.sweeps if not fired]
    worst_sweep = max(s for s, _ in r.sweeps)
    bound = interval + worst_sweep
    print(f"{r.name:<10} {len(late)} timers fired over {len(r.sweeps)} sweeps every {interval:g} s"
          + (f" ({r.missing} NOT FIRED by the deadline)" if r.missing else "")
          + (f" ({r.excluded} not counted: due before the scheduler started)" if r.excluded else ""))
    print(f"{'':<10} observed lateness (timers_fired.at - timers.due_at): p50 {percentile(late, .5):.2f} s, "
          f"p95 {percentile(late, .95):.2f} s, max {max(late):.2f} s")
    print(f"{'':<10} computed bound: interval {interval:g} s + slowest sweep {1000 * worst_sweep:.0f} ms = "
          f"{bound:.2f} s; observed max / bound = {max(late) / bound:.2f}")
    print(f"{'':<10} sweeps: firing {len(busy)}, median {1000 * statistics.median(busy or [0]):.0f} ms; "
          f"idle {len(idle)}, median {1000 * statistics.median(idle or [0]):.1f} ms "
          f"({100 * statistics.median(idle or [0]) / interval:.2f}% of a core at this interval)")
    return max(late) / bound


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 s interval, 12 s window, 40 dossiers (< 1 min)")
    parser.add_argument("--interval", type=float, help="seconds between sweeps (default: the production "
                                                       "default, 10; quick 2)")
    parser.add_argument("--window", type=float, help="seconds over which the timers come due (default 100, quick 12)")
    parser.add_argument("--dossiers", type=int, help="timers per backend (default 200, quick 40)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    interval = args.interval or (2.0 if args.quick else Settings().scheduler_interval)
    window = args.window or (12.0 if args.quick else 100.0)
    n = args.dossiers or (40 if args.quick else 200)
    print(f"timer latency: the scheduler sweeping every {interval:g} s against the real clock; {n} timers "
          f"due at random instants over {window:g} s; lateness read from the rows the sweeps wrote", flush=True)
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="motcua-timer-latency.") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "forms").mkdir()
        write_procedure(tmp / "processes", CODE, at_instant())
        results.append(run("SQLite", f"sqlite:///{tmp / 'latency.db'}", tmp, interval, window, n))
        if not args.no_pg:
            with bench_postgres(args.pg_url) as server:
                if server is None:
                    print("PostgreSQL skipped: the ratio is SQLite's alone")
                else:
                    with scratch_database(server, "timer_latency") as url:
                        results.append(run("PostgreSQL", url, tmp, interval, window, n))
    ratios = [report(r, interval) for r in results]
    if any(r.missing for r in results):
        print("some timers did not fire by the deadline: the ratio is not meaningful")
        return 1
    print("target: ratio <= 1 (no timer later than one interval plus the slowest sweep)")
    print(f"ratio={max(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
