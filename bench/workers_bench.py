"""Benchmark: completions per second with 1, 2 and 4 gunicorn workers on PostgreSQL, and that
nothing is lost or doubled (issue 15; printed, not a target: this machine has 2 cores).

What it measures
    The same server and client as bench/api_bench.py (gthread workers, one thread each; the
    10-user-task sequential procedure; one officer; a separate client process with keep-alive
    connections), started once per worker count on one scratch database. Each run registers its
    dossiers, then completes them from 4 client threads (``--concurrency``); the figure is
    completions per second over the wall clock of that pass.

    Afterwards the database is checked: every dossier registered is 'processed' with exactly one
    step per task (10) and no ready task left: a completion lost or applied twice shows there.

Usage
    .venv/bin/python bench/workers_bench.py [--quick] [--dossiers N] [--concurrency C]
        [--pg-url postgresql+psycopg://user@host:port/db | --no-pg]

The last line printed is ``ratio=<completions/s with the most workers / with one worker>``
(for information: the scaling these cores allow).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_bench import (  # noqa: E402
    CODE, TASKS, bench_database, gunicorn, prepare, run_client,
)
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

WORKERS = (1, 2, 4)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few dossiers per run (< 1 min on a quiet machine)")
    parser.add_argument("--dossiers", type=int, help="dossiers per worker count (default 30, quick 4)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite (one writer at a time)")
    args = parser.parse_args(argv)
    dossiers = args.dossiers or (4 if args.quick else 30)

    process = sequential(TASKS, process_id="bench_seq", lane="official")
    throughput: dict[int, float] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-workers-bench.") as tmp_name, \
            bench_database(args.pg_url, not args.no_pg, Path(tmp_name)) as (db_url, db_description):
        tmp = Path(tmp_name)
        processes_dir, forms_dir = tmp / "processes", tmp / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, CODE, process)
        services = prepare(db_url, processes_dir, forms_dir)
        try:
            print(f"workers bench: {dossiers} dossiers x {TASKS} completions per run from {args.concurrency} "
                  f"client threads, {db_description}{' (quick)' if args.quick else ''}", flush=True)
            for workers in WORKERS:
                with gunicorn(db_url, processes_dir, forms_dir, tmp / f"gunicorn-{workers}", workers, "gthread",
                              1) as server:
                    [result] = run_client(server.base, [(args.concurrency, dossiers, False)], 1)["passes"]
                done = len(result["complete_ms"])
                throughput[workers] = done / result["wall_s"]
                errors = result["errors"]
                print(f"{workers} worker(s): {done} completions in {result['wall_s']:.2f} s = "
                      f"{throughput[workers]:.1f} completions/s; {len(errors)} failed requests"
                      + (f" (first: {errors[0]})" if errors else ""), flush=True)
            with services.db.engine.connect() as conn:
                registered = conn.execute(text("SELECT count(*) FROM dossiers")).scalar_one()
                processed = conn.execute(text("SELECT count(*) FROM dossiers WHERE status = 'processed'")).scalar_one()
                odd = conn.execute(text(
                    "SELECT count(*) FROM dossiers d WHERE (SELECT count(*) FROM steps s WHERE s.dossier_id = d.id)"
                    " <> :n"), {"n": TASKS}).scalar_one()
                left = conn.execute(text("SELECT count(*) FROM ready_tasks")).scalar_one()
        finally:
            services.close()
    print(f"check: {registered} dossiers registered, {processed} processed, {odd} without exactly {TASKS} steps, "
          f"{left} ready tasks left (lost or doubled completions: {'none' if odd == left == 0 and processed == registered else 'SOME'})")
    if not (odd == left == 0 and processed == registered):
        return 1
    print(f"ratio={throughput[max(WORKERS)] / throughput[1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
