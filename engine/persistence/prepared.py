"""Keep psycopg's prepared statements alive on PostgreSQL (issue 15).

psycopg prepares a statement on the server after it has run 5 times on a connection, so later runs
skip parsing and planning (about 0.5 ms of server time each for our hot statements). But psycopg
forgets every prepared statement on ROLLBACK (the transaction may have dropped what they refer to)
and sends ``DEALLOCATE ALL``. A unit of work that only read used to end with ROLLBACK, as
SQLAlchemy ends any transaction not committed, so on a server that answers reads and writes the
hot statements were parsed and planned afresh on every request.

A transaction that ran nothing but ``SELECT`` statements ends with COMMIT instead: for the data it
is the same as ROLLBACK (nothing was written; a ``SELECT … FOR UPDATE`` lock is released either
way), and the prepared statements survive. Anything else (INSERT, UPDATE, DELETE, a ``WITH`` that
may modify data, a SAVEPOINT) still rolls back when not committed.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event

_WROTE = "motcua_wrote"


def track_writes(engine: Engine) -> None:
    """Mark each transaction on `engine` that ran a statement other than a plain SELECT."""

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not conn.info.get(_WROTE) and statement.lstrip()[:6].upper() != "SELECT":
            conn.info[_WROTE] = True


def only_read(conn: Connection) -> bool:
    """True when the current transaction on `conn` (tracked by `track_writes`) ran only SELECTs."""
    return conn.info.get(_WROTE) is False
