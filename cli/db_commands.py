"""`motcua db …`: schema migrations (Alembic), integrity check, backup and restore (R-9.2)."""
from __future__ import annotations

import argparse

from engine.persistence.database import connect, current_revision, default_url, upgrade
from engine.services.integrity import CheckSummary, Inconsistency

from .common import positive_int, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("upgrade", help="migrate the schema of $MOTCUA_DATABASE_URL to the newest revision")
    c.add_argument("--revision", default="head")
    c.set_defaults(func=_upgrade)
    c = cmds.add_parser("current", help="print the schema revision")
    c.set_defaults(func=_current)
    c = cmds.add_parser("check", help="check every dossier's state against its ready-task, timer and step rows; "
                                      "exit status 1 when anything disagrees")
    c.add_argument("--batch", type=positive_int, default=200, help="dossiers read per transaction (default 200)")
    c.set_defaults(func=_check)


def _upgrade(args: argparse.Namespace) -> None:
    db = connect(default_url())
    try:
        upgrade(db, args.revision)
        print(f"schema at {current_revision(db)} ({db.dialect})")
    finally:
        db.dispose()


def _current(args: argparse.Namespace) -> None:
    db = connect(default_url())
    try:
        print(current_revision(db) or "(empty database)")
    finally:
        db.dispose()


def _check(args: argparse.Namespace) -> int:
    svc = services(migrate=False)  # a check never changes the database
    try:
        summary = svc.integrity.check(_print_problem, batch=args.batch)
    finally:
        svc.close()
    print(describe(summary))
    return 0 if summary.ok else 1


def _print_problem(problem: Inconsistency) -> None:
    print(f"{problem.dossier_code}  {problem.kind.value}: {problem.detail}", flush=True)


def describe(summary: CheckSummary) -> str:
    if summary.ok:
        return f"checked {summary.dossiers} dossier(s): consistent"
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.by_kind.items()))
    return (f"checked {summary.dossiers} dossier(s): {summary.problems} inconsistenc"
            f"{'y' if summary.problems == 1 else 'ies'} in {summary.dossiers_with_problems} dossier(s) ({kinds})")
