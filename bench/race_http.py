"""Race test over real HTTP: two officials act on the same task at the same instant (issue 7).

What it does
    Starts the API (``api.wsgi:app``) under gunicorn with ``--workers`` (default 2) gthread workers
    of ``--threads`` (default 2) threads on a free loopback port, against PostgreSQL (``--pg-url``,
    where a scratch database is created and dropped, else a throwaway server from
    bench/pg_server.py; SQLite only with ``--no-pg``, said loudly: SQLite serializes writers, so
    that run proves little). The server is the one of bench/api_bench.py (same gunicorn config:
    each response names the worker pid that served it).

    Before gunicorn starts: the database is migrated, a 2-user-task procedure (lane ``official``)
    is published, accounts are created in the procedure's agency (``an`` and ``binh``, officials;
    ``head``, agency head) and, in-process, one dossier per pair is registered, so every pair
    races on a fresh, unassigned task at version 1. The accounts then log in over HTTP (and change
    their first password, as a new account must).

    Per kind, ``--pairs`` pairs (default 500; ``--quick`` 25) of two requests, each sent by its own
    client thread with its own keep-alive connection; the two threads are released together by a
    barrier for every pair. The two connections are opened so that they are served by two
    different workers (reconnecting at the start until they are), so the pair races across
    processes as in production:

        complete/complete   an completes        vs  binh completes
        complete/claim      an completes        vs  binh claims
        complete/assign     an completes        vs  head assigns the task to binh
        claim/assign        an claims           vs  head assigns the task to binh

    Each request carries ``If-Match: "1"`` (the version both officials saw), unless
    ``--no-if-match``; without it, "an claims, then the head re-assigns to binh" is a legitimate
    sequence in which both succeed: such pairs (two 200s whose answers carry versions 2 and 3)
    are counted as ``serialized``, not as double winners.

    After each pair the dossier is read back (``GET /api/dossiers/{id}`` as the head) and the
    stored state must be the winner's: the task completed by the completer, or assigned to the
    claimer / the assignee. At the end ``motcua db check`` (IntegrityService) runs over the database.

Figures, per kind
    pairs, single winners (one 200 and one 409), double winners (two 200 that no serial order
    explains), 5xx (pairs with a 5xx answer), other (any other outcome, e.g. 404 or two 409s),
    state mismatches (stored state is not the winner's), serialized (no-If-Match only), and the
    share of pairs whose two requests were served by two different workers.

Ratio
    The last line is ``ratio=<bad pairs / pairs>``, where a bad pair is a double winner, a pair with
    a 5xx, an ``other`` outcome or a state mismatch. 0 is the target (every pair has exactly one
    winner, the loser gets 409, the database agrees); the exit status is 1 when it is not 0 or
    when ``db check`` finds an inconsistency.

Usage
    .venv/bin/python bench/race_http.py [--quick] [--pairs N] [--workers W] [--threads T]
        [--pg-url postgresql+psycopg://user@host:port/db | --no-pg] [--no-if-match]
"""
from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python bench/race_http.py` imports the engine from this checkout

from bench.api_bench import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, bench_database, gunicorn  # noqa: E402
from engine.bootstrap import Services, build  # noqa: E402
from engine.settings import Settings  # noqa: E402
from tests.support.bpmn import sequential, write_procedure  # noqa: E402

CODE = "RACE"
AGENCY = "000.00.12.H15"  # write_procedure's default agency
ACCOUNTS = {"an": ["official"], "binh": ["official"], "head": ["agency_head"]}
FIRST_PASSWORD = "mat-khau-dau-tien-1"
NEW_PASSWORD = "mat-khau-da-doi-2"


# ============================================================ the two sides of each kind


@dataclass(frozen=True)
class Side:
    """One request of a pair: who sends what, and what the task looks like if it alone won."""

    who: str
    action: str  # complete / claim / assign
    body: dict[str, Any] | None
    outcome: tuple[str, str]  # ("done", completed_by) or ("assigned", assignee)


COMPLETE_AN = Side("an", "complete", {"data": {}}, ("done", "an"))
KINDS: dict[str, tuple[Side, Side]] = {
    "complete/complete": (COMPLETE_AN, Side("binh", "complete", {"data": {}}, ("done", "binh"))),
    "complete/claim": (COMPLETE_AN, Side("binh", "claim", None, ("assigned", "binh"))),
    "complete/assign": (COMPLETE_AN, Side("head", "assign", {"user": "binh"}, ("assigned", "binh"))),
    "claim/assign": (Side("an", "claim", None, ("assigned", "an")),
                     Side("head", "assign", {"user": "binh"}, ("assigned", "binh"))),
}


@dataclass
class Tally:
    pairs: int = 0
    single: int = 0
    double: int = 0
    five_xx: int = 0
    other: int = 0
    mismatch: int = 0
    serialized: int = 0
    cross_worker: int = 0
    examples: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        return self.double + self.five_xx + self.other + self.mismatch

    def note(self, text: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(text)


# ============================================================ client side


def login(base: str, username: str) -> str:
    """Log in; a new account's token only allows changing the password, so change it."""
    with requests.Session() as s:
        r = s.post(f"{base}/api/auth/login", json={"username": username, "password": FIRST_PASSWORD})
        r.raise_for_status()
        token = r.json()
        if token["must_change_password"]:
            r = s.post(f"{base}/api/auth/password", headers={"Authorization": f"Bearer {token['access_token']}"},
                       json={"current_password": FIRST_PASSWORD, "new_password": NEW_PASSWORD})
            r.raise_for_status()
            token = r.json()
        return str(token["access_token"])


class Connection:
    """A keep-alive connection; `worker` is the gunicorn worker pid that served the last answer."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()
        self.worker = ""

    def send(self, method: str, path: str, token: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> requests.Response:
        r = self.session.request(method, f"{self.base}{path}", json=body, timeout=60,
                                 headers={"Authorization": f"Bearer {token}", **(headers or {})})
        self.worker = r.headers.get("X-Bench-Worker", "?")
        return r

    def reopen(self) -> None:
        self.session.close()
        self.session = requests.Session()


def two_workers(a: Connection, b: Connection, token: str, tries: int = 40) -> bool:
    """Reconnect `b` until its connection is served by another worker than `a`'s."""
    a.send("GET", "/api/health", token)
    for _ in range(tries):
        b.send("GET", "/api/health", token)
        if b.worker != a.worker:
            return True
        b.reopen()
    return False


def stored_outcome(conn: Connection, token: str, dossier_id: int, task_id: str) -> tuple[str, Any]:
    view = conn.send("GET", f"/api/dossiers/{dossier_id}", token).json()
    for task in view["current_tasks"]:
        if task["task_id"] == task_id:
            return ("assigned", task["assignee"])
    for entry in view["timeline"]:
        if entry["task_id"] == task_id and entry["done_at"] is not None:
            return ("done", entry["who"])
    return ("missing", None)


def run_kind(base: str, tokens: dict[str, str], kind: str, work: list[tuple[int, str]], if_match: bool) -> Tally:
    sides = KINDS[kind]
    conns = [Connection(base), Connection(base)]
    checker = Connection(base)
    tally = Tally()
    spread = two_workers(conns[0], conns[1], tokens["an"])
    if not spread:
        print(f"{kind}: WARNING, both connections are served by one worker", flush=True)
    barrier = threading.Barrier(3)  # the two sides and this thread, which sets each pair's task
    answers: list[Any] = [None, None]
    current: dict[str, str] = {}

    def side(i: int) -> None:
        s, conn = sides[i], conns[i]
        for _ in work:
            barrier.wait()  # both sides of a pair are released together
            headers = {"If-Match": '"1"'} if if_match else None
            try:
                r = conn.send("POST", f"/api/tasks/{current['task']}/{s.action}", tokens[s.who], s.body, headers)
                version = r.json().get("version") if r.status_code == 200 else None
                answers[i] = (r.status_code, version, conn.worker, r.text[:200])
            except (requests.RequestException, ValueError) as err:
                answers[i] = (599, None, conn.worker, f"{type(err).__name__}: {err}")
            barrier.wait()  # answered: this thread reads the answers, then sets the next task

    threads = [threading.Thread(target=side, args=(i,), daemon=True) for i in range(2)]
    for t in threads:
        t.start()
    for n, (dossier_id, task_id) in enumerate(work):
        current["task"] = task_id
        barrier.wait()  # release
        barrier.wait()  # both answered
        (s0, v0, w0, t0), (s1, v1, w1, t1) = answers
        tally.pairs += 1
        tally.cross_worker += w0 != w1
        stored = stored_outcome(checker, tokens["head"], dossier_id, task_id)
        winner: Side | None = None
        if s0 >= 500 or s1 >= 500:
            tally.five_xx += 1
            tally.note(f"{kind} pair {n}: HTTP {s0} / {s1}: {t0 if s0 >= 500 else t1}")
        elif s0 == 200 and s1 == 200:
            if not if_match and v0 is not None and v1 is not None and abs(v0 - v1) == 1:
                tally.serialized += 1  # one after the other, both legitimate; the later one stands
                winner = sides[0] if v0 > v1 else sides[1]
            else:
                tally.double += 1
                tally.note(f"{kind} pair {n}: both 200 (versions {v0}, {v1}); stored {stored}")
        elif sorted((s0, s1)) == [200, 409]:
            tally.single += 1
            winner = sides[0] if s0 == 200 else sides[1]
        else:
            tally.other += 1
            tally.note(f"{kind} pair {n}: HTTP {s0} / {s1}: {t0} | {t1}")
        if winner is not None and stored != winner.outcome:
            tally.mismatch += 1
            tally.note(f"{kind} pair {n}: winner {winner.who} {winner.action}, stored {stored}")
    for t in threads:
        t.join(timeout=5)
    for c in (*conns, checker):
        c.session.close()
    return tally


# ============================================================ server side and main


def prepare(db_url: str, processes_dir: Path, forms_dir: Path, pairs: int) -> tuple[Services, dict[str, list]]:
    settings = Settings(database_url=db_url, processes_dir=processes_dir, forms_dir=forms_dir,
                        scheduler_enabled=False, argon2_memory_kib=ARGON2_MEMORY_KIB,
                        argon2_time_cost=ARGON2_TIME_COST)
    services = build(settings, migrate=True)
    services.procedures.sync()
    services.procedures.publish(CODE)
    for name, roles in ACCOUNTS.items():
        services.accounts.add(name, AGENCY, roles, display_name=name, password=FIRST_PASSWORD)
    work: dict[str, list] = {}
    for kind in KINDS:
        work[kind] = []
        for _ in range(pairs):
            d = services.dossiers.start(CODE, applicant={"name": "Người nộp"})
            work[kind].append((d.id, d.current_tasks[0].task_id))
    return services, work


def _sigterm_as_exit(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwind: gunicorn and PostgreSQL are stopped on the way out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="25 pairs per kind (< 1 min)")
    parser.add_argument("--pairs", type=int, help="pairs per kind (default 500, quick 25)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, at least 2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per gthread worker (default 2)")
    parser.add_argument("--pg-url", help="PostgreSQL server (a scratch database is created there); "
                                         "default: a throwaway server")
    parser.add_argument("--no-pg", action="store_true", help="SQLite (writers serialize: proves little)")
    parser.add_argument("--no-if-match", action="store_true", help="send the actions without If-Match")
    args = parser.parse_args(argv)
    if args.workers < 2:
        parser.error("--workers must be at least 2: the point is to race across processes")
    pairs = args.pairs or (25 if args.quick else 500)
    signal.signal(signal.SIGTERM, _sigterm_as_exit)

    with tempfile.TemporaryDirectory(prefix="motcua-race.") as tmp_name, \
            bench_database(args.pg_url, not args.no_pg, Path(tmp_name)) as (db_url, db_description):
        tmp = Path(tmp_name)
        processes_dir, forms_dir = tmp / "processes", tmp / "forms"
        forms_dir.mkdir()
        write_procedure(processes_dir, CODE, sequential(2, process_id="race", lane="official"))
        t0 = time.perf_counter()
        services, work = prepare(db_url, processes_dir, forms_dir, pairs)
        print(f"prepared {pairs * len(KINDS)} dossiers in {time.perf_counter() - t0:.1f} s", flush=True)
        tallies: dict[str, Tally] = {}
        try:
            with gunicorn(db_url, processes_dir, forms_dir, tmp / "gunicorn", args.workers, "gthread",
                          args.threads) as server:
                tokens = {name: login(server.base, name) for name in ACCOUNTS}
                for kind in KINDS:
                    t1 = time.perf_counter()
                    tallies[kind] = run_kind(server.base, tokens, kind, work[kind], not args.no_if_match)
                    print(f"{kind}: {pairs} pairs in {time.perf_counter() - t1:.1f} s", flush=True)
            check = services.integrity.check()
        finally:
            services.close()

    print(f"race bench: gunicorn {args.workers} gthread workers x {args.threads} threads, {db_description}, "
          f"If-Match {'off' if args.no_if_match else 'on'}{' (quick)' if args.quick else ''}")
    print(f"{'kind':<18} {'pairs':>6} {'single':>7} {'double':>7} {'5xx':>5} {'other':>6} {'mismatch':>9} "
          f"{'serialized':>11} {'2 workers':>10}")
    total = Tally()
    for kind, t in tallies.items():
        print(f"{kind:<18} {t.pairs:>6} {t.single:>7} {t.double:>7} {t.five_xx:>5} {t.other:>6} {t.mismatch:>9} "
              f"{t.serialized:>11} {100 * t.cross_worker / max(t.pairs, 1):>9.0f}%")
        for attr in ("pairs", "single", "double", "five_xx", "other", "mismatch", "serialized"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
        total.examples += t.examples
    for example in total.examples[:10]:
        print(f"  e.g. {example}")
    print(f"db check: {check.problems} inconsistencies")
    ratio = total.bad / max(total.pairs, 1)
    print(f"bad pairs (double winners + 5xx + other + state mismatches) / pairs = {total.bad} / {total.pairs}")
    print(f"ratio={ratio:.4f}")
    return 0 if total.bad == 0 and check.ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the servers were stopped on the way out
        print("race bench: interrupted", file=sys.stderr)
