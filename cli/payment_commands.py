"""`motcua payments list [--state S]`: applicants' online payments (R-6.2) for operators, above all
those taken by the platform that their dossier could not record (`unrecorded`: to refund)."""
from __future__ import annotations

import argparse

from engine.services.online_payments import STATES, UNRECORDED, listing

from .common import positive_int, province_time, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("payments", help="applicants' online payments: list those to refund or stuck")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("list", help="online payments in one state (default: unrecorded, to refund)")
    c.add_argument("--state", choices=STATES, default=UNRECORDED)
    c.add_argument("--limit", type=positive_int, default=200)
    c.set_defaults(func=_list)


def _list(args: argparse.Namespace) -> int:
    svc = services()
    try:
        items = listing(svc.ctx, args.state, args.limit)
        for code, p in items:
            print(f"{code:<30} {p.state:<10} {p.amount:>12} VND  order {p.order_id}  reference {p.reference or '-'}"
                  f"  {province_time(svc, p.updated_at)}\n    {p.detail or ''}")
        print(f"{len(items)} payment(s) {args.state}")
    finally:
        svc.close()
    return 1 if items and args.state == UNRECORDED else 0
