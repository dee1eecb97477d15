"""Fewer round trips to PostgreSQL (issue 15), opt-in: ``MOTCUA_DB_PIPELINE=1``. Writes whose
result nobody reads wait, and travel with the next statement that needs an answer, or with the
COMMIT. The round trips of every PostgreSQL engine are counted (``Exchanges``), batching or not.

Without it a transaction pays one round trip per statement, plus one for psycopg's BEGIN and one
for the COMMIT. With psycopg's pipeline mode
(https://www.psycopg.org/psycopg3/docs/advanced/pipeline.html) several statements go out together
and their results come back in one exchange. SQLAlchemy reads a statement's results right after
executing it, so only what it does not read is batched:

- **write-behind**: a statement executed with the execution option ``WRITE_BEHIND`` (an INSERT,
  UPDATE or DELETE without RETURNING, whose row count nobody reads: a step, an event, an outbox row,
  ready-task and timer rows) is not sent; it waits, in order, on its connection,
  until
- the **next statement** that is sent: the waiting writes go first, in the same pipeline, so that
  statement sees them (nothing reads around a waiting write); or
- the **COMMIT**: waiting writes and the COMMIT go in one exchange. A ROLLBACK drops them (they
  would have been rolled back anyway).
- The first statement of a transaction goes in the same exchange as psycopg's BEGIN.

A completion is then 4 round trips instead of 6 (6 instead of 9 over HTTP, with the token check and
the audit record). Why opt-in: a pipeline costs psycopg about as much as a round trip on loopback
(measured here: one SELECT 0.11 ms alone, 0.18-0.20 ms in a pipeline; two 0.22 ms alone, 0.28-0.30
ms in one pipeline), so with the database on the same machine it saves nothing; it pays when each
round trip crosses a network (0.3 ms and more: 2-3 of them per completion).

An error in a waiting write is raised by the statement or the COMMIT it travels with (the
transaction is rolled back, as it would have been): callers that must see a write's own error, or
its row count, do not mark it. Nothing is kept between transactions, nor shared between
connections; SQLite (in-process, no round trips) ignores the option.
"""
from __future__ import annotations

import contextlib
import weakref
from typing import Any

from psycopg import Connection as PsycopgConnection
from psycopg import ServerCursor
from psycopg.pq import TransactionStatus
from sqlalchemy import Engine, event

# Execution option marking a statement whose result is not read (see the module docstring).
WRITE_BEHIND = {"motcua_write_behind": True}
_OPTION = "motcua_write_behind"

# The waiting writes of each psycopg connection: (many, SQL, parameters) in execution order.
_waiting: "weakref.WeakKeyDictionary[PsycopgConnection[Any], list[tuple[bool, str, Any]]]" = (
    weakref.WeakKeyDictionary())


def waiting(dbapi_conn: Any) -> int:
    """How many writes wait on this connection (for tests and benches)."""
    return len(_waiting.get(_raw(dbapi_conn), ()))


class Exchanges:
    """Counts the exchanges (round trips) this module makes or lets through, per engine: a
    statement sent alone, a pipeline (statements and waiting writes together), a COMMIT or
    ROLLBACK. For tests and benches; counting costs an integer addition."""

    def __init__(self) -> None:
        self.count = 0


def install(engine: Engine, batch: bool = True) -> Exchanges:
    """Count the round trips of a PostgreSQL (psycopg) engine and, with `batch`, pipeline
    write-behind on it (module docstring). Returns the engine's exchange counter."""
    exchanges = Exchanges()
    dialect = engine.dialect

    def _send(cursor: Any, statement: str, parameters: Any, many: bool, context: Any) -> bool:
        if not batch:  # psycopg sends BEGIN on its own before a transaction's first statement
            conn = cursor.connection
            exchanges.count += 1 + (conn.pgconn.transaction_status == TransactionStatus.IDLE and not conn.autocommit)
            return False
        if (context is not None and context.execution_options.get(_OPTION) and _result_unread(context)
                and not cursor.connection.autocommit):  # in autocommit, no COMMIT would carry it
            _waiting.setdefault(cursor.connection, []).append((many, statement, parameters))
            return True  # SQLAlchemy sees a statement without rows, as it would after sending it
        conn = cursor.connection
        pending = _waiting.pop(conn, None)
        starts = conn.pgconn.transaction_status == TransactionStatus.IDLE and not conn.autocommit
        if not pending and not starts or isinstance(cursor, ServerCursor):
            if pending:  # a server-side cursor cannot run in a pipeline: the writes go first
                _flush(conn, pending)
                exchanges.count += 1
            exchanges.count += 1
            return False  # SQLAlchemy sends it as usual
        with conn.pipeline():
            _queue(conn, pending or [])
            (cursor.executemany if many else cursor.execute)(statement, parameters)
        exchanges.count += 1
        return True

    @event.listens_for(engine, "do_execute")
    def _do_execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return _send(cursor, statement, parameters, False, context)

    @event.listens_for(engine, "do_executemany")
    def _do_executemany(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
        return _send(cursor, statement, parameters, True, context)

    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_conn: Any) -> None:
        conn = _raw(dbapi_conn)
        pending = _waiting.pop(conn, None)
        exchanges.count += bool(pending) or conn.pgconn.transaction_status != TransactionStatus.IDLE
        if not pending:
            commit(dbapi_conn)
            return
        try:
            with conn.pipeline():  # psycopg queues the COMMIT and syncs: one exchange for all
                _queue(conn, pending)
                commit(dbapi_conn)
        except Exception:
            # In a pipeline the COMMIT after a failed write is skipped and the transaction stays
            # open, aborted; a COMMIT that fails on its own ends it. End it, as callers expect.
            if conn.pgconn.transaction_status != TransactionStatus.IDLE:
                with contextlib.suppress(Exception):
                    rollback(dbapi_conn)
            raise

    def do_rollback(dbapi_conn: Any) -> None:
        conn = _raw(dbapi_conn)
        _waiting.pop(conn, None)
        exchanges.count += conn.pgconn.transaction_status != TransactionStatus.IDLE
        rollback(dbapi_conn)

    # The dialect object belongs to this engine alone (create_engine makes one per engine).
    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    return exchanges


def _result_unread(context: Any) -> bool:
    """An INSERT, UPDATE or DELETE without RETURNING: SQLAlchemy reads nothing back from it."""
    compiled = getattr(context, "compiled", None)
    return bool(compiled is not None and (compiled.isinsert or compiled.isupdate or compiled.isdelete)
                and not compiled.effective_returning)


def _raw(dbapi_conn: Any) -> Any:
    """The psycopg connection behind SQLAlchemy's pool proxy."""
    return getattr(dbapi_conn, "dbapi_connection", dbapi_conn)


def _queue(conn: Any, pending: list[tuple[bool, str, Any]]) -> None:
    cursor = conn.cursor()
    for many, statement, parameters in pending:
        (cursor.executemany if many else cursor.execute)(statement, parameters)


def _flush(conn: Any, pending: list[tuple[bool, str, Any]]) -> None:
    with conn.pipeline():
        _queue(conn, pending)
