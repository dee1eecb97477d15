"""`motcua users add`: local accounts for small deployments and development (R-8)."""
from __future__ import annotations

import argparse

from engine.domain.roles import ROLE_CODES

from .common import services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="local accounts")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("add", help="create an account; it must change its password at first login")
    c.add_argument("username")
    c.add_argument("--agency", required=True, help="agency electronic id, e.g. 000.00.12.H15")
    c.add_argument("--roles", required=True, help="comma-separated: " + ", ".join(sorted(ROLE_CODES)))
    c.add_argument("--name", help="display name")
    c.add_argument("--password", help="first password (default: a random one, printed)")
    c.set_defaults(func=_add)


def _add(args: argparse.Namespace) -> None:
    svc = services()
    try:
        roles = [r.strip() for r in args.roles.split(",") if r.strip()]
        official, password = svc.accounts.add(args.username, args.agency, roles, args.name, args.password)
    finally:
        svc.close()
    print(f"created {official.username} ({', '.join(sorted(official.roles))} at {official.agency_id})")
    if not args.password:
        print(f"first password: {password}")
    print("the password must be changed at first login (POST /api/auth/password)")
