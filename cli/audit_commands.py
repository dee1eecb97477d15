"""`motcua audit verify|anchor`: the tamper-evident audit trail (R-8.5)."""
from __future__ import annotations

import argparse

from engine.domain.audit_chain import Anchor

from .common import province_time, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("audit", help="the tamper-evident audit trail")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("verify", help="walk the audit hash chain and name the first broken link; exit status 1 "
                                       "if broken")
    c.add_argument("--anchor", type=_anchor, action="append", default=[],
                   help="a head printed earlier by `motcua audit anchor` (ID:HASH), kept outside the database: "
                        "the chain must still pass through it (repeatable)")
    c.set_defaults(func=_verify)
    c = cmds.add_parser("anchor", help="print the chain head (ID:HASH) to keep outside the database, e.g. in the "
                                       "monthly backup report")
    c.set_defaults(func=_anchor_cmd)


def _anchor(text: str) -> Anchor:
    try:
        return Anchor.parse(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _verify(args: argparse.Namespace) -> int:
    svc = services(migrate=False)  # verifying never changes the database
    try:
        reports = [svc.audit.verify(anchor) for anchor in args.anchor] or [svc.audit.verify()]
    finally:
        svc.close()
    for report in reports:
        if not report.ok:
            print(f"audit chain BROKEN at {report.broken} ({report.records} records before it hold)")
            return 1
    report = reports[-1]
    head = f", head {report.head.text()}" if report.head else ""
    anchors = f", passing through {len(args.anchor)} anchor(s)" if args.anchor else ""
    print(f"audit chain intact: {report.records} records{head}{anchors}")
    return 0


def _anchor_cmd(args: argparse.Namespace) -> None:
    svc = services(migrate=False)
    try:
        anchor = svc.audit.anchor()
        now = svc.clock.now()
    finally:
        svc.close()
    print(anchor.text())
    print(f"# {anchor.count} audit records, head read at {province_time(svc, now)}; keep this "
          f"line outside the database and check later with: motcua audit verify --anchor {anchor.text()}")
