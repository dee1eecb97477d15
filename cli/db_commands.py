"""`motcua db …`: schema migrations (Alembic), integrity check, backup and restore (R-9.2)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.persistence.database import connect, current_revision, default_url, upgrade
from engine.services.backup import manifest_path
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
    c = cmds.add_parser("backup", help="copy the database into FILE (SQLite: online backup API; PostgreSQL: "
                                       "pg_dump -Fc) and write FILE.manifest.json beside it")
    c.add_argument("file", type=Path)
    c.set_defaults(func=_backup)
    c = cmds.add_parser("restore", help="restore FILE into the EMPTY database of $MOTCUA_DATABASE_URL, verify "
                                        "every table's row count against the manifest, then run `db check`")
    c.add_argument("file", type=Path)
    c.add_argument("--into-empty-schema", action="store_true",
                   help="the target may hold Motcua's schema without rows (e.g. after `motcua db upgrade`): "
                        "drop it first")
    c.add_argument("--batch", type=positive_int, default=200, help="dossiers per transaction of the check")
    c.set_defaults(func=_restore)


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


def _backup(args: argparse.Namespace) -> None:
    svc = services(migrate=False)
    try:
        m = svc.backups.backup(args.file)
    finally:
        svc.close()
    print(f"backed up {sum(m.tables.values())} rows in {len(m.tables)} tables ({m.dialect}, schema "
          f"{m.schema_revision}) to {args.file}: {m.size} bytes, sha256 {m.sha256}")
    print(f"manifest: {manifest_path(args.file)} (keep it with the backup: restore needs it)")


def _restore(args: argparse.Namespace) -> int:
    svc = services(migrate=False)  # the target must stay empty until the restore
    try:
        report = svc.backups.restore(args.file, into_empty_schema=args.into_empty_schema)
        m = report.manifest
        print(f"restored {args.file} ({m.dialect} backup of {m.created_at}, schema {m.schema_revision})")
        if not report.ok:
            for table, expected, found in report.mismatches:
                print(f"  {table}: the backup has {expected} rows, the restored database "
                      f"{'has no such table' if found is None else f'has {found}'}", file=sys.stderr)
            print(f"motcua: error: restore NOT verified: {len(report.mismatches)} table(s) differ from the "
                  f"manifest; do not use this database", file=sys.stderr)
            return 1
        print(f"row counts match the manifest: {sum(report.tables.values())} rows in {len(report.tables)} tables")
        if report.upgraded_to:
            print(f"schema upgraded to {report.upgraded_to}")
        summary = svc.integrity.check(_print_problem, batch=args.batch)
    finally:
        svc.close()
    print(describe(summary))
    return 0 if summary.ok else 1
