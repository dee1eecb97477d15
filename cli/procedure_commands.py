"""`motcua procedures …`: load processes/, check a folder, retire versions, list (R-1); the review
(push, submit, publish with the decision, repeal, …) is in review_commands.py (issue 12)."""
from __future__ import annotations

import argparse
from pathlib import Path

from engine.procedures.library import ProcedureInvalid, load_procedure, procedure_folders
from engine.procedures.validation import report_of
from engine.settings import Settings

from . import review_commands
from .common import positive_int, province_time, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("procedures", help="procedure versions (load, check, publish, retire)")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True

    c = cmds.add_parser("sync", help="load processes/: a changed folder becomes a new draft version")
    c.set_defaults(func=_sync)

    c = cmds.add_parser("check", help="validate a procedure folder, or every folder of processes/, without loading it")
    c.add_argument("folder", type=Path)
    c.set_defaults(func=_check)

    c = cmds.add_parser("retire", help="stop offering a version to new dossiers")
    c.add_argument("code")
    c.add_argument("--version", type=positive_int, required=True)
    c.add_argument("--by", required=True, help="your user name (control office, R-1.2): recorded in the history")
    c.set_defaults(func=_retire)

    review_commands.register(cmds)  # push, pull, validate, diff, submit, return, publish, repeal, late, history

    c = cmds.add_parser("list", help="versions of a procedure, or the procedures in effect now")
    c.add_argument("code", nargs="?")
    c.set_defaults(func=_list)


def _sync(args: argparse.Namespace) -> int:
    svc = services()
    try:
        entries = svc.procedures.sync()
    finally:
        svc.close()
    for e in entries:  # problems print as "file:line [element]: error|warning: message"
        if e.outcome == "invalid":
            print(f"{e.folder}: refused")
            for p in e.problems:
                print(f"  {p}")
        else:
            print(f"{e.folder}: {e.outcome} (version {e.version})")
            for p in e.problems:  # warnings: they do not refuse
                print(f"  {p}")
    return 1 if any(e.outcome == "invalid" for e in entries) else 0


def _check(args: argparse.Namespace) -> int:
    """Print every problem, errors and warnings; exit 1 only when there is an error (issue 8). A
    folder without procedure.toml that holds procedure folders (processes/) checks each of them.
    The legal lint runs as in `validate` (its warnings, and its errors that refuse, e.g. a DMN
    table whose rules clash), without the lane-to-account check: `check` opens no database."""
    folders = [] if (args.folder / "procedure.toml").exists() or not args.folder.is_dir() \
        else procedure_folders(args.folder)
    if folders:
        return max(_check_one(folder) for folder in folders)
    return _check_one(args.folder)


def _check_one(folder: Path) -> int:
    try:
        loaded = load_procedure(folder, Settings.from_env().forms_dir)
    except ProcedureInvalid as err:
        for p in err.problems:
            print(p)
        errors = sum(p.is_error for p in err.problems)
        print(f"{folder.name}: refused ({errors} errors, {len(err.problems) - errors} warnings)")
        return 1
    report = report_of(loaded)
    for p in report.problems:
        print(p)
    if not report.valid:
        print(f"{loaded.code}: refused ({len(report.errors)} errors, {len(report.warnings)} warnings)")
        return 1
    print(f"{loaded.code}: valid ({len(loaded.compiled.human_tasks)} user tasks, "
          f"{len(loaded.compiled.timers)} timers, {len(report.warnings)} warnings, hash {loaded.content_hash[:12]})")
    return 0


def _retire(args: argparse.Namespace) -> None:
    svc = services()
    try:
        v = svc.procedures.retire(args.code, args.version, review_commands.who(svc, args.by))
    finally:
        svc.close()
    print(f"{v.code} version {v.number} retired")


def _list(args: argparse.Namespace) -> None:
    svc = services()
    try:
        rows = svc.procedures.versions(args.code) if args.code else svc.procedures.in_effect()
    finally:
        svc.close()
    print(f"{'code':<24} {'ver':>3}  {'state':<9}  {'effective from':<25}  name")
    for v in rows:
        eff = province_time(svc, v.effective_from) if v.effective_from else "-"
        print(f"{v.code:<24} {v.number:>3}  {v.state:<9}  {eff:<25}  {v.metadata.get('name', '')}")
