"""Connections to SQLite (embedded default) or PostgreSQL (production), and schema upgrades."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from . import prepared, write_behind
from .write_behind import Exchanges

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = ROOT / "migrations"
# A lock key shared by every process migrating the same PostgreSQL database.
_MIGRATION_LOCK = 0x6D6F7463


@dataclass
class Database:
    url: str
    engine: Engine  # writes (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing)
    read_engine: Engine
    write_sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    # Single-statement reads on every request (token revocation): no BEGIN/ROLLBACK round trips.
    autocommit_sessions: sessionmaker[Session]
    # PostgreSQL: round trips made by the write engine (write_behind.py), for tests and benches.
    exchanges: Exchanges | None = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    u = make_url(url)
    if u.database and u.database != ":memory:":
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across app crashes
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


# A pooled connection unused for longer than this is pinged before it is handed out. SQLAlchemy's
# pool_pre_ping pings on every checkout: one more round trip per transaction (issue 15), for a
# connection that was in use milliseconds ago. A connection that died within this window (server
# restart) fails its first statement instead; SQLAlchemy then drops every pooled connection made
# before it, so only that request fails (docs/operations.md).
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if getattr(dbapi_conn, "broken", False) or getattr(dbapi_conn, "closed", False):
            raise exc.InvalidatePoolError("the pooled connection is closed")
        if since is None or time.monotonic() - since <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as err:  # the pool retries with a new connection and drops older ones
            raise exc.InvalidatePoolError(f"the pooled connection failed its ping: {err}") from err


def connect(url: str, pool_size: int = 10, pipeline: bool = False) -> Database:
    """`pipeline`: PostgreSQL batches statements into fewer round trips (write_behind.py)."""
    exchanges: Exchanges | None
    if url.startswith("sqlite"):
        write = _sqlite_engine(url, immediate=True)
        read = autocommit = _sqlite_engine(url, immediate=False)
        exchanges = None  # in-process: no round trips to save
    else:
        write = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
        _ping_when_idle(write)
        prepared.track_writes(write)
        exchanges = write_behind.install(write, batch=pipeline)
        read = write
        autocommit = write.execution_options(isolation_level="AUTOCOMMIT")
    return Database(
        url=url,
        engine=write,
        read_engine=read,
        write_sessions=sessionmaker(write, expire_on_commit=False),
        read_sessions=sessionmaker(read, expire_on_commit=False),
        autocommit_sessions=sessionmaker(autocommit, expire_on_commit=False),
        exchanges=exchanges,
    )


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision`; safe when several processes start at once."""
    from alembic import command

    cfg = alembic_config(db.url)
    with db.engine.begin() as conn:
        if db.dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def current_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.read_engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """The newest schema revision this code's migrations know."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(db.url)).get_current_head()


def is_known_revision(db: Database, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(alembic_config(db.url)).get_revision(revision) is not None
    except CommandError:
        return False


def default_url() -> str:
    return os.environ.get("MOTCUA_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'motcua.db'}"
