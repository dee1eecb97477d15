"""Benchmark: `motcua timers recalculate` after a newly announced day off, at scale.

What it measures
    The wall time of ``services.timers.recalculate()`` (what ``motcua timers recalculate`` runs)
    in a database of N open dossiers (quick: 1,000 and 10,000; default: 1,000, 10,000 and 100,000)
    of which a share (default 10%) have deadlines the new day off moves; dossiers moved per second;
    and the wall time of a second run, which must move nothing (it pays the comparison of every
    open dossier's bases alone). The figure is the time per moved dossier at the largest size over
    the time per moved dossier at the smallest: 1 when the recalculation is linear in the dossiers
    it moves and the scan of the others is cheap.

How the database is filled
    As in bench/timer_bench.py (whose cloning it uses): two real dossiers are started through the
    service layer on Monday 2 November 2026, 09:00 (Hanoi), then cloned with bulk INSERTs (fresh
    ids, codes and task UUIDs, in the rows and the stored workflow state alike).
    - "moved" (procedure BENCHLONG, 5 statutory working days): its step "receive" has a
      40-working-hour deadline and an interrupting boundary timer ``deadline(working_days=5)``;
      all three (appointment, step deadline, timer) fall on Monday 9 November and move to Tuesday
      10 November when Friday 6 November is announced off.
    - "not moved" (BENCHSHORT, 1 statutory working day, an 8-working-hour step and timer): all due
      Tuesday 3 November 09:00, before the day off.
    The clock stands at Monday 2 November 10:00 when the day off is announced (a future day, as a
    province announces it). Checked: exactly the "moved" dossiers moved (their appointment, their
    step and their timer each), one ``deadlines_recalculated`` event each, none failed; the second
    run moves nothing.

Usage
    .venv/bin/python bench/recalc_bench.py [--quick] [--sizes 1000 10000 100000] [--share 0.1]
        [--batch 50] [--pg-url postgresql+psycopg://user@host:port/db] [--no-pg]

The last line printed is ``ratio=<worst over the databases of (s per moved dossier at the largest
size) / (s per moved dossier at the smallest)>``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import PgServer, bench_postgres, scratch_database  # noqa: E402
from bench.timer_bench import clone, code_source  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.persistence.models import Dossier, DossierEvent  # noqa: E402
from engine.services.recalculation import BATCH, RecalculationReport  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import Process, write_procedure  # noqa: E402

LONG, SHORT = "BENCHLONG", "BENCHSHORT"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=VN)  # Monday, a working day
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=VN)
DAY_OFF = "2026-11-06"  # Friday, between the two kinds' deadlines
SHIPPED_CALENDAR = Path(__file__).resolve().parents[1] / "config" / "calendar.toml"


def step_with_timer(hours: int, timer: str) -> Process:
    return (Process("bench_recalc").start().user("receive", lane="one_stop_officer", hours=hours)
            .boundary_timer("late", "receive", timer)
            .user("escalate", lane="agency_head").end("done").end("escalated")
            .chain("start", "receive", "done").chain("late", "escalate", "escalated"))


@dataclass
class SizeResult:
    size: int
    moved_expected: int
    seconds: float = 0.0
    second_run: float = 0.0
    fill_seconds: float = 0.0
    report: RecalculationReport = field(default_factory=RecalculationReport)

    @property
    def per_moved(self) -> float:
        return self.seconds / max(self.moved_expected, 1)


def one_size(url: str, size: int, share: float, tmp: Path, batch: int) -> SizeResult:
    calendar = tmp / "calendar.toml"
    calendar.write_text(SHIPPED_CALENDAR.read_text(encoding="utf-8"), encoding="utf-8")
    clock = ManualClock(T0)
    services: Services = build(Settings(database_url=url, processes_dir=tmp / "processes",
                                        forms_dir=tmp / "forms", calendar_path=calendar),
                               clock=clock, migrate=True)
    try:
        services.procedures.sync()
        for code in (LONG, SHORT):
            services.procedures.publish(code)
        moved = max(1, round(size * share))
        result = SizeResult(size, moved)
        t0 = time.perf_counter()
        long_ = services.dossiers.start(LONG, applicant={"name": "moved"})
        short = services.dossiers.start(SHORT, applicant={"name": "not moved"})
        codes = code_source(long_.code.rsplit("-", 1)[0] + "-", 100_000)
        clone(services, short.id, size - moved - 1, codes)
        clone(services, long_.id, moved - 1, codes)
        if services.db.dialect == "postgresql":
            with services.db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        result.fill_seconds = time.perf_counter() - t0
        with services.db.engine.connect() as conn:
            open_ = conn.scalar(select(func.count()).select_from(Dossier).where(Dossier.completed_at.is_(None)))
        assert open_ == size, (open_, size)

        # The province announces Friday 6 November off; the operator runs the recalculation.
        clock.set(NOW)
        with calendar.open("a", encoding="utf-8") as f:
            f.write(f'\n[[days_off]]\ndate = {DAY_OFF}\nreason = "Nghỉ do tỉnh công bố (bench)"\n')
        gc.collect()
        t0 = time.perf_counter()
        result.report = services.timers.recalculate(batch=batch)
        result.seconds = time.perf_counter() - t0
        r = result.report
        if (r.dossiers_moved, r.tasks_moved, r.timers_moved) != (moved, moved, moved):
            raise AssertionError(f"size {size}: moved {r}, expected {moved} of each")
        with services.db.engine.connect() as conn:
            events = conn.scalar(select(func.count()).select_from(DossierEvent)
                                 .where(DossierEvent.kind == "deadlines_recalculated"))
        assert events == moved, (events, moved)
        t0 = time.perf_counter()
        again = services.timers.recalculate(batch=batch)
        result.second_run = time.perf_counter() - t0
        if (again.dossiers_moved, again.tasks_moved, again.timers_moved) != (0, 0, 0):
            raise AssertionError(f"size {size}: a second run moved {again}")
        return result
    finally:
        services.close()


def run_backend(name: str, sizes: Sequence[int], share: float, tmp: Path,
                server: PgServer | None, batch: int) -> list[SizeResult]:
    results = []
    for size in sizes:
        with contextlib.ExitStack() as stack:
            if server is None:
                path = tmp / f"recalc-{size}.db"
                stack.callback(path.unlink, missing_ok=True)
                url = f"sqlite:///{path}"
            else:
                url = stack.enter_context(scratch_database(server, f"recalc_{size}"))
            r = one_size(url, size, share, tmp, batch)
        results.append(r)
        print(f"  {name:<10} {size:>7,} open, {r.moved_expected:>6,} moved: {r.seconds:7.2f} s = "
              f"{r.moved_expected / r.seconds:7.0f} dossiers moved/s ({1000 * r.per_moved:.2f} ms each); "
              f"second run (moves nothing) {r.second_run:.2f} s; filled in {r.fill_seconds:.1f} s", flush=True)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 open dossiers (< 1 min)")
    parser.add_argument("--sizes", type=int, nargs="+", help="open dossiers (default 1000 10000 100000, "
                                                             "quick 1000 10000)")
    parser.add_argument("--share", type=float, help="share of the open dossiers the day off moves "
                                                    "(default 0.1, quick 0.05)")
    parser.add_argument("--batch", type=int, default=BATCH, help=f"dossiers per transaction (default {BATCH}, "
                                                                  "as `motcua timers recalculate`)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (scratch databases are created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    sizes = sorted(args.sizes or ((1000, 10_000) if args.quick else (1000, 10_000, 100_000)))
    share = args.share or (0.05 if args.quick else 0.1)
    print(f"recalculation bench: `motcua timers recalculate` after a day off is announced, "
          f"{', '.join(f'{s:,}' for s in sizes)} open dossiers, {share:.0%} of them moved, "
          f"{args.batch} per transaction", flush=True)
    backends: dict[str, list[SizeResult]] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-recalc-bench.") as tmp_name:
        tmp = Path(tmp_name)
        (tmp / "forms").mkdir()
        write_procedure(tmp / "processes", LONG, step_with_timer(40, "deadline(working_days=5)"), statutory_days=5)
        write_procedure(tmp / "processes", SHORT, step_with_timer(8, "deadline(working_hours=8)"), statutory_days=1)
        backends["SQLite"] = run_backend("SQLite", sizes, share, tmp, None, args.batch)
        if not args.no_pg:
            with bench_postgres(args.pg_url) as server:
                if server is None:
                    print("PostgreSQL skipped: the ratio is SQLite's alone")
                else:
                    backends["PostgreSQL"] = run_backend("PostgreSQL", sizes, share, tmp, server, args.batch)
    ratios = {}
    for name, results in backends.items():
        small, large = results[0], results[-1]
        ratios[name] = large.per_moved / small.per_moved
        print(f"{name:<10} {1000 * small.per_moved:.2f} ms per moved dossier at {small.size:,}, "
              f"{1000 * large.per_moved:.2f} ms at {large.size:,}: ratio {ratios[name]:.2f}")
    print("target: ratio about 1 (time linear in the dossiers moved, whatever the others)")
    print(f"ratio={max(ratios.values()):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
