"""`motcua users add|deactivate|activate|unlock`: local accounts for small deployments and development,
and the directory of SSO officials (R-8)."""
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
    c = cmds.add_parser("deactivate", help="end every session of an account (local or SSO) at once; no new ones")
    c.add_argument("username")
    c.set_defaults(func=_set_active, active=False)
    c = cmds.add_parser("activate", help="allow an account to log in again (earlier tokens stay invalid)")
    c.add_argument("username")
    c.set_defaults(func=_set_active, active=True)
    c = cmds.add_parser("unlock", help="forget a user name's failed logins (it was locked by repeated failures)")
    c.add_argument("username")
    c.set_defaults(func=_unlock)


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


def _set_active(args: argparse.Namespace) -> None:
    svc = services()
    try:
        svc.accounts.set_active(args.username, args.active)
    finally:
        svc.close()
    print(f"{args.username}: {'active' if args.active else 'deactivated; every session ended'}")


def _unlock(args: argparse.Namespace) -> None:
    svc = services()
    try:
        svc.accounts.unlock(args.username)
    finally:
        svc.close()
    print(f"{args.username}: failed logins forgotten")
