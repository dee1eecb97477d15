"""Benchmark: does a timer sweep cost the same whatever the number of open dossiers?

What it measures
    The wall time of one ``services.timers.fire_due()`` sweep that fires exactly 100 dossiers,
    in a database holding a small and a large number of open dossiers with pending timers
    (1,000 and 100,000; ``--quick``: 1,000 and 10,000), on SQLite and on PostgreSQL. The figure
    is the ratio large / small: about 1 when selecting due timers costs nothing per open dossier.
    The time of the due-timer selection query alone is printed too, with its query plan.

How the database is filled
    Through the service layer would take minutes per 100,000, so a few real dossiers are created
    through it (``dossiers.start`` with a ManualClock) and then cloned with bulk INSERTs
    (executemany, in chunks): the dossier row, its timer rows and its ready-task rows. Each clone
    gets a fresh dossier id and code, and fresh task UUIDs everywhere: in its rows and,
    consistently, in its stored workflow state (the fired task of the next step becomes a
    ready-task row keyed by its UUID, which must be unique); the dossier code in the workflow
    data is renamed too. Timer due instants are copied unchanged, so the timer rows and the
    workflow's own ``event_value`` always agree: firing a clone is firing a real dossier.

    The procedure is an escalation: a user task with an interrupting boundary timer
    ``deadline(working_hours=8)`` (firing it cancels the task and opens an "escalate" task).
    Dossiers that must come due are started at instants s1 < s2 < ... one working hour apart, so
    sweep k, at a clock between their deadlines, fires set k and only it. The filler runs the
    same diagram with ``deadline(working_days=250)`` (about a year), started before every sweep,
    so it is open, with a pending timer, and never due. A warm-up set of 20 is fired first
    (caches, compiled statements, pooled connections). Before the first measured sweep the
    database holds exactly N open dossiers with pending timers: N - 100*rounds filler clones
    plus the due sets; the due sets are inserted last (highest ids).

Why it is fair
    Each size gets its own fresh database and the same work: the same 100 firings per sweep,
    checked (exactly 100 fired, none failed or skipped, their timers gone). Best of the rounds
    counts (median printed too); the garbage collector is collected before and disabled during
    a sweep. PostgreSQL gets ANALYZE after the bulk fill, as autovacuum would do on its own;
    SQLite gets nothing, because the engine never runs ANALYZE there.

Usage
    .venv/bin/python bench/timer_bench.py [--quick] [--sizes 1000 100000] [--rounds R]
        [--pg-url postgresql+psycopg://user@host:port/db] [--no-pg]

Timer latency
    The worst lateness of a timer is the sweep interval (the default of MOTCUA_SCHEDULER_INTERVAL)
    plus the slowest measured sweep (a timer due just after a sweep began waits for the next one,
    then for the dossiers fired before it). An idle sweep (nothing due: the selection and the
    heartbeat row, as TimerScheduler runs it) is timed too: its share of a core says what a
    shorter interval costs.
    That worst lateness is computed; bench/timer_latency.py observes it (the real scheduler and
    clock, each timer's timers_fired.at - due_at) and compares its maximum with this bound.

The last line printed is ``ratio=<worst over the databases of sweep(large) / sweep(small)>``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import random
import re
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Connection

# Let `python bench/timer_bench.py` import the engine (and the test BPMN writer) from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import PgServer, bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.persistence.models import Dossier, ReadyTask, Timer  # noqa: E402
from engine.scheduler import TimerScheduler  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import Process, write_procedure  # noqa: E402

DUE_CODE, FAR_CODE = "BENCHDUE", "BENCHFAR"
DUE_HOURS = 8  # the deadline of the dossiers that come due
FAR_DAYS = 250  # the filler's deadline: about a year of working days, never reached here
IDLE_SWEEPS = 5
PER_SWEEP = 100
WARM_UP = 20
CHUNK = 2000  # rows per executemany: bounded memory, few round trips
# Monday 2 November 2026, 09:00 in Hanoi: a working day with working days after it.
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
_RNG = random.Random(20261102)
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def escalation(timer: str) -> Process:
    return (Process("bench_escalation").start()
            .user("receive", lane="one_stop_officer", hours=DUE_HOURS)
            .boundary_timer("late", "receive", timer)
            .user("escalate", lane="agency_head").end("done").end("escalated")
            .chain("start", "receive", "done").chain("late", "escalate", "escalated"))


# ------------------------------------------------------------ cloning


@dataclass
class Template:
    """A real dossier's rows, with its task UUIDs and code as holes to fill per clone."""

    dossier: dict[str, Any]
    timers: list[dict[str, Any]]
    tasks: list[dict[str, Any]]
    pieces: list[str]  # state split on UUIDs and the code: literal, token, literal, ...
    tokens: list[str]  # distinct UUIDs, then the code (last)

    @classmethod
    def read(cls, conn: Connection, dossier_id: int) -> "Template":
        row = conn.execute(select(Dossier.__table__).where(Dossier.id == dossier_id)).mappings().one()
        timers = [dict(r) for r in conn.execute(
            select(Timer.__table__).where(Timer.dossier_id == dossier_id)).mappings()]
        tasks = [dict(r) for r in conn.execute(
            select(ReadyTask.__table__).where(ReadyTask.dossier_id == dossier_id)).mappings()]
        code = row["code"]
        pieces = re.split(f"({UUID_RE}|{re.escape(code)})", row["state"])
        uuids = list(dict.fromkeys(p for p in pieces[1::2] if p != code))
        if not timers or any(t["task_id"] not in uuids for t in timers + tasks):
            raise AssertionError(f"template {code}: its rows name tasks its state does not hold")
        return cls(dict(row), timers, tasks, pieces, uuids + [code])

    def clones(self, first_id: int, codes: Iterator[str], count: int) -> Iterator[
            tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]]:
        """(dossier row, timer rows, ready-task rows) of `count` clones, ids from `first_id`."""
        index = {t: i for i, t in enumerate(self.tokens)}
        holes = [index[p] for p in self.pieces[1::2]]
        literals = self.pieces[0::2]
        n_uuids = len(self.tokens) - 1
        for n in range(count):
            code = next(codes)
            # Version-4 UUIDs from a seeded PRNG: unique is all that matters, and no syscall each.
            new = [str(uuid.UUID(int=_RNG.getrandbits(128), version=4)) for _ in range(n_uuids)] + [code]
            rename = dict(zip(self.tokens, new))
            parts = [literals[0]]
            for hole, literal in zip(holes, literals[1:]):
                parts.append(new[hole])
                parts.append(literal)
            dossier_id = first_id + n
            dossier = {**self.dossier, "id": dossier_id, "code": code, "state": "".join(parts)}
            timers = [{**{k: v for k, v in t.items() if k != "id"}, "dossier_id": dossier_id,
                       "task_id": rename[t["task_id"]]} for t in self.timers]
            tasks = [{**t, "dossier_id": dossier_id, "task_id": rename[t["task_id"]]} for t in self.tasks]
            yield dossier, timers, tasks


def clone(services: Services, template_id: int, count: int, codes: Iterator[str]) -> None:
    """Insert `count` clones of a dossier with executemany, CHUNK dossiers per transaction."""
    db = services.db
    with db.engine.connect() as conn:
        template = Template.read(conn, template_id)
        first_id = int(conn.scalar(select(func.max(Dossier.id)))) + 1
    rows = template.clones(first_id, codes, count)
    done = 0
    while done < count:
        dossiers, timers, tasks = [], [], []
        for d, ts, rs in (next(rows) for _ in range(min(CHUNK, count - done))):
            dossiers.append(d)
            timers += ts
            tasks += rs
        with db.engine.begin() as conn:
            conn.execute(insert(Dossier.__table__), dossiers)
            conn.execute(insert(Timer.__table__), timers)
            if tasks:
                conn.execute(insert(ReadyTask.__table__), tasks)
        done += len(dossiers)
    if db.dialect == "postgresql":  # ids were given explicitly: move the sequence past them
        with db.engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('dossiers', 'id'), "
                              "(SELECT max(id) FROM dossiers))"))


def code_source(prefix: str, start: int) -> Iterator[str]:
    """Dossier codes far above what the day's counter hands out, so they never collide."""
    n = start
    while True:
        yield f"{prefix}{n}"
        n += 1


# ------------------------------------------------------------ one database


@dataclass
class SizeResult:
    size: int
    sweeps: list[float] = field(default_factory=list)  # seconds
    selections: list[float] = field(default_factory=list)  # seconds, the due query alone
    fill_seconds: float = 0.0
    plan: str = ""


def open_services(url: str, processes_dir: Path, forms_dir: Path, clock: ManualClock) -> Services:
    services = build(Settings(database_url=url, processes_dir=processes_dir, forms_dir=forms_dir),
                     clock=clock, migrate=True)
    entries = services.procedures.sync()
    if sorted(e.outcome for e in entries) != ["created", "created"]:
        raise RuntimeError(f"bench procedures not loaded: {entries}")
    for code in (DUE_CODE, FAR_CODE):
        services.procedures.publish(code)
    return services


def timer_counts(services: Services) -> tuple[int, int]:
    """(open dossiers, timer rows)."""
    with services.db.engine.connect() as conn:
        open_ = conn.scalar(select(func.count()).select_from(Dossier).where(Dossier.completed_at.is_(None)))
        timers = conn.scalar(select(func.count()).select_from(Timer))
    return int(open_ or 0), int(timers or 0)


class DueQuery:
    """Captures the SQL of the sweep's due-timer selection, to EXPLAIN it afterwards."""

    def __init__(self, services: Services):
        self.sql: str | None = None
        self.params: Any = None
        self.engines = {services.db.engine, services.db.read_engine}
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, sql: str, params: Any, *_args: Any) -> None:
        # The sweep's first statement on the timer table is the selection of due dossiers.
        if self.sql is None and "FROM timers" in sql and "due_at <=" in sql:
            self.sql, self.params = sql, params

    def close(self) -> None:
        for engine in self.engines:
            event.remove(engine, "before_cursor_execute", self._seen)

    def plan(self, services: Services) -> str:
        if self.sql is None:
            return "(selection query not seen)"
        prefix = "EXPLAIN QUERY PLAN " if services.db.dialect == "sqlite" else "EXPLAIN "
        with services.db.read_engine.connect() as conn:
            rows = conn.exec_driver_sql(prefix + self.sql, self.params).all()
        lines = [str(r[-1]) for r in rows]
        return "; ".join(line.strip() for line in lines)


class SizedDatabase:
    """One database filled to `size` open dossiers with pending timers, swept set by set."""

    def __init__(self, url: str, size: int, rounds: int, processes_dir: Path, forms_dir: Path):
        self.result = SizeResult(size)
        self.size, self.rounds = size, rounds
        self.clock = ManualClock(T0)
        self.services = open_services(url, processes_dir, forms_dir, self.clock)

    def fill(self) -> None:
        services, clock, size, rounds = self.services, self.clock, self.size, self.rounds
        cal = services.ctx.calendars()
        fill_start = time.perf_counter()
        # Starts one working hour apart: set 0 is the warm-up, sets 1..rounds are measured.
        starts = [T0]
        for _ in range(rounds + 1):
            starts.append(cal.add_working_hours(starts[-1], 1))
        dues = [cal.add_working_hours(s, DUE_HOURS) for s in starts]
        self.sweep_at = [a + (b - a) / 2 for a, b in zip(dues, dues[1:])]  # strictly between deadlines
        filler = size - PER_SWEEP * rounds
        if filler < 1:
            raise SystemExit(f"size {size} too small for {rounds} rounds of {PER_SWEEP}")

        templates: list[tuple[int, int]] = []  # (template dossier id, clones wanted)
        clock.set(T0)
        far = services.dossiers.start(FAR_CODE, applicant={"name": "filler"})
        for k in range(rounds + 1):
            clock.set(starts[k])
            view = services.dossiers.start(DUE_CODE, applicant={"name": f"set {k}"})
            templates.append((view.id, (WARM_UP if k == 0 else PER_SWEEP) - 1))
        # Filler first, the due sets last, so no scan in id order meets the due ones early.
        codes = code_source(far.code.rsplit("-", 1)[0] + "-", 100_000)
        clone(services, far.id, filler - 1, codes)
        for template_id, count in templates:
            clone(services, template_id, count, codes)
        if services.db.dialect == "postgresql":
            with services.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        self.result.fill_seconds = time.perf_counter() - fill_start

        open_, timers = timer_counts(services)
        expected = size + WARM_UP
        if (open_, timers) != (expected, expected):
            raise AssertionError(f"filled {open_} open dossiers / {timers} timers, expected {expected}")

    def warm_up(self) -> None:
        capture = DueQuery(self.services)
        self.clock.set(self.sweep_at[0])
        report = self.services.timers.fire_due()
        capture.close()
        if len(report.fired) != WARM_UP or report.failed:
            raise AssertionError(f"warm-up sweep fired {len(report.fired)}, failed {report.failed[:3]}")
        self.result.plan = capture.plan(self.services)

    def sweep(self, k: int) -> None:
        """Measured sweep k (1..rounds): fires set k, exactly its 100 dossiers."""
        services, result = self.services, self.result
        self.clock.set(self.sweep_at[k])
        with services.ctx.uow(write=False) as uow:  # the selection query alone, read-only
            for _ in range(3):
                t0 = time.perf_counter()
                ids = uow.timers.due_dossier_ids(self.clock.now(), 200)
                result.selections.append(time.perf_counter() - t0)
        if len(ids) != PER_SWEEP:
            raise AssertionError(f"selection found {len(ids)} due dossiers, expected {PER_SWEEP}")
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            report = services.timers.fire_due()
            result.sweeps.append(time.perf_counter() - t0)
        finally:
            gc.enable()
        # The check the brief asks for: every sweep fires exactly its 100 dossiers.
        assert len(report.fired) == PER_SWEEP, (len(report.fired), report.failed[:3])
        assert not report.failed and report.skipped == 0, (report.failed[:3], report.skipped)
        remaining = timer_counts(services)[1]
        if remaining != self.size - PER_SWEEP * k:
            raise AssertionError(f"after sweep {k}: {remaining} timers, expected {self.size - PER_SWEEP * k}")

    def close(self) -> None:
        self.services.close()


# ------------------------------------------------------------ main


@dataclass
class Backend:
    name: str
    results: list[SizeResult] = field(default_factory=list)
    idle_sweeps: list[float] = field(default_factory=list)  # seconds, nothing due, heartbeat included


def run_backend(name: str, sizes: Sequence[int], rounds: int, tmp: Path, processes_dir: Path,
                forms_dir: Path, server: PgServer | None) -> Backend:
    """Both sizes side by side, their sweeps alternating, so machine noise hits both alike."""
    backend = Backend(name)
    with contextlib.ExitStack() as stack:
        databases: list[SizedDatabase] = []
        for size in sizes:
            if server is None:
                path = tmp / f"timers-{size}.db"
                stack.callback(path.unlink, missing_ok=True)  # a 100,000-dossier file is ~0.6 GB
                url = f"sqlite:///{path}"
            else:
                url = stack.enter_context(scratch_database(server, f"timers_{size}"))
            db = SizedDatabase(url, size, rounds, processes_dir, forms_dir)
            stack.callback(db.close)
            db.fill()
            databases.append(db)
            print(f"  {name:<10} {size:>7,} open dossiers with pending timers: filled in "
                  f"{db.result.fill_seconds:.1f} s", flush=True)
        for db in databases:
            db.warm_up()
        for k in range(1, rounds + 1):
            for db in databases[k % 2:] + databases[:k % 2]:  # rotate who goes first
                db.sweep(k)
        # What the scheduler pays every interval when nothing is due, on the large database: the
        # due-timer selection and the heartbeat row (TimerScheduler.sweep, as the API runs it).
        scheduler = TimerScheduler(databases[-1].services.timers)
        for _ in range(IDLE_SWEEPS):
            t0 = time.perf_counter()
            report = scheduler.sweep()
            backend.idle_sweeps.append(time.perf_counter() - t0)
            assert not report.fired and not report.failed, report
        for db in databases:
            r = db.result
            backend.results.append(r)
            print(f"  {name:<10} {r.size:>7,}: sweep of {PER_SWEEP} {1000 * min(r.sweeps):7.1f} ms "
                  f"(median {1000 * statistics.median(r.sweeps):.1f}); selection query "
                  f"{1000 * min(r.selections):.2f} ms", flush=True)
            print(f"  {'':<10} plan (warm-up sweep's selection): {r.plan}", flush=True)
    return backend


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 vs 10,000 open dossiers (< 1 min)")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"),
                        help="open dossiers with pending timers (default 1000 100000, quick 1000 10000)")
    parser.add_argument("--rounds", type=int, help="measured sweeps per size, best counts (default 5, quick 3)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (scratch databases are created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    sizes = args.sizes or ((1000, 10_000) if args.quick else (1000, 100_000))
    rounds = args.rounds or (3 if args.quick else 5)

    print(f"timer bench: one fire_due() sweep firing {PER_SWEEP} dossiers among {sizes[0]:,} and then "
          f"{sizes[1]:,} open dossiers with pending timers{' (quick: 10,000, not 100,000)' if args.quick and not args.sizes else ''}; "
          f"best of {rounds} sweeps per size after a warm-up sweep of {WARM_UP}", flush=True)
    backends: list[Backend] = []
    with tempfile.TemporaryDirectory(prefix="motcua-timer-bench.") as tmp_name:
        tmp = Path(tmp_name)
        processes_dir, forms_dir = tmp / "processes", tmp / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, DUE_CODE, escalation(f"deadline(working_hours={DUE_HOURS})"))
        write_procedure(processes_dir, FAR_CODE, escalation(f"deadline(working_days={FAR_DAYS})"))

        backends.append(run_backend("SQLite", sizes, rounds, tmp, processes_dir, forms_dir, None))
        if not args.no_pg:
            with bench_postgres(args.pg_url) as server:
                if server is not None:
                    backends.append(run_backend("PostgreSQL", sizes, rounds, tmp, processes_dir, forms_dir,
                                                server))
                else:
                    print("PostgreSQL skipped: the ratio is SQLite's alone")

    ratios = {}
    for b in backends:
        small, large = (min(r.sweeps) for r in b.results)
        sel_small, sel_large = (min(r.selections) for r in b.results)
        ratios[b.name] = large / small
        print(f"{b.name:<10} sweep {1000 * small:7.1f} ms at {sizes[0]:,}, {1000 * large:7.1f} ms at "
              f"{sizes[1]:,}: ratio {ratios[b.name]:.2f} (selection query alone: {1000 * sel_small:.2f} -> "
              f"{1000 * sel_large:.2f} ms, {sel_large / sel_small:.1f}x; {1000 * small / PER_SWEEP:.1f} ms "
              "per fired dossier at the small size)")
    interval = Settings().scheduler_interval
    for b in backends:
        worst_sweep = max(max(r.sweeps) for r in b.results)
        idle = statistics.median(b.idle_sweeps)
        # A timer due just after a sweep began waits for the next one (one interval), then for
        # the dossiers fired before it in that sweep (at most a whole sweep of PER_SWEEP).
        print(f"{b.name:<10} timer latency: sweep every {interval:g} s (MOTCUA_SCHEDULER_INTERVAL default); "
              f"worst lateness = interval + slowest sweep of {PER_SWEEP} = {interval + worst_sweep:.2f} s; "
              f"an idle sweep (nothing due, heartbeat written) {1000 * idle:.1f} ms = "
              f"{100 * idle / interval:.2f}% of one core per scheduler")
    print("target: ratio about 1 (sweep cost independent of the number of open dossiers)")
    print(f"ratio={max(ratios.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
