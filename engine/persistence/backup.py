"""Whole-database copies and what a database holds.

SQLite: the online backup API of the sqlite3 module (a consistent copy while the app writes).
PostgreSQL: `pg_dump -Fc` / `pg_restore`, found on PATH or beside the server's binaries. Row counts
are taken from the very snapshot that is copied, so a manifest always describes its backup.
"""
from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url


class ToolError(RuntimeError):
    """A backup tool is missing or failed; the message says which and why."""


@dataclass(frozen=True)
class Contents:
    """What a database holds: every table with its row count, and other objects (PostgreSQL)."""

    tables: dict[str, int]
    other_objects: list[str]

    @property
    def empty(self) -> bool:
        return not self.tables and not self.other_objects

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


# ------------------------------------------------------------------ SQLite


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError(f"{url} is not a database file")
    return Path(database)


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def sqlite_contents(path: Path) -> Contents:
    if not path.exists() or path.stat().st_size == 0:
        return Contents({}, [])
    with closing(sqlite3.connect(path)) as conn:
        others = [f"{kind} {name}" for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('view', 'trigger') ORDER BY name")]
        return Contents(_sqlite_counts(conn), others)


def sqlite_backup(source: Path, dest: Path) -> dict[str, int]:
    """Copy `source` into the new file `dest` in one step of the online backup API (one read
    snapshot, writers go on meanwhile); returns the row counts of the copy."""
    with closing(sqlite3.connect(source, timeout=30)) as src, closing(sqlite3.connect(dest)) as dst:
        src.backup(dst)  # pages=-1: everything at once, so the copy is one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
        return _sqlite_counts(dst)


def sqlite_check(path: Path) -> str | None:
    """SQLite's own integrity check of a file; None when sound, else what it found."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            found = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    except sqlite3.Error as err:
        return str(err)
    return None if found == ["ok"] else "; ".join(found[:5])


def sqlite_restore(source: Path, target: Path) -> dict[str, int]:
    """Replace the (empty) database `target` with the content of `source`; returns its row counts."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src, \
            closing(sqlite3.connect(target, timeout=30)) as dst:
        src.backup(dst)
        return _sqlite_counts(dst)


# ------------------------------------------------------------------ PostgreSQL

_SYSTEM_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
_KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "S": "sequence", "f": "foreign table"}


def pg_contents(conn: Connection) -> Contents:
    """Tables (with row counts) and other relations in every non-system schema. Sequences that
    belong to a table column (serial, identity) go with their table and are not listed."""
    rows = conn.execute(text(f"""
        SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE {_SYSTEM_SCHEMAS} AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
          AND NOT (c.relkind = 'S' AND EXISTS (
              SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                AND d.deptype IN ('a', 'i')))
        ORDER BY 1, 2""")).all()
    tables: dict[str, int] = {}
    others: list[str] = []
    for schema, name, kind in rows:
        label = name if schema == "public" else f"{schema}.{name}"
        if kind in ("r", "p"):
            quoted = f'"{schema}"."{name}"'
            tables[label] = int(conn.execute(text(f"SELECT count(*) FROM {quoted}")).scalar_one())
        else:
            others.append(f"{_KINDS[kind]} {label}")
    return Contents(tables, others)


def pg_drop_empty_tables(conn: Connection, names: list[str]) -> list[str]:
    """Drop these tables (with their own sequences) if they still hold no rows other than the schema
    revision; returns the tables that have rows, in which case nothing is dropped."""
    quoted = []
    for name in names:
        schema, _, table = name.rpartition(".")
        quoted.append(f'"{schema or "public"}"."{table}"')
    if not quoted:
        return []
    # Locked first, so that no process can add a row between the count and the drop.
    conn.execute(text(f"LOCK TABLE {', '.join(quoted)} IN ACCESS EXCLUSIVE MODE"))
    with_rows = [n for n, q in zip(names, quoted)
                 if n != "alembic_version" and conn.execute(text(f"SELECT count(*) FROM {q}")).scalar_one()]
    if with_rows:
        return with_rows
    conn.execute(text(f"DROP TABLE {', '.join(quoted)} CASCADE"))
    return []


def _candidates(name: str, server_major: int | None) -> Iterator[str]:
    if os.environ.get("MOTCUA_PG_BINDIR"):
        yield os.path.join(os.environ["MOTCUA_PG_BINDIR"], name)
    on_path = shutil.which(name)
    if on_path:
        yield on_path
    if server_major is not None:  # Debian/Ubuntu and PGDG RPM layouts
        yield f"/usr/lib/postgresql/{server_major}/bin/{name}"
        yield f"/usr/pgsql-{server_major}/bin/{name}"
    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]), reverse=True):
        yield os.path.join(bindir, name)


def pg_tool(name: str, server_major: int | None) -> str:
    for candidate in _candidates(name, server_major):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise ToolError(
        f"{name} not found: not on PATH, not in $MOTCUA_PG_BINDIR, not in /usr/lib/postgresql/*/bin; "
        f"install the PostgreSQL client tools (version {server_major or 'of the server'} or newer, "
        f"e.g. apt-get install postgresql-client) or set MOTCUA_PG_BINDIR"
    )


def pg_server_major(conn: Connection) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URI without the password (which would show in `ps`) and the environment carrying it."""
    u = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return u.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-10:])
        raise ToolError(f"{os.path.basename(argv[0])} failed (exit status {done.returncode}): {tail}")


def pg_backup(engine: Engine, url: str, dest: Path) -> dict[str, int]:
    """`pg_dump -Fc` into `dest` from one exported snapshot; returns the row counts of that snapshot."""
    with engine.connect() as conn:
        tool = pg_tool("pg_dump", pg_server_major(conn))
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counted = pg_contents(conn).tables
            dsn, env = _libpq(url)
            # pg_dump imports the snapshot while this transaction still holds it open.
            _run([tool, "--format=custom", f"--snapshot={snapshot}", f"--file={dest}", f"--dbname={dsn}"], env)
    return counted


def pg_restore(engine: Engine, url: str, source: Path) -> None:
    """All or nothing (one transaction, stop at the first error). Objects are owned by the user of
    `url` and no grants are restored: the target server need not have the source's roles."""
    with engine.connect() as conn:
        tool = pg_tool("pg_restore", pg_server_major(conn))
    dsn, env = _libpq(url)
    _run([tool, "--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges",
          f"--dbname={dsn}", str(source)], env)
