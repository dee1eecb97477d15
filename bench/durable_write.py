"""The cost of one durable write, measured in the bench's own run, on the bench's own database.

A completion must commit durably (PostgreSQL flushes its WAL to disk at COMMIT: fsync), which a
raw SpiffWorkflow step in memory, or a read-only floor request, never pays. On a slow disk that
alone can exceed the raw step (pg_test_fsync here: ~1.7 ms p50 on a quiet machine). The benches
print their issue-15 `ratio=` unchanged and, beside it, clearly labelled, the figure against a
floor that includes one such write, so a reader sees how much of the gap is the disk.

The write: one single-row INSERT into a scratch table, committed on its own (PostgreSQL: one
statement in autocommit mode, so one round trip and one WAL flush; SQLite: BEGIN IMMEDIATE,
INSERT, COMMIT on the WAL file with the app's settings). synchronous_commit and fsync are left as
the server has them: nothing is turned off to make a figure.
"""
from __future__ import annotations

import statistics
import time

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, Table, func, insert

_META = MetaData()
_SCRATCH = Table("bench_durable_write", _META,
                 Column("id", Integer, primary_key=True, autoincrement=True),
                 Column("at", DateTime(timezone=True), server_default=func.now()))


def durable_write_ms(engine: Engine, writes: int = 60) -> float:
    """p50 milliseconds of one committed single-row write (module docstring), after 5 warm-up writes."""
    _SCRATCH.create(engine, checkfirst=True)
    stmt = insert(_SCRATCH).values(at=func.now())
    autocommit = engine.dialect.name == "postgresql"
    runner = engine.execution_options(isolation_level="AUTOCOMMIT") if autocommit else engine
    times = []
    try:
        for i in range(writes + 5):
            t0 = time.perf_counter()
            if autocommit:
                with runner.connect() as conn:
                    conn.execute(stmt)
            else:
                with runner.begin() as conn:
                    conn.execute(stmt)
            if i >= 5:
                times.append(time.perf_counter() - t0)
    finally:
        _SCRATCH.drop(engine, checkfirst=True)
    return 1000 * statistics.median(times)
