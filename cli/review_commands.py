"""`motcua procedures push|pull|validate|diff|submit|return|publish|repeal|late|history` (issue 12).

Every action names who does it with `--by USERNAME`: an account holding the role the action needs
(analyst of the procedure's agency: push, submit; control office: return, publish, repeal), as
through the API. The published versions in the database are the law in force; a checkout of
processes/ is where analysts keep their sources (push turns a folder into a draft, pull writes a
version back).
"""
from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from engine.domain.access import Official
from engine.domain.procedure_version import Decision
from engine.procedures.archive import ArchiveRefused, read_folder, read_zip
from engine.procedures.library import FORMS_PREFIX
from engine.settings import Settings

from .common import instant, positive_int, province_time, services


class _Fail(Exception):
    pass


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-26") from None


def register(cmds: argparse._SubParsersAction) -> None:
    c = cmds.add_parser("push", help="analyst: upload a procedure folder (or a .zip) as its draft")
    c.add_argument("folder", type=Path, help="a folder with procedure.toml, *.bpmn, *.dmn (forms/ inside, or the "
                                             "repository's forms/), or a .zip of one")
    c.add_argument("--by", required=True, help="your user name (an analyst of the procedure's agency)")
    c.add_argument("--json", action="store_true", help="print the validation report as JSON")
    c.set_defaults(func=_push)

    c = cmds.add_parser("pull", help="write a version's files to a folder (default: the newest version)")
    c.add_argument("code")
    c.add_argument("folder", type=Path)
    c.add_argument("--version", type=positive_int)
    c.add_argument("--forms-dir", type=Path, help="where forms go (default: FOLDER/forms)")
    c.set_defaults(func=_pull)

    c = cmds.add_parser("validate", help="the validation report (engine checks + legal lint) of a folder or a stored version")
    c.add_argument("target", help="a folder, or a procedure code")
    c.add_argument("--version", type=positive_int, help="with a code: the version (default: the newest)")
    c.add_argument("--by", help="with a code: your user name (an analyst of the agency or the control office)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_validate)

    c = cmds.add_parser("diff", help="what a version changes against the version in effect")
    c.add_argument("code")
    c.add_argument("--version", type=positive_int, help="the new version (default: the newest)")
    c.add_argument("--against", type=positive_int, help="the old version (default: the one in effect now)")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=_diff)

    c = cmds.add_parser("submit", help="analyst: hand the draft to the control office for review")
    c.add_argument("code")
    c.add_argument("--version", type=positive_int, help="default: the newest draft")
    c.add_argument("--decision", help="the announcing decision's number, when known (starts the setup clock, R-1.2)")
    c.add_argument("--decision-date", type=_day)
    c.add_argument("--by", required=True)
    c.set_defaults(func=_submit)

    c = cmds.add_parser("return", help="control office: send a submitted version back to its analysts")
    c.add_argument("code")
    c.add_argument("--version", type=positive_int)
    c.add_argument("--remarks", required=True)
    c.add_argument("--by", required=True)
    c.set_defaults(func=_return)

    c = cmds.add_parser("publish", help="control office: publish a submitted version with its announcing decision")
    c.add_argument("code")
    c.add_argument("--version", type=positive_int, help="default: the newest submitted version")
    c.add_argument("--decision", required=True, help="the announcing decision's number, e.g. 1234/QĐ-UBND")
    c.add_argument("--decision-date", type=_day, required=True, help="the date it was signed, e.g. 2026-11-20")
    c.add_argument("--effective", type=instant, help="effective-from instant (default: now); in the past needs --reason")
    c.add_argument("--reason", help="why the version takes effect in the past (recorded)")
    c.add_argument("--by", required=True, help="your user name (control office)")
    c.set_defaults(func=_publish)

    c = cmds.add_parser("repeal", help="control office: from an instant no new dossier starts on the procedure")
    c.add_argument("code")
    c.add_argument("--decision", required=True)
    c.add_argument("--decision-date", type=_day, required=True)
    c.add_argument("--effective", type=instant, help="default: now; in the past needs --reason")
    c.add_argument("--reason")
    c.add_argument("--replaced-by", help="the code of the procedure that replaces it")
    c.add_argument("--by", required=True)
    c.set_defaults(func=_repeal)

    c = cmds.add_parser("late", help="versions whose setup is late: published (or still not) more than N working "
                                     "days after the announcing decision (R-1.2)")
    c.add_argument("--days", type=positive_int, help="working days allowed (default: MOTCUA_SETUP_WORKING_DAYS, 3)")
    c.set_defaults(func=_late)

    c = cmds.add_parser("history", help="who did what to a procedure, when, with which decision")
    c.add_argument("code")
    c.add_argument("--by", required=True)
    c.set_defaults(func=_history)


def who(svc, username: str | None) -> Official:
    """The active account named by --by (LookupError otherwise): the CLI acts as that person."""
    official = svc.accounts.official(username) if username else None
    if official is None:
        raise LookupError(f"--by {username!r}: no active account of that name")
    return official


def _bundle(path: Path):
    if path.is_file() and path.suffix == ".zip":
        return read_zip(path.read_bytes())
    if not path.is_dir():
        raise LookupError(f"{path} is neither a folder nor a .zip file")
    return read_folder(path, Settings.from_env().forms_dir)


def _push(args: argparse.Namespace) -> int:
    svc = services()
    try:
        try:
            bundle = _bundle(args.folder)
        except ArchiveRefused as err:
            for member, problem in err.problems:
                print(f"{member}: error: {problem}")
            return 1
        folder = args.folder.stem if args.folder.suffix == ".zip" else args.folder.name
        outcome = svc.drafts.push(who(svc, args.by), folder, bundle.files, bundle.forms)
    finally:
        svc.close()
    if args.json:
        print(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(outcome.report.text())
        if outcome.version is not None:
            print(f"{outcome.code}: {outcome.outcome} (version {outcome.version})")
    return 0 if outcome.outcome != "refused" else 1


def _pull(args: argparse.Namespace) -> None:
    svc = services()
    try:
        number, sources = svc.drafts.sources(None, args.code, args.version)
    finally:
        svc.close()
    forms_dir = args.forms_dir or args.folder / "forms"
    args.folder.mkdir(parents=True, exist_ok=True)
    for path, text in sorted(sources.items()):
        target = forms_dir / path[len(FORMS_PREFIX):] if path.startswith(FORMS_PREFIX) else args.folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(f"{args.code} version {number}: {len(sources)} files written to {args.folder}")


def _validate(args: argparse.Namespace) -> int:
    svc = services()
    try:
        path = Path(args.target)
        if path.exists():
            bundle = _bundle(path)
            report = svc.drafts.check(bundle.files, bundle.forms, path.stem if path.suffix == ".zip" else path.name)
        else:
            report = svc.drafts.report(who(svc, args.by), args.target, args.version)
    except ArchiveRefused as err:
        for member, problem in err.problems:
            print(f"{member}: error: {problem}")
        return 1
    finally:
        svc.close()
    print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if args.json else report.text())
    return 0 if report.valid else 1


def _diff(args: argparse.Namespace) -> None:
    svc = services()
    try:
        diff = svc.drafts.diff(None, args.code, args.version, args.against)
    finally:
        svc.close()
    print(json.dumps(diff.to_dict(), ensure_ascii=False, indent=2) if args.json else diff.text())


def _submit(args: argparse.Namespace) -> None:
    svc = services()
    try:
        decision = Decision(args.decision, args.decision_date) if args.decision or args.decision_date else None
        if decision is not None and (not args.decision or args.decision_date is None):
            raise LookupError("give both --decision and --decision-date")
        v = svc.drafts.submit(who(svc, args.by), args.code, args.version, decision)
    finally:
        svc.close()
    print(f"{v.code} version {v.number} submitted for review")


def _return(args: argparse.Namespace) -> None:
    svc = services()
    try:
        v = svc.drafts.return_draft(who(svc, args.by), args.code, args.version, args.remarks)
    finally:
        svc.close()
    print(f"{v.code} version {v.number} returned to draft")


def _publish(args: argparse.Namespace) -> None:
    svc = services()
    try:
        v = svc.drafts.publish(who(svc, args.by), args.code, args.version,
                               Decision(args.decision, args.decision_date), args.effective, args.reason)
    finally:
        svc.close()
    print(f"{v.code} version {v.number} published by decision {args.decision} of {args.decision_date.isoformat()}, "
          f"in effect from {province_time(svc, v.effective_from)}")


def _repeal(args: argparse.Namespace) -> None:
    svc = services()
    try:
        r = svc.drafts.repeal(who(svc, args.by), args.code, Decision(args.decision, args.decision_date),
                              args.effective, args.reason, args.replaced_by)
    finally:
        svc.close()
    print(f"{args.code} repealed by decision {args.decision} from {province_time(svc, r['effective_from'])}"
          + (f", replaced by {r['replaced_by']}" if r["replaced_by"] else ""))


def _late(args: argparse.Namespace) -> int:
    svc = services()
    try:
        late = svc.drafts.late_setups(working_days=args.days)
    finally:
        svc.close()
    for s in late:
        when = f"published {province_time(svc, s.published_at)}" if s.published_at else f"still {s.state}"
        print(f"{s.code} version {s.version}: decision {s.decision_number} of {s.decision_date.isoformat()}, "
              f"due {province_time(svc, s.due_at)} ({s.working_days} working days), {when}")
    print(f"{len(late)} late setup(s)")
    return 1 if late else 0


def _history(args: argparse.Namespace) -> None:
    svc = services()
    try:
        events = svc.drafts.history(who(svc, args.by), args.code)
    finally:
        svc.close()
    for e in events:
        decision = f" decision {e.decision_number} of {e.decision_date.isoformat()}" if e.decision_number else ""
        version = f" version {e.version}" if e.version is not None else ""
        print(f"{province_time(svc, e.at)} {e.actor} {e.action}{version}{decision} {json.dumps(e.detail, ensure_ascii=False)}")
