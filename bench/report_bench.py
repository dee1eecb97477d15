"""Benchmark: the on-time report (N-7) over 1,000,000 dossiers on PostgreSQL, against a plain GROUP BY.

What it measures
    N dossiers (default 1,000,000; ``--quick``: 100,000) written with one set-based
    ``INSERT … SELECT … FROM generate_series`` over a year of receipts, 20 agencies and 5 procedures:
    9 in 10 finished with a stored class (early / on time / late in turn, 1 in 30 withdrawn without
    a class), 1 in 10 open, 1 in 50 re-appointed, 1 in 200 with a recorded supplement pause.
    Timed: ``ReportService.on_time`` for the whole year by agency (received, finished, early,
    on time, late, unclassified, re-appointed, open, open-and-late with pauses checked).
    Baseline: ``SELECT agency_id, procedure_code, COUNT(*) … GROUP BY agency_id, procedure_code``
    over the same rows (the same WHERE the report scans), in the same run.

Why it is fair
    Same rows, same WHERE, same database, after ``VACUUM ANALYZE``; best of the rounds for each, the
    report timed end to end through the service (query, pause check, rows built).

Usage
    .venv/bin/python bench/report_bench.py [--quick] [--dossiers N] [--rounds R] [--pg-url URL]

The last line printed is ``ratio=<report / plain GROUP BY>`` (target <= 2; under 2 s absolute as a guide).
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pg_server import bench_postgres, scratch_database  # noqa: E402
from engine.bootstrap import build  # noqa: E402
from engine.clock import ManualClock  # noqa: E402
from engine.domain.access import Official  # noqa: E402
from engine.persistence.database import connect, upgrade  # noqa: E402
from engine.services.reports import ReportQuery  # noqa: E402
from engine.settings import Settings  # noqa: E402

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CONTROL = Official("bench", "000.00.01.H15", frozenset({"control_office"}))
PROCEDURES = 5
AGENCIES = 20

FILL = """
INSERT INTO dossiers (code, procedure_version_id, procedure_code, agency_id, channel, status, state, version,
                      received_at, started_at, due_at, due_basis, completed_at, applicant, applicant_name,
                      timeliness, timeliness_reappointed, created_by, updated_at)
SELECT 'B-' || g, v.id, v.code, '000.00.' || lpad((g % :agencies)::text, 2, '0') || '.H15',
       CASE WHEN g % 3 = 0 THEN 'online' ELSE 'desk' END,
       CASE WHEN g % 10 = 0 THEN 'processing' WHEN g % 30 = 1 THEN 'withdrawn' ELSE 'processed' END,
       '{}', 1, r.at, r.at, r.at + interval '5 days',
       CASE WHEN g % 200 = 0 THEN jsonb_build_object('from', r.at, 'working_days', 3, 'pauses',
                 jsonb_build_array(jsonb_build_array(r.at + interval '1 day', r.at + interval '3 days')))
            ELSE jsonb_build_object('from', r.at, 'working_days', 3) END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE r.at + (g % 9) * interval '1 day' END,
       '{}'::jsonb, 'Người nộp ' || g,
       CASE WHEN g % 10 = 0 OR g % 30 = 1 THEN NULL
            WHEN g % 9 < 4 THEN 'early' WHEN g % 9 < 6 THEN 'on_time' ELSE 'late' END,
       CASE WHEN g % 50 = 7 THEN 'on_time' END,
       'bench', r.at
FROM generate_series(1, :n) AS g
JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, (metadata ->> 'code') AS code
      FROM procedure_versions) AS v ON v.k = g % :procedures
CROSS JOIN LATERAL (SELECT timestamptz '2026-01-01 08:00+07' + (g::float / :n) * interval '360 days' AS at) AS r
"""

BASELINE = """
SELECT agency_id, procedure_code, COUNT(*) FROM dossiers
WHERE received_at < :end AND (completed_at IS NULL OR completed_at >= :start)
GROUP BY agency_id, procedure_code
"""


def timed(fn, rounds: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        gc.collect()
        gc.disable()
        try:
            t0 = time.perf_counter()
            result = fn()
            best = min(best, time.perf_counter() - t0)
        finally:
            gc.enable()
    return best, result


def fill(db, n: int) -> None:
    """The procedures and N dossiers, then VACUUM ANALYZE."""
    with db.engine.begin() as conn:
        for k in range(PROCEDURES):
            pid = conn.execute(text("INSERT INTO procedures (code, created_at) VALUES (:c, now()) RETURNING id"),
                               {"c": f"P-{k}"}).scalar_one()
            conn.execute(text(
                "INSERT INTO procedure_versions (procedure_id, number, content_hash, state, created_at, metadata, "
                "sources, process_id, spec, serializer_version) VALUES (:p, 1, :h, 'published', now(), "
                "CAST(:m AS jsonb), '{}', 'p', '{}', '1')"),
                {"p": pid, "h": f"h{k}", "m": f'{{"code": "P-{k}", "field": "F{k % 2}", "agency_id": "x"}}'})
        conn.execute(text(FILL), {"n": n, "agencies": AGENCIES, "procedures": PROCEDURES})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE dossiers"))


def bench(url: str, n: int, rounds: int) -> float:
    db = connect(url)
    upgrade(db)
    t0 = time.perf_counter()
    fill(db, n)
    print(f"postgresql: {n:,} dossiers inserted in {time.perf_counter() - t0:.1f} s", flush=True)

    svc = build(Settings(database_url=url), clock=ManualClock(datetime(2027, 1, 15, 9, 0, tzinfo=VN)), migrate=False)
    try:
        query = ReportQuery.parse("2026", ["agency"])
        start, end = query.period.bounds(VN)

        def report():
            return svc.reports.on_time(CONTROL, query)

        def baseline():
            with db.engine.connect() as conn:
                return conn.execute(text(BASELINE), {"start": start, "end": end}).all()

        report()  # warm the procedure catalogue and the connection pools
        baseline()
        base, rows = timed(baseline, rounds)
        full, result = timed(report, rounds)
    finally:
        svc.close()
        db.dispose()
    total = result.total
    assert total.received == n and sum(r[2] for r in rows) == n, (total, sum(r[2] for r in rows))
    print(f"postgresql: report {full:.3f} s (received {total.received:,}, finished {total.finished:,}, "
          f"late {total.late:,}, open {total.open:,}, open and late {total.open_late:,}); "
          f"plain GROUP BY {base:.3f} s: ratio {full / base:.2f}", flush=True)
    return full / base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="100,000 dossiers (< 1 min)")
    parser.add_argument("--dossiers", type=int, help="dossiers (default 1000000, quick 100000)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds, best counts (default 3)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server; none: prints ratio=nan")
    args = parser.parse_args()
    n = args.dossiers or (100_000 if args.quick else 1_000_000)
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(bench_postgres(args.pg_url))
        if server is None:
            print("ratio=nan")
            return
        url = stack.enter_context(scratch_database(server, "reports"))
        ratio = bench(url, n, args.rounds)
    print(f"ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
