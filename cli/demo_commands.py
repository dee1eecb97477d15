"""`motcua demo`: the whole system in one command, on a fresh SQLite database and a manual clock
(issue 11; docs/demo.md). The work is cli/demo/runner.py; this module only parses and wires."""
from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from engine.bootstrap import build
from engine.clock import ManualClock
from engine.settings import Settings

from .demo import runner

PROVINCE = ZoneInfo("Asia/Ho_Chi_Minh")
# Friday 13 February 2026, 15:30: the last working afternoon before the Tết 2026 break (16-20 Feb).
DEFAULT_START = datetime(2026, 2, 13, 15, 30, tzinfo=PROVINCE)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="publish processes/ and drive one dossier of each to its end on a fresh "
                                    "database with a manual clock, then print what happened")
    p.add_argument("--database", type=Path, metavar="PATH",
                   help="a new SQLite file to keep (default: a temporary file, removed afterwards)")
    p.add_argument("--start", type=_start, default=DEFAULT_START, metavar="YYYY-MM-DDTHH:MM",
                   help="where the clock starts, Vietnam time unless an offset is given "
                        "(default 2026-02-13T15:30, the Friday before Tết)")
    p.add_argument("--procedures", nargs="+", metavar="FOLDER",
                   help="only these folders of processes/ (default: every folder)")
    p.set_defaults(func=_demo)


def _start(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date-time such as 2026-02-13T15:30") from None
    return t if t.tzinfo else t.replace(tzinfo=PROVINCE)


def _demo(args: argparse.Namespace) -> int:
    if args.database is not None:
        if args.database.exists() and args.database.stat().st_size > 0:
            raise FileExistsError(f"{args.database} exists: the demo needs a fresh database, give a new path")
        return _run(args, args.database)
    with tempfile.TemporaryDirectory(prefix="motcua-demo-") as tmp:
        return _run(args, Path(tmp) / "demo.db")


def _run(args: argparse.Namespace, path: Path) -> int:
    # Throwaway accounts: argon2 at a low cost keeps the demo well under a minute; the timer
    # scheduler does not run (the demo fires timers itself as its clock moves).
    settings = Settings.from_env(database_url=f"sqlite:///{path.resolve()}", migrate_on_start=True,
                                 scheduler_enabled=False, sync_on_start=False,
                                 argon2_time_cost=1, argon2_memory_kib=8192)
    clock = ManualClock(args.start)
    services = build(settings, clock=clock)
    try:
        code = runner.run(services, clock, sys.stdout, args.procedures)
    finally:
        services.close()
    if code:
        print("motcua demo: error: a procedure or scenario failed (see FAILED above)", file=sys.stderr)
    elif args.database is not None:
        print(f"motcua demo: the database is kept in {args.database}", file=sys.stderr)
    return code
