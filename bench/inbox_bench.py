"""Benchmark: officials' inbox queries with 100,000 open dossiers on PostgreSQL (issue 15).

What it measures
    The p95 of ``DossierService.list_tasks`` (what ``GET /api/tasks`` calls) for an official of one
    agency, in the shapes an inbox takes: everything the official may see sorted by due date
    (pages 1 and 10), the tasks waiting for their own roles, the tasks assigned to them, and the
    overdue ones; each returns a page of 50 and the total. The baseline, measured in the same run
    and in turns with them, is a bare indexed ``SELECT`` of the same first page (the agency and
    role, ``ORDER BY due_at LIMIT 50``, through the same pooled engine) that counts nothing and
    joins nothing.

How the database is filled
    One real dossier is started through the service layer (a one-task procedure); its row is then
    cloned in SQL (``generate_series``) into N open dossiers (default 100,000, ``--quick`` 20,000),
    each with one ready-task row: 40 agencies, 3 roles, due instants spread over two months around
    the clock's now (about a quarter overdue), one in ten assigned to someone. ANALYZE afterwards,
    as autovacuum would do.

Usage
    .venv/bin/python bench/inbox_bench.py [--quick] [--dossiers N] [--repeat R]
        [--pg-url postgresql+psycopg://user@host:port/db]

The last line printed is ``ratio=<worst p95 of the inbox queries / p95 of the bare SELECT>``;
the guide is p95 under 50 ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

CODE = "BENCHINBOX"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
AGENCIES = [f"000.00.{n:02d}.H15" for n in range(40)]
ROLES = ["official", "one_stop_officer", "leader"]
ME, MY_AGENCY = "officer_0", AGENCIES[0]
PAGE = 50
GUIDE_MS = 50


def fill(services: Services, dossiers: int) -> float:
    """Clone one real dossier into `dossiers` open ones, each with a ready task; seconds taken."""
    t0 = time.perf_counter()
    view = services.dossiers.start(CODE, applicant={"name": "Bench"}, actor="bench")
    with services.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM ready_tasks"))
        conn.execute(text("DELETE FROM timers"))
        conn.execute(text("""
            INSERT INTO dossiers (code, procedure_version_id, procedure_code, agency_id, channel, status, state,
                                  version, received_at, started_at, due_at, due_basis, completed_at, applicant,
                                  created_by, updated_at)
            SELECT d.code || '-' || g, d.procedure_version_id, d.procedure_code, d.agency_id, d.channel, d.status,
                   d.state, d.version, d.received_at, d.started_at, d.due_at, d.due_basis, d.completed_at,
                   d.applicant, d.created_by, d.updated_at
            FROM dossiers d, generate_series(1, :n) g WHERE d.id = :id"""), {"n": dossiers, "id": view.id})
        # Spread: agency and role by id, due from 15 days ago to 45 days ahead, every tenth assigned.
        conn.execute(text("""
            INSERT INTO ready_tasks (task_id, dossier_id, element_id, name, lane, form, candidate_role,
                                     candidate_agency, assignee, owner, created_at, due_at, due_basis, version)
            SELECT gen_random_uuid()::text, d.id, 'task_0', 'Step 0', 'official', NULL,
                   (ARRAY['official', 'one_stop_officer', 'leader'])[1 + d.id % 3],
                   '000.00.' || lpad((d.id / 3 % 40)::text, 2, '0') || '.H15',
                   CASE WHEN d.id % 10 = 0 THEN 'officer_' || (d.id / 10 % 20) END, NULL,
                   :now - interval '20 days' + (d.id % 1000) * interval '1 minute',
                   :now - interval '15 days' + (d.id * 7919 % 86400) * interval '1 minute',
                   NULL, 1
            FROM dossiers d WHERE d.id <> :id"""), {"id": view.id, "now": NOW})
    with services.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - t0


def queries(services: Services) -> dict[str, Callable[[], Any]]:
    svc = services.dossiers
    visible = (ME, {MY_AGENCY: set(ROLES)})  # an official holding every role of the agency
    mine = {MY_AGENCY: {"official"}}

    def page(n: int, **filters: Any) -> Callable[[], Any]:
        return lambda: svc.list_tasks(visible_to=visible, order="due", limit=PAGE, offset=(n - 1) * PAGE, **filters)

    return {
        "inbox, page 1": page(1),
        "inbox, page 10": page(10),
        "my roles (candidate=me)": page(1, candidate_of=mine),
        "assigned to me": page(1, assignee=ME),
        "overdue": page(1, overdue=True),
    }


def bare(services: Services) -> Callable[[], Any]:
    stmt = text("SELECT * FROM ready_tasks WHERE candidate_agency = :a AND candidate_role = :r "
                "ORDER BY due_at LIMIT :n")

    def run() -> Any:
        with services.db.read_engine.connect() as conn:
            return conn.execute(stmt, {"a": MY_AGENCY, "r": "official", "n": PAGE}).all()

    return run


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 dossiers, fewer repeats (< 1 min)")
    parser.add_argument("--dossiers", type=int, help="open dossiers (default 100000, quick 20000)")
    parser.add_argument("--repeat", type=int, help="runs of each query (default 200, quick 40)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    args = parser.parse_args(argv)
    dossiers = args.dossiers or (20_000 if args.quick else 100_000)
    repeat = args.repeat or (40 if args.quick else 200)

    with tempfile.TemporaryDirectory(prefix="motcua-inbox-bench.") as tmp_name, \
            bench_postgres(args.pg_url) as server:
        if server is None:
            print("inbox bench: no PostgreSQL server could be had: nothing measured")
            return 1
        tmp = Path(tmp_name)
        processes_dir, forms_dir = tmp / "processes", tmp / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, CODE, sequential(1, process_id="bench_inbox"))
        with scratch_database(server, "inbox") as url:
            services = build(Settings(database_url=url, processes_dir=processes_dir, forms_dir=forms_dir),
                             clock=ManualClock(NOW), migrate=True)
            try:
                services.procedures.sync()
                services.procedures.publish(CODE)
                seconds = fill(services, dossiers)
                print(f"inbox bench: {dossiers:,} open dossiers with a ready task each on PostgreSQL "
                      f"(filled in {seconds:.1f} s), {len(AGENCIES)} agencies x {len(ROLES)} roles; each query "
                      f"{repeat} times, in turns with the baseline{' (quick)' if args.quick else ''}")
                named = {"bare indexed SELECT (baseline)": bare(services), **queries(services)}
                for fn in named.values():  # warm-up: statement caches, pooled connections
                    fn()
                times: dict[str, list[float]] = {name: [] for name in named}
                totals: dict[str, int] = {}
                for _ in range(repeat):
                    for name, fn in named.items():
                        t0 = time.perf_counter()
                        result = fn()
                        times[name].append(time.perf_counter() - t0)
                        if isinstance(result, tuple):
                            totals[name] = result[1]
            finally:
                services.close()

    base = p95(times["bare indexed SELECT (baseline)"])
    worst = 0.0
    for name, ts in times.items():
        total = f", total {totals[name]:,}" if name in totals else ""
        print(f"{name:<32} p50 {1000 * statistics.median(ts):7.2f} ms, p95 {1000 * p95(ts):7.2f} ms{total}")
        if name in totals:
            worst = max(worst, p95(ts))
    print(f"worst inbox p95 {1000 * worst:.2f} ms (guide < {GUIDE_MS} ms) / bare SELECT p95 {1000 * base:.2f} ms")
    print(f"ratio={worst / base:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
