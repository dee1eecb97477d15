"""`motcua users …`: the directory of officials for operators (R-8): local accounts, SSO officials
remembered from their first request; every change audited as `cli:<os user>` (R-8.5)."""
from __future__ import annotations

import argparse

from engine.domain.roles import ROLE_CODES
from engine.services.account_admin import AccountView

from .common import local_time, operator, request_id, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("users", help="accounts: list, show, add, disable, enable, unlock, reset-password, "
                                     "set-roles, reassign")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("list", help="accounts by agency (local and SSO)")
    c.add_argument("--agency", help="only this agency")
    c.add_argument("--role", help="only accounts holding this role")
    state = c.add_mutually_exclusive_group()
    state.add_argument("--active", dest="active", action="store_const", const=True, help="only active accounts")
    state.add_argument("--inactive", dest="active", action="store_const", const=False, help="only deactivated ones")
    c.set_defaults(func=_list)
    c = cmds.add_parser("show", help="one account: roles, state, lock, the tasks it holds")
    c.add_argument("username")
    c.set_defaults(func=_show)
    c = cmds.add_parser("add", help="create an account; it must change its password at first login")
    c.add_argument("username")
    c.add_argument("--agency", required=True, help="agency electronic id, e.g. 000.00.12.H15")
    c.add_argument("--roles", required=True, help="comma-separated: " + ", ".join(sorted(ROLE_CODES)))
    c.add_argument("--name", help="display name")
    c.add_argument("--password", help="first password (default: a random one, printed)")
    c.set_defaults(func=_add)
    for name, active, text in (("disable", False, "end every session of an account (local or SSO) at once; "
                                                   "no new ones"),
                               ("deactivate", False, "the same as disable"),
                               ("enable", True, "allow an account to log in again (earlier tokens stay invalid)"),
                               ("activate", True, "the same as enable")):
        c = cmds.add_parser(name, help=text)
        c.add_argument("username")
        c.set_defaults(func=_set_active, active=active)
    c = cmds.add_parser("unlock", help="forget a user name's failed logins (it was locked by repeated failures)")
    c.add_argument("username")
    c.set_defaults(func=_unlock)
    c = cmds.add_parser("reset-password", help="a new first password, to change at the next login; "
                                               "every session ends")
    c.add_argument("username")
    c.add_argument("--password", help="the new first password (default: a random one, printed)")
    c.set_defaults(func=_reset_password)
    c = cmds.add_parser("set-roles", help="replace an account's roles (local accounts; SSO roles come from SSO)")
    c.add_argument("username")
    c.add_argument("roles", help="comma-separated: " + ", ".join(sorted(ROLE_CODES)))
    c.set_defaults(func=_set_roles)
    c = cmds.add_parser("reassign", help="give every task an official holds to a colleague of the same agency "
                                         "holding the tasks' roles")
    c.add_argument("username", help="the official whose tasks move (e.g. just disabled)")
    c.add_argument("--to", required=True, help="the colleague who takes them")
    c.set_defaults(func=_reassign)


def _roles(text: str) -> list[str]:
    return [r.strip() for r in text.split(",") if r.strip()]


def _list(args: argparse.Namespace) -> None:
    svc = services()
    try:
        accounts = svc.account_admin.list(operator(), args.agency, args.role, args.active)
    finally:
        svc.close()
    for a in accounts:
        state = "active" if a.active else "disabled"
        print(f"{a.agency_id:<16} {a.username:<24} {a.source:<5} {state:<8} {','.join(a.roles)}")
    print(f"{len(accounts)} account(s)")


def _print_account(svc, a: AccountView) -> None:
    print(f"{a.username} ({a.display_name}) at {a.agency_id}, {a.source} account")
    print(f"  roles: {', '.join(a.roles)}")
    print(f"  state: {'active' if a.active else 'disabled'}"
          + (f" since {local_time(svc, a.sessions_ended_at)}" if a.sessions_ended_at else ""))
    if a.source == "local":
        print(f"  password: {'must be changed at next login' if a.must_change_password else 'set by its owner'}"
              f" (last set {local_time(svc, a.password_changed_at or a.created_at)})")
    print(f"  locked: {'until ' + local_time(svc, a.locked_until) + ' (motcua users unlock)' if a.locked_until else 'no'}")
    print(f"  created: {local_time(svc, a.created_at)}")
    print(f"  holds {len(a.claimed_tasks)} task(s)")
    for t in a.claimed_tasks:
        print(f"    {t.task_id}  {t.dossier_code}  {t.name} [{t.candidate_role}] due {local_time(svc, t.due_at)}")


def _show(args: argparse.Namespace) -> None:
    svc = services()
    try:
        _print_account(svc, svc.account_admin.show(operator(), args.username))
    finally:
        svc.close()


def _add(args: argparse.Namespace) -> None:
    svc = services()
    try:
        account, password = svc.account_admin.create(operator(), args.username, args.agency, _roles(args.roles),
                                                     args.name, args.password, request_id())
    finally:
        svc.close()
    print(f"created {account.username} ({', '.join(account.roles)} at {account.agency_id})")
    if not args.password:
        print(f"first password: {password}")
    print("the password must be changed at first login (POST /api/auth/password)")


def _set_active(args: argparse.Namespace) -> None:
    svc = services()
    try:
        account = svc.account_admin.set_active(operator(), args.username, args.active, request_id())
    finally:
        svc.close()
    print(f"{args.username}: {'active' if args.active else 'deactivated; every session ended'}")
    if not args.active and account.claimed_tasks:
        print(f"{args.username} still holds {len(account.claimed_tasks)} task(s); the agency head can give them "
              f"all to a colleague: motcua users reassign {args.username} --to <colleague> "
              f"(API: POST /api/reassignments)")


def _unlock(args: argparse.Namespace) -> None:
    svc = services()
    try:
        svc.account_admin.unlock(operator(), args.username, request_id())
    finally:
        svc.close()
    print(f"{args.username}: failed logins forgotten")


def _reset_password(args: argparse.Namespace) -> None:
    svc = services()
    try:
        _, password = svc.account_admin.reset_password(operator(), args.username, args.password, request_id())
    finally:
        svc.close()
    print(f"{args.username}: password reset; every session ended")
    if not args.password:
        print(f"first password: {password}")
    print("the password must be changed at the next login (POST /api/auth/password)")


def _set_roles(args: argparse.Namespace) -> None:
    svc = services()
    try:
        account = svc.account_admin.set_roles(operator(), args.username, _roles(args.roles), request_id())
    finally:
        svc.close()
    print(f"{account.username}: roles {', '.join(account.roles)}")


def _reassign(args: argparse.Namespace) -> None:
    svc = services()
    try:
        result = svc.reassignment.reassign_claimed(operator(), args.username, args.to, request_id())
    finally:
        svc.close()
    print(f"{len(result.moved)} task(s) of {result.from_username} now with {result.to_username}")
    for t in result.moved:
        print(f"  {t.task_id}  {t.dossier_code}  {t.name}")
    for s in result.skipped:
        print(f"  skipped {s.task_id}  {s.dossier_code}: {s.reason}")
