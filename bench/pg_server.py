"""A throwaway PostgreSQL server for benchmarks, and scratch databases on any server.

``throwaway_postgres()`` does what .ci/postgres.sh does, from Python: initdb into a fresh temporary
directory, ``pg_ctl start`` on a free loopback port (its own socket directory, nothing shared
with a server already running on the machine), and on exit ``pg_ctl stop -m fast`` and removal of
the directory, also on an exception, Ctrl-C or SIGTERM. PostgreSQL refuses to run as root, so
when we are root every server command runs as user ``postgres`` through ``runuser -u postgres --``.
Nothing is installed: when the binaries are missing, ``PostgresUnavailable`` says so.

``bench_postgres(pg_url)`` is what the bench scripts call: a server given with ``--pg-url``, else
a throwaway one, else ``None`` after printing why PostgreSQL is skipped. ``scratch_database``
creates a database on that server and drops it afterwards, so a bench never touches existing
data (with ``--pg-url`` the role needs CREATEDB).

    with bench_postgres(args.pg_url) as server:
        if server is not None:
            with scratch_database(server, "engine") as url:
                ...  # a SQLAlchemy URL of an empty database

A process killed with SIGKILL leaves its server running: stop it with
``pg_ctl -D /tmp/motcua-bench-pg.*/data stop`` (as postgres).
"""
from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import psycopg
from sqlalchemy.engine import URL, make_url

SERVER_USER = "postgres"
DRIVER = "postgresql+psycopg"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here (the message says why)."""


class PgServer:
    """A server on which we may create databases; `url` names its maintenance database."""

    def __init__(self, url: str | URL, description: str):
        self.url = make_url(url).set(drivername=DRIVER)
        self.description = description

    def _admin(self) -> psycopg.Connection[Any]:
        # CREATE/DROP DATABASE cannot run inside a transaction block.
        conninfo = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=10)

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        _check_name(name)
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_database(self, name: str) -> None:
        _check_name(name)
        with self._admin() as conn:
            # FORCE (PostgreSQL 13+) ends connections a pool may still hold.
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        raise ValueError(f"not a plain database name: {name!r}")


@contextlib.contextmanager
def scratch_database(server: PgServer, label: str) -> Iterator[str]:
    """An empty database on `server` for the duration of the block; yields its SQLAlchemy URL."""
    name = f"motcua_bench_{label}_{os.getpid()}"
    server.drop_database(name)  # a leftover of a killed run with the same pid
    url = server.create_database(name)
    try:
        yield url
    finally:
        server.drop_database(name)


def find_bindir() -> Path | None:
    """The newest /usr/lib/postgresql/<version>/bin with initdb, else the directory of initdb on PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.name)) or (0,)

    for bindir in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=version, reverse=True):
        if os.access(os.path.join(bindir, "initdb"), os.X_OK):
            return Path(bindir)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def free_port() -> int:
    """A loopback port nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """Let SIGTERM unwind the stack like Ctrl-C does, so the server is stopped and removed."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def throwaway_postgres(database: str = "postgres", settings: dict[str, str] | None = None,
                       start_timeout: float = 60.0) -> Iterator[PgServer]:
    """Start a private PostgreSQL server on a free loopback port; stop and delete it on exit.

    `settings` are extra ``-c name=value`` server settings. The defaults are PostgreSQL's own,
    fsync and synchronous_commit on, as in production and in CI.
    """
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("PostgreSQL binaries not found (no /usr/lib/postgresql/*/bin/initdb, "
                                  "no initdb on PATH); install the 'postgresql' package or pass --pg-url")
    run: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise PostgresUnavailable(f"running as root and there is no {SERVER_USER!r} user to run the server "
                                      "(.ci/postgres.sh creates one); or pass --pg-url") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root and runuser is missing; or pass --pg-url")
        run = [runuser, "-u", SERVER_USER, "--"]

    base = Path(tempfile.mkdtemp(prefix="motcua-bench-pg."))
    data, log = base / "data", base / "log"
    started = False
    with _sigterm_as_exit():
        try:
            if owner is not None:
                os.chown(base, owner.pw_uid, owner.pw_gid)
            _run(run + [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", SERVER_USER,
                        "-E", "UTF8", "--no-sync"], "initdb", base)
            options = {"listen_addresses": "127.0.0.1", "max_connections": "100", **(settings or {})}
            for attempt in range(3):  # another process may take the port between pick and bind
                port = free_port()
                opts = f"-p {port} -k {base} " + " ".join(f"-c {k}={v}" for k, v in options.items())
                started = True  # from here on a stop is attempted, even if start failed half-way
                proc = subprocess.run(run + [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w",
                                             "-t", str(int(start_timeout)), "-o", opts, "start"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=base)
                if proc.returncode == 0:
                    break
                if attempt == 2 or "could not bind" not in _tail(log):
                    raise PostgresUnavailable(f"pg_ctl start failed: {proc.stderr.strip()}\n{_tail(log)}")
            url = URL.create(DRIVER, username=SERVER_USER, host="127.0.0.1", port=port, database=database)
            version = _server_version(bindir)
            yield PgServer(url, f"throwaway PostgreSQL {version} on 127.0.0.1:{port} ({base})")
        finally:
            if started:
                subprocess.run(run + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=base)
            shutil.rmtree(base, ignore_errors=True)


def _run(cmd: list[str], what: str, cwd: Path) -> None:
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=cwd)
    if proc.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({proc.returncode}): {proc.stderr.strip()}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _server_version(bindir: Path) -> str:
    try:
        out = subprocess.run([str(bindir / "postgres"), "--version"], capture_output=True, text=True).stdout
    except OSError:
        return "?"
    m = re.search(r"(\d+(?:\.\d+)*)", out)
    return m.group(1) if m else "?"


@contextlib.contextmanager
def bench_postgres(pg_url: str | None) -> Iterator[PgServer | None]:
    """The server to bench on: `pg_url` if given, else a throwaway one, else None (reason printed)."""
    if pg_url:
        yield PgServer(pg_url, f"PostgreSQL at {make_url(pg_url).render_as_string(hide_password=True)}")
        return
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        server: PgServer | None = None
        try:  # only a failure to start means "skip"; errors of the bench itself propagate
            server = stack.enter_context(throwaway_postgres())
            print(f"postgres: started {server.description} in {time.perf_counter() - t0:.1f} s", flush=True)
        except PostgresUnavailable as err:
            print(f"postgres: SKIPPED, {err}", flush=True)
        yield server
