"""Benchmark: completing a user task over real HTTP (gunicorn, PostgreSQL) against a floor: an
authenticated one-round-trip request on the same server plus the raw SpiffWorkflow step.

What it measures
    The latency and throughput of ``POST /api/tasks/{id}/complete`` as an official's browser
    would see it: the API (``api.wsgi:app``) runs under gunicorn (2 workers by default, gthread
    worker with one thread each, so HTTP keep-alive is honoured; gunicorn's sync worker closes
    every connection) on a free loopback port, against PostgreSQL (``--pg-url``, a scratch database
    is created and dropped there, or a throwaway server from bench/pg_server.py; SQLite, said
    loudly, when no PostgreSQL can be had or with ``--no-pg``). Before gunicorn starts, the
    database is migrated, a 10-user-task sequential procedure (``sequential(10)`` of
    tests/support/bpmn.py, lane ``official``, a working-hours deadline per task) is synced and
    published, and one local account with roles one_stop_officer + official is created, so one
    user registers every dossier and completes every task.

    A separate client process (this script with ``--client``, so client and server do not share
    a GIL) logs in, changes the password as a new account must, then runs two passes, each with
    requests.Session keep-alive connections:

    concurrency 1   one connection, requests one after another: the latency of a completion
                    without queuing. Its p50 is the headline figure.
    concurrency C   C threads with a connection each (``--concurrency``, default 4, so both
                    workers are busy): completions per second over the wall clock of the pass,
                    and the latency under that load.

    In each pass the timed dossiers are registered first (untimed), so the wall clock covers the
    10 completions of each dossier and nothing else. Every completion is checked: HTTP 200, one
    next task until the last, the last one answering status "processed"; any 5xx or other
    failure makes the run fail (exit status 1, no ratio line).

    In the same run, in this process while the server idles: the raw SpiffWorkflow loop of
    bench/engine_bench.py (``RawLoop``: deserialize the whole workflow, run the ready task,
    serialize it again, spec included, around each task) and, for the breakdown, the service
    layer called in-process on the same database (engine_bench's ``ServiceLoop``).

Why the comparison is fair
    Both sides do the same work per task: the same procedure, the same form data, the state
    loaded and saved around every task. The raw loop is measured exactly as engine_bench does it
    (a warm-up round, best of several rounds, the garbage collector off during a round): that
    gives the raw side its best figure, so the ratio is, if anything, on the harsh side. The HTTP
    side is warmed up too (each connection, hence each worker it lands on, runs whole dossiers
    before timing) and its p50 is taken at concurrency 1 so queuing behind other requests does
    not inflate it; the concurrent pass is reported separately, as throughput. Client and server
    run on this machine: the latency includes the client's own cost (requests) and loopback TCP,
    which a browser on the LAN would add too. Passwords are hashed with cheap argon2 parameters
    (MOTCUA_ARGON2_MEMORY_KIB) because logins are not measured.

    The workers are instrumented through a gunicorn config file written for the run (the API
    code is untouched): each response gets ``Server-Timing: app;dur=<ms>`` (time inside the
    Flask app: authentication, validation, the service call, the audit record, JSON) and the
    worker's pid, so the latency can be split into app time and HTTP + gunicorn + client time.
    That costs two perf_counter calls per request.

Profile hint
    ``--profile`` runs a few more dossiers after the timed passes with a header that makes the
    worker run the request under cProfile; the workers dump their profiles when gunicorn stops,
    and the top functions by cumulative time and the own time grouped by area are printed.

Usage
    .venv/bin/python bench/api_bench.py [--quick] [--dossiers N] [--concurrency C] [--rounds R]
        [--pg-url postgresql+psycopg://user@host:port/db | --no-pg] [--workers W]
        [--worker-class gthread|sync] [--threads T] [--profile]

The floor
    HTTP, gunicorn, authentication and one database round trip cost something whatever Motcua
    does, so a completion is not compared with the raw step alone (that target was unreachable
    by construction). In the concurrency-1 pass, after each timed completion the same connection
    sends ``GET /api/auth/me`` (authenticated, one database round trip: the token check), timed
    too. The floor is its p50; the denominator is floor + raw step.

    A completion must also commit durably (a WAL flush), which the read-only floor never pays: the
    same figure against floor + one committed single-row write on the same database, measured in
    the run (bench/durable_write.py), is printed too, labelled; it does not replace the ratio.

The last line printed is ``ratio=<p50 of POST .../complete at concurrency 1 / (floor p50 + raw ms
per task)>`` (target <= 1.5: everything Motcua adds beyond the unavoidable is at most half of it).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import pstats
import queue
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
# Let `python bench/api_bench.py` import the engine (and the test BPMN writer) from this checkout.
sys.path.insert(0, str(ROOT))

from bench.engine_bench import (  # noqa: E402
    CODE, TARGET, TASKS, RawLoop, ServiceLoop, _label, task_data, timed_round,
)
from bench.durable_write import durable_write_ms  # noqa: E402
from bench.pg_server import bench_postgres, free_port, scratch_database  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

# Issue 15: what Motcua adds beyond the unavoidable (an authenticated round trip + SpiffWorkflow's
# own step) is at most half of it.
API_TARGET = 1.5

AGENCY = "000.00.12.H15"  # write_procedure's default agency: the procedure's competent agency
USERNAME = "bench_officer"
FIRST_PASSWORD = "mat-khau-dau-tien-1"
NEW_PASSWORD = "mat-khau-da-doi-2"
ROLES = ("one_stop_officer", "official")
ARGON2_MEMORY_KIB = 8192  # logins are not measured: keep them cheap
ARGON2_TIME_COST = 1
PROCESSED = "processed"
PROFILE_HEADER = "X-Bench-Profile"

# The gunicorn config file written for the run. Hooks run in each worker: wrap the WSGI app to
# add the app time and the worker pid to every response (and to profile flagged requests),
# signal readiness with a file once the app is loaded, dump the profile on exit.
GUNICORN_CONFIG = '''\
"""Written by bench/api_bench.py for one run."""
import cProfile
import os
import time

_DIR = os.environ["MOTCUA_BENCH_DIR"]


class _Instrumented:
    def __init__(self, app):
        self.app = app
        self.pid = str(os.getpid())
        self.profiler = cProfile.Profile()
        self.profiled = 0

    def __call__(self, environ, start_response):
        t0, c0 = time.perf_counter(), time.thread_time()

        def start(status, headers, exc_info=None):
            # Flask calls start_response once the response is built, after_request hooks included.
            # cpu: this thread's CPU time, which a loaded machine inflates far less than wall time.
            headers.append(("Server-Timing", "app;dur=%.3f, cpu;dur=%.3f" % (
                1000 * (time.perf_counter() - t0), 1000 * (time.thread_time() - c0))))
            headers.append(("X-Bench-Worker", self.pid))
            # The client's port names the TCP connection: the client counts them to check keep-alive.
            headers.append(("X-Bench-Peer", str(environ.get("REMOTE_PORT", ""))))
            return start_response(status, headers, exc_info)

        if "HTTP_X_BENCH_PROFILE" not in environ:
            return self.app(environ, start)
        self.profiled += 1
        self.profiler.enable()
        try:
            return self.app(environ, start)
        finally:
            self.profiler.disable()


def post_worker_init(worker):
    worker.wsgi = _Instrumented(worker.wsgi)
    open(os.path.join(_DIR, "ready-%d" % os.getpid()), "w").close()


def worker_exit(server, worker):
    app = getattr(worker, "wsgi", None)
    if isinstance(app, _Instrumented) and app.profiled:
        app.profiler.dump_stats(os.path.join(_DIR, "worker-%d.prof" % os.getpid()))
'''


# ============================================================ client (a separate process)


class BenchFailure(AssertionError):
    """The API answered something a correct server would not."""


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile, interpolated between the closest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _timing(response: requests.Response, metric: str) -> float | None:
    """A Server-Timing metric's duration (ms): "app" (wall time in the app) or "cpu" (its CPU time)."""
    for entry in response.headers.get("Server-Timing", "").split(","):
        name, _, dur = entry.strip().partition(";dur=")
        if name == metric and dur:
            return float(dur)
    return None


def _app_ms(response: requests.Response) -> float | None:
    return _timing(response, "app")


@dataclass
class Record:
    """What one client thread saw."""

    complete_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)  # GET /api/auth/me, one after each completion
    app_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # the app's CPU time per completion
    floor_cpu_ms: list[float] = field(default_factory=list)  # and per floor request
    workers: Counter[str] = field(default_factory=Counter)
    connections: set[str] = field(default_factory=set)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    processed: int = 0

    def merge(self, other: "Record") -> None:
        self.complete_ms += other.complete_ms
        self.floor_ms += other.floor_ms
        self.cpu_ms += other.cpu_ms
        self.floor_cpu_ms += other.floor_cpu_ms
        self.app_ms += other.app_ms
        self.workers.update(other.workers)
        self.connections |= other.connections
        self.statuses.update(other.statuses)
        self.errors += other.errors
        self.processed += other.processed


class Client:
    """One keep-alive connection (requests.Session) acting as the officer."""

    def __init__(self, base: str, token: str, profile: bool = False, floor: bool = False):
        self.base = base
        self.floor = floor
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.complete_headers = {PROFILE_HEADER: "1"} if profile else {}

    def _check(self, response: requests.Response, expected: int, record: Record, what: str) -> dict[str, Any]:
        record.statuses[response.status_code] += 1
        if response.status_code != expected:
            raise BenchFailure(f"{what}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    def register(self, n: int, record: Record) -> str:
        """Register a dossier; returns its first task's id."""
        body = {"procedure_code": CODE, "applicant": {"name": f"Người nộp {n}"}}
        view = self._check(self.session.post(f"{self.base}/api/dossiers", json=body), 201, record, "register")
        tasks = view["current_tasks"]
        if len(tasks) != 1:
            raise BenchFailure(f"dossier {view['code']}: {len(tasks)} ready tasks after registration, expected 1")
        return tasks[0]["task_id"]

    def complete_dossier(self, task_id: str, record: Record, timed: bool = True) -> None:
        """Complete the dossier's tasks one by one, each next task taken from the response."""
        done: dict[str, Any] = {}
        for step in range(TASKS):
            url = f"{self.base}/api/tasks/{task_id}/complete"
            t0 = time.perf_counter()
            response = self.session.post(url, json={"data": task_data(step)}, headers=self.complete_headers)
            elapsed = time.perf_counter() - t0
            done = self._check(response, 200, record, f"complete step {step}")
            if timed:
                record.complete_ms.append(1000 * elapsed)
                app = _app_ms(response)
                if app is not None:
                    record.app_ms.append(app)
                cpu = _timing(response, "cpu")
                if cpu is not None:
                    record.cpu_ms.append(cpu)
                record.workers[response.headers.get("X-Bench-Worker", "?")] += 1
                record.connections.add(response.headers.get("X-Bench-Peer", "?"))
                if self.floor:
                    record.floor_ms.append(self.floor_request(record))
            tasks = done["current_tasks"]
            if step < TASKS - 1:
                if len(tasks) != 1:
                    raise BenchFailure(f"dossier {done['dossier_code']}: {len(tasks)} ready tasks after step {step}")
                task_id = tasks[0]["task_id"]
        if done["status"] != PROCESSED or done["current_tasks"]:
            raise BenchFailure(f"dossier {done['dossier_code']} ended {done['status']!r} with "
                               f"{len(done['current_tasks'])} ready tasks, not {PROCESSED!r}")
        record.processed += 1


    def floor_request(self, record: Record) -> float:
        """The floor: an authenticated request on the same server and connection that does one
        database round trip (the token check) and nothing of Motcua's own; milliseconds."""
        t0 = time.perf_counter()
        response = self.session.get(f"{self.base}/api/auth/me")
        elapsed = time.perf_counter() - t0
        self._check(response, 200, record, "floor GET /api/auth/me")
        cpu = _timing(response, "cpu")
        if cpu is not None:
            record.floor_cpu_ms.append(cpu)
        return 1000 * elapsed


def login(base: str) -> str:
    """Log in; a new account's token only allows changing the password, so change it."""
    with requests.Session() as s:
        r = s.post(f"{base}/api/auth/login", json={"username": USERNAME, "password": FIRST_PASSWORD})
        if r.status_code == 401:  # a later run on the same database (workers_bench): already changed
            r = s.post(f"{base}/api/auth/login", json={"username": USERNAME, "password": NEW_PASSWORD})
        if r.status_code != 200:
            raise BenchFailure(f"login: HTTP {r.status_code} {r.text[:300]}")
        token = r.json()
        if token["must_change_password"]:
            r = s.post(f"{base}/api/auth/password", headers={"Authorization": f"Bearer {token['access_token']}"},
                       json={"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD})
            if r.status_code != 200:
                raise BenchFailure(f"password change: HTTP {r.status_code} {r.text[:300]}")
            token = r.json()
        if token["scope"] != "api":
            raise BenchFailure(f"token scope {token['scope']!r} after the password change")
        return str(token["access_token"])


def run_pass(base: str, token: str, concurrency: int, dossiers: int, warmup: int, first: int,
             profile: bool = False) -> dict[str, Any]:
    """Warm up each connection, register the dossiers, then complete them from `concurrency` threads."""
    # At concurrency 1 each completion is followed by a floor request on the same connection, so
    # both see the same load on this shared machine.
    clients = [Client(base, token, profile, floor=concurrency == 1 and not profile) for _ in range(concurrency)]
    timed = [Record() for _ in clients]
    untimed = [Record() for _ in clients]  # warm-up and registrations: checked, not timed

    def attempt(record: Record, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except (BenchFailure, requests.RequestException) as err:
            record.errors.append(f"{type(err).__name__}: {err}")
            return None

    def warm(client: Client, record: Record, n0: int) -> None:
        for n in range(n0, n0 + warmup):
            task_id = attempt(record, client.register, n, record)
            if task_id is not None:
                attempt(record, client.complete_dossier, task_id, record, False)

    # Warm-up in parallel, so each connection lands on a worker and warms it before timing.
    threads = [threading.Thread(target=warm, args=(c, r, first + i * warmup))
               for i, (c, r) in enumerate(zip(clients, untimed))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Registered beforehand, so the timed part is completions only.
    work: queue.Queue[str] = queue.Queue()
    for n in range(first + concurrency * warmup, first + concurrency * warmup + dossiers):
        task_id = attempt(untimed[0], clients[0].register, n, untimed[0])
        if task_id is not None:
            work.put(task_id)
    barrier = threading.Barrier(concurrency + 1)

    def drain(client: Client, record: Record) -> None:
        barrier.wait()
        while True:
            try:
                task_id = work.get_nowait()
            except queue.Empty:
                return
            attempt(record, client.complete_dossier, task_id, record)

    threads = [threading.Thread(target=drain, args=(c, r)) for c, r in zip(clients, timed)]
    for t in threads:
        t.start()
    barrier.wait()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    for c in clients:
        c.session.close()

    total, checked = Record(), Record()
    for r in timed:
        total.merge(r)
    for r in untimed:
        checked.merge(r)
    return {"concurrency": concurrency, "dossiers": dossiers, "wall_s": wall, "client_cpu_s": cpu,
            "complete_ms": total.complete_ms, "floor_ms": total.floor_ms, "app_ms": total.app_ms,
            "cpu_ms": total.cpu_ms, "floor_cpu_ms": total.floor_cpu_ms, "workers": dict(total.workers),
            "connections": len(total.connections), "processed": total.processed,
            "statuses": {str(k): v for k, v in (total.statuses + checked.statuses).items()},
            "errors": checked.errors + total.errors}


def client_main() -> int:
    """--client: read the plan (JSON) on stdin, print the results (JSON) on stdout."""
    plan = json.load(sys.stdin)
    base = plan["base"]
    token = login(base)
    results = {"passes": []}
    first = 0
    for concurrency, dossiers, profile in plan["passes"]:
        warmup = 0 if profile else plan["warmup"]
        results["passes"].append(run_pass(base, token, concurrency, dossiers, warmup, first, profile))
        first += dossiers + concurrency * warmup
    json.dump(results, sys.stdout)
    return 0


# ============================================================ server side


@dataclass
class Server:
    base: str
    proc: subprocess.Popen[bytes]
    bench_dir: Path
    startup_s: float
    command: list[str]


def _log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Graceful stop (workers finish, dump their profiles), then kill the group we created if need be."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the process group of this gunicorn only
            proc.wait()


@contextlib.contextmanager
def gunicorn(db_url: str, processes_dir: Path, forms_dir: Path, bench_dir: Path, workers: int,
             worker_class: str, threads: int) -> Iterator[Server]:
    """`gunicorn api.wsgi:app` on a free loopback port; yields once every worker has loaded the app
    and /api/health answers 200; stopped on exit (Ctrl-C and SIGTERM included)."""
    bench_dir.mkdir(parents=True, exist_ok=True)
    config = bench_dir / "gunicorn_conf.py"
    config.write_text(GUNICORN_CONFIG)
    log = bench_dir / "gunicorn.log"
    env = {
        **os.environ,
        "MOTCUA_DATABASE_URL": db_url,
        "MOTCUA_SECRET_KEY": secrets.token_urlsafe(48),
        "MOTCUA_PROCESSES_DIR": str(processes_dir),
        "MOTCUA_FORMS_DIR": str(forms_dir),
        "MOTCUA_SCHEDULER": "0",  # no timer sweeps competing with the requests
        "MOTCUA_MIGRATE_ON_START": "0",  # done before the start, once
        "MOTCUA_ARGON2_MEMORY_KIB": str(ARGON2_MEMORY_KIB),
        "MOTCUA_ARGON2_TIME_COST": str(ARGON2_TIME_COST),
        "MOTCUA_BENCH_DIR": str(bench_dir),
    }
    for attempt in range(3):  # another process may take the port between pick and bind
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", worker_class,
                   "--threads", str(threads), "-b", f"127.0.0.1:{port}", "-c", str(config),
                   # Long keep-alive: an idle connection between phases must not be closed under us.
                   "--keep-alive", "60", "--log-level", "warning", "api.wsgi:app"]
        t0 = time.perf_counter()
        with open(log, "ab") as out:
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # Ctrl-C reaches us only
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(proc, base, bench_dir, workers, log)
            server = Server(base, proc, bench_dir, time.perf_counter() - t0, command)
        except BaseException as err:
            _stop(proc)
            if isinstance(err, RuntimeError) and "Address already in use" in _log_tail(log) and attempt < 2:
                continue
            raise
        break
    try:
        yield server
    finally:
        _stop(server.proc)


def _wait_ready(proc: subprocess.Popen[bytes], base: str, bench_dir: Path, workers: int, log: Path,
                timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {proc.returncode}:\n{_log_tail(log)}")
        if len(list(bench_dir.glob("ready-*"))) >= workers:  # every worker has loaded the app
            try:
                if requests.get(f"{base}/api/health", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
        time.sleep(0.05)
    raise RuntimeError(f"gunicorn not ready after {timeout:.0f} s:\n{_log_tail(log)}")


@contextlib.contextmanager
def bench_database(pg_url: str | None, use_pg: bool, tmp: Path) -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL, description): a scratch PostgreSQL database, else SQLite, said loudly."""
    with contextlib.ExitStack() as stack:
        url: str | None = None
        description = ""
        if use_pg:
            server = stack.enter_context(bench_postgres(pg_url))
            if server is not None:
                try:
                    url = stack.enter_context(scratch_database(server, "api"))
                    description = server.description
                except psycopg.Error as err:
                    print(f"postgres: cannot create a scratch database on {server.description}: {err}", flush=True)
        if url is None:
            url = f"sqlite:///{tmp / 'api-bench.db'}"
            why = "as asked (--no-pg)" if not use_pg else "FALLBACK: PostgreSQL unavailable (see above)"
            print(f"database: SQLite {why}; {url}. Production runs on PostgreSQL: these figures are not "
                  "production-like", flush=True)
            description = "SQLite file (WAL)"
        yield url, description


def prepare(db_url: str, processes_dir: Path, forms_dir: Path) -> Services:
    """Migrated database, the bench procedure synced and published, the officer's account."""
    settings = Settings(database_url=db_url, processes_dir=processes_dir, forms_dir=forms_dir,
                        scheduler_enabled=False, argon2_memory_kib=ARGON2_MEMORY_KIB,
                        argon2_time_cost=ARGON2_TIME_COST)
    services = build(settings, migrate=True)
    [entry] = services.procedures.sync()
    if entry.outcome != "created":
        raise RuntimeError(f"procedure {CODE} not loaded: {entry}")
    services.procedures.publish(CODE)
    services.accounts.add(USERNAME, AGENCY, ROLES, display_name="Cán bộ thử tải", password=FIRST_PASSWORD)
    return services


def run_client(base: str, passes: list[tuple[int, int, bool]], warmup: int) -> dict[str, Any]:
    plan = {"base": base, "passes": passes, "warmup": warmup}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--client"], cwd=ROOT, check=False,
                          input=json.dumps(plan), capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"client failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if proc.stderr.strip():
        print(proc.stderr.rstrip(), file=sys.stderr)
    return json.loads(proc.stdout)


# ============================================================ report


def describe_pass(result: dict[str, Any]) -> str:
    lat, app = result["complete_ms"], result["app_ms"]
    n = len(lat)
    lines = [
        f"HTTP concurrency {result['concurrency']}: {n} completions ({result['dossiers']} dossiers) in "
        f"{result['wall_s']:.2f} s = {n / result['wall_s']:.1f} completions/s (the client process itself used "
        f"{1000 * result['client_cpu_s'] / n:.2f} ms CPU per completion)",
        f"    POST .../complete latency p50 {statistics.median(lat):.2f} ms, p95 {percentile(lat, 95):.2f} ms, "
        f"max {max(lat):.2f} ms",
    ]
    if app:
        lines.append(f"    of which in the Flask app (Server-Timing) p50 {statistics.median(app):.2f} ms, "
                     f"p95 {percentile(app, 95):.2f} ms; the rest (HTTP, gunicorn, requests, loopback) "
                     f"~{statistics.median(lat) - statistics.median(app):.2f} ms at p50")
    workers = ", ".join(f"pid {pid}: {count}" for pid, count in sorted(result["workers"].items()))
    kept = "keep-alive" if result["connections"] <= result["concurrency"] else "NOT kept alive"
    lines.append(f"    TCP connections seen by the server: {result['connections']} for {n} completions ({kept}); "
                 f"completions per worker: {workers}")
    return "\n".join(lines)


_AREAS = (  # (area, path fragments); our own code is matched by path under the checkout
    ("SpiffWorkflow", ("SpiffWorkflow",)),
    ("SQLAlchemy", ("sqlalchemy",)),
    ("database driver and server wait", ("psycopg", "sqlite3", "_sqlite")),
    ("JSON", ("/json/", "_json")),
    ("Flask / Werkzeug", ("/flask/", "/werkzeug/")),
    ("marshmallow", ("marshmallow",)),
    ("PyJWT", ("/jwt/",)),
    ("gunicorn", ("gunicorn",)),
)


def _area(filename: str, func: str) -> str:
    if filename.startswith(str(ROOT / "engine")):
        return "engine (ours)"
    if filename.startswith(str(ROOT / "api")):
        return "api (ours)"
    where = f"{filename} {func}"
    for area, needles in _AREAS:
        if any(n in where for n in needles):
            return area
    return "other"


def profile_report(bench_dir: Path, completions: int) -> None:
    files = sorted(str(p) for p in bench_dir.glob("worker-*.prof"))
    if not files or completions == 0:
        print("profile: no worker profile was written")
        return
    stats = pstats.Stats(*files)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = stats.total_tt  # type: ignore[attr-defined]
    per = 1000 / completions
    print(f"profile (in the workers, {completions} completions, {total * per:.2f} ms/completion under cProfile); "
          "top 15 by cumulative time:")
    print(f"  {'cum ms/req':>10} {'own ms/req':>10} {'calls/req':>9}  function")
    skip = ("_lsprof.Profiler", "gunicorn_conf.py")
    top = sorted(((k, v) for k, v in raw.items() if not any(s in _label(k) or s in k[0] for s in skip)),
                 key=lambda kv: kv[1][3], reverse=True)[:15]
    for key, (_cc, nc, _tt, ct, _callers) in top:
        print(f"  {ct * per:10.3f} {_tt * per:10.3f} {nc / completions:9.1f}  {_label(key)}")
    ours = sorted(((k, v) for k, v in raw.items() if _area(k[0], k[2]) in ("engine (ours)", "api (ours)")),
                  key=lambda kv: kv[1][3], reverse=True)[:12]
    print("  our functions, cumulative ms/req: " + ", ".join(
        f"{Path(k[0]).parent.name}/{Path(k[0]).stem}.{k[2]} {v[3] * per:.2f}" for k, v in ours))
    by_area: Counter[str] = Counter()
    for (filename, _line, func), (_cc, _nc, tt, _ct, _callers) in raw.items():
        by_area[_area(filename, func)] += tt
    print("  own time by area: " + ", ".join(f"{a} {100 * t / total:.0f}%" for a, t in by_area.most_common()))
    def calls(func: str, where: str) -> float:
        return sum(v[1] for k, v in raw.items() if k[2] == func and where in k[0]) / completions

    # One DBAPI commit per _commit_impl, one transaction per pool checkout, one ping per checkout
    # when the pool pre-pings.
    print(f"  per completion: {calls('_checkout', 'sqlalchemy/pool'):.1f} pooled-connection checkouts "
          f"(transactions), {calls('_commit_impl', 'sqlalchemy/engine'):.1f} commits, "
          f"{calls('do_ping', 'sqlalchemy/'):.1f} pre-ping round trips")


# ============================================================ main


def _sigterm_as_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwind: gunicorn and PostgreSQL are stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few dossiers, for a smoke test (< 1 min)")
    parser.add_argument("--dossiers", type=int, help="timed dossiers per HTTP pass (default 50, quick 5); "
                                                     "the concurrent pass runs twice as many")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads of the concurrent pass (default 4)")
    parser.add_argument("--rounds", type=int, help="in-process rounds of the raw loop, best counts (default 7, quick 3)")
    parser.add_argument("--pg-url", help="PostgreSQL server to use (a scratch database is created there); "
                                         "default: start a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"),
                        help="gunicorn worker class (default gthread: sync closes every connection, no keep-alive)")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker (default 1)")
    parser.add_argument("--profile", action="store_true", help="profile a few completions in the workers")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)  # the HTTP client process
    args = parser.parse_args(argv)
    if args.client:
        return client_main()

    dossiers = args.dossiers or (5 if args.quick else 50)
    rounds = args.rounds or (3 if args.quick else 7)
    in_process_dossiers = 3 if args.quick else 10
    warmup = 1 if args.quick else 2
    signal.signal(signal.SIGTERM, _sigterm_as_exit)

    process = sequential(TASKS, process_id="bench_seq", lane="official")
    with tempfile.TemporaryDirectory(prefix="motcua-api-bench.") as tmp_name, \
            bench_database(args.pg_url, not args.no_pg, Path(tmp_name)) as (db_url, db_description):
        tmp = Path(tmp_name)
        processes_dir, forms_dir = tmp / "processes", tmp / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, CODE, process)
        t0 = time.perf_counter()
        services = prepare(db_url, processes_dir, forms_dir)
        prepare_s = time.perf_counter() - t0
        try:
            with gunicorn(db_url, processes_dir, forms_dir, tmp / "gunicorn", args.workers, args.worker_class,
                          args.threads) as server:
                print(f"server: {' '.join(server.command[1:])}", flush=True)
                print(f"server: database prepared in {prepare_s:.1f} s, gunicorn ready in {server.startup_s:.1f} s "
                      f"({args.workers} workers loaded, /api/health 200)", flush=True)

                # In process, while the server idles: raw SpiffWorkflow, and the service layer for the breakdown.
                raw = RawLoop(process.xml(), process.id)
                service = ServiceLoop("service in-process", services)
                loops: list[RawLoop | ServiceLoop] = [raw, service]
                for loop in loops:  # warm-up: parsed specs, statement caches, pooled connections
                    loop.run(1)
                service.timing_ops = True
                times: dict[str, list[float]] = {loop.name: [] for loop in loops}
                for r in range(rounds):
                    for loop in loops[r % 2:] + loops[:r % 2]:  # rotate who goes first
                        times[loop.name].append(timed_round(loop.run, in_process_dossiers))

                # One committed single-row write on the same database (bench/durable_write.py).
                write_ms = durable_write_ms(services.db.engine, 20 if args.quick else 60)

                passes = [(1, dossiers, False), (args.concurrency, 2 * dossiers, False)]
                if args.profile:
                    passes.append((1, 3 if args.quick else 10, True))
                results = run_client(server.base, passes, warmup)["passes"]
            # gunicorn has stopped here: the workers have written their profiles.
        finally:
            services.close()

        seq, conc = results[0], results[1]
        raw_best = min(times[raw.name])
        threads = f" x {args.threads} thread(s)" if args.worker_class == "gthread" else ""
        print(f"api bench: {TASKS}-user-task sequential procedure over HTTP, gunicorn {version('gunicorn')} "
              f"({args.workers} {args.worker_class} workers{threads}), {db_description}"
              f"{' (quick)' if args.quick else ''}")
        print(f"SpiffWorkflow {version('SpiffWorkflow')}, Flask {version('Flask')}, SQLAlchemy {version('SQLAlchemy')}, "
              f"requests {version('requests')}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
        for loop in loops:
            ts = times[loop.name]
            print(f"{loop.name:<20} {1000 * min(ts):7.2f} ms/task  (best of {rounds} rounds of {in_process_dossiers} "
                  f"dossiers; median {1000 * statistics.median(ts):.2f})")
        print(f"{'':<22}{service.breakdown()}")
        print(describe_pass(seq))
        print(describe_pass(conc))

        failures = seq["errors"] + conc["errors"] + (results[2]["errors"] if args.profile else [])
        statuses: Counter[str] = Counter()
        for result in results:
            statuses.update(result["statuses"])
        server_errors = sum(v for k, v in statuses.items() if k.startswith("5"))
        processed = sum(result["processed"] for result in results)
        print(f"correctness: {processed} timed dossiers ended '{PROCESSED}' "
              f"(of {sum(r['dossiers'] for r in results)}), {server_errors} 5xx, HTTP statuses "
              + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
        if args.profile:
            profile_report(server.bench_dir, len(results[2]["complete_ms"]))
        if failures or server_errors:
            for failure in failures[:10]:
                print(f"FAILED: {failure}")
            print(f"api bench FAILED: {len(failures)} failure(s), {server_errors} 5xx: no ratio")
            return 1

    p50 = statistics.median(seq["complete_ms"])
    floor = statistics.median(seq["floor_ms"])
    ratio = p50 / (floor + 1000 * raw_best)
    print(f"floor: GET /api/auth/me (authenticated, one database round trip) p50 {floor:.2f} ms, "
          f"p95 {percentile(seq['floor_ms'], 95):.2f} ms, taken after each timed completion on the same connection")
    print(f"p50 completion at concurrency 1 / (floor + raw SpiffWorkflow step): {p50:.2f} / ({floor:.2f} + "
          f"{1000 * raw_best:.2f}) ms = {ratio:.2f}x (target <= {API_TARGET:g}x; against the raw step alone "
          f"{p50 / (1000 * raw_best):.2f}x); concurrent throughput {len(conc['complete_ms']) / conc['wall_s']:.1f} "
          f"completions/s at concurrency {args.concurrency}")
    durable_floor = floor + write_ms + 1000 * raw_best
    print(f"not the target's ratio, for reading it: a completion must commit durably, the floor request never "
          f"does; against floor + one durable single-row write on the same database (p50 {write_ms:.2f} ms in this "
          f"run) + raw step: {p50:.2f} / {durable_floor:.2f} ms = {p50 / durable_floor:.2f}x")
    if seq["cpu_ms"] and seq["floor_cpu_ms"]:  # steadier than wall time when others load the machine
        cpu, floor_cpu = statistics.median(seq["cpu_ms"]), statistics.median(seq["floor_cpu_ms"])
        print(f"not the target's ratio, for reading it: CPU time in the app worker, p50 completion {cpu:.2f} ms, "
              f"floor {floor_cpu:.2f} ms; Motcua's CPU per completion beyond the floor's and the raw step's: "
              f"{cpu - floor_cpu - 1000 * raw_best:.2f} ms (completion CPU / (floor CPU + raw step) = "
              f"{cpu / (floor_cpu + 1000 * raw_best):.2f}x)")
    print(f"ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("api bench: interrupted", file=sys.stderr)
        sys.exit(130)
