"""`motcua db …`: schema migrations (Alembic)."""
from __future__ import annotations

import argparse

from engine.persistence.database import connect, current_revision, default_url, upgrade


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help="database schema")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("upgrade", help="migrate the schema of $MOTCUA_DATABASE_URL to the newest revision")
    c.add_argument("--revision", default="head")
    c.set_defaults(func=_upgrade)
    c = cmds.add_parser("current", help="print the schema revision")
    c.set_defaults(func=_current)


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
