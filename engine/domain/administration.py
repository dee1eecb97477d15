"""Who may administer which account, reassign whose work, and handle which incident (R-4.1, R-8.3,
R-8.5). Pure rules over plain data; verdicts are access.Invisible (404), NotAllowed (403).

- `admin` (the system administrator) administers every account and every agency's incidents.
- `agency_admin` administers the accounts and incidents of its own agency only (R-8.3: each agency's
  administrators grant rights in it). Other agencies' accounts and incidents are invisible to it, as
  other agencies' dossiers are to officials. It grants only the roles that do an agency's work (and
  its own role); an account holding any other role (admin, control office, analyst) is visible to it
  but changed only by a system administrator, so an agency administrator cannot take over one.
- Nobody deactivates their own account or takes their own administration role away: an
  administrator cannot lock everyone out by mistake.
- The agency head reassigns an official's claimed tasks (R-4.1, as one assignment each); a system
  administrator may too (the way out when the head is the one who left).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .access import WORKING_ROLES, Invisible, NotAllowed, Official
from .roles import Role

ADMIN = Role.ADMIN.value
AGENCY_ADMIN = Role.AGENCY_ADMIN.value
ADMINISTRATION = frozenset({ADMIN, AGENCY_ADMIN})
# What an agency administrator may grant: the agency's working roles and its own role.
GRANTABLE_BY_AGENCY_ADMIN = WORKING_ROLES | {AGENCY_ADMIN}


@dataclass(frozen=True)
class AccountFacts:
    """What the rules need of an account in the directory."""

    username: str
    agency_id: str
    roles: frozenset[str]


def is_administrator(user: Official) -> bool:
    return bool(user.roles & ADMINISTRATION)


def administered_agency(user: Official) -> str | None:
    """The agency whose accounts and incidents `user` administers; None for every agency (admin).
    Raises NotAllowed for anyone who administers nothing."""
    if user.has(ADMIN):
        return None
    if user.has(AGENCY_ADMIN):
        return user.agency_id
    raise NotAllowed("only an administrator (admin, or agency_admin for its own agency) may do this")


def check_list(user: Official, agency: str | None) -> str | None:
    """The agency filter to apply when `user` lists accounts or incidents (None: every agency).
    An agency administrator asking for another agency is refused (NotAllowed)."""
    own = administered_agency(user)
    if own is None:
        return agency
    if agency not in (None, own):
        raise NotAllowed(f"an agency administrator sees only its own agency ({own})")
    return own


def check_see(user: Official, agency_id: str) -> None:
    """An account or incident of `agency_id`: other agencies' are Invisible to an agency administrator."""
    own = administered_agency(user)
    if own is not None and own != agency_id:
        raise Invisible("no such object")


def check_change(user: Official, account: AccountFacts) -> None:
    """Change an existing account (password reset, unlock, (de)activation, roles)."""
    check_see(user, account.agency_id)
    if not user.has(ADMIN):
        beyond = sorted(account.roles - GRANTABLE_BY_AGENCY_ADMIN)
        if beyond:
            raise NotAllowed(f"{account.username} holds {', '.join(beyond)}: only a system administrator "
                             "changes this account")


def check_grant(user: Official, account: AccountFacts, roles: Iterable[str]) -> None:
    """Give `account` exactly `roles` (creating it, or replacing its roles)."""
    roles = frozenset(roles)
    check_change(user, account)
    if not user.has(ADMIN):
        beyond = sorted(roles - GRANTABLE_BY_AGENCY_ADMIN)
        if beyond:
            raise NotAllowed(f"an agency administrator cannot grant {', '.join(beyond)} "
                             f"(it grants {', '.join(sorted(GRANTABLE_BY_AGENCY_ADMIN))})")
    if account.username == user.username and (user.roles & ADMINISTRATION) - roles:
        raise NotAllowed("you cannot take away your own administration role: ask another administrator")


def check_deactivate(user: Official, account: AccountFacts) -> None:
    check_change(user, account)
    if account.username == user.username:
        raise NotAllowed("you cannot deactivate your own account: ask another administrator")


def check_reassign(user: Official, agency_id: str) -> None:
    """Reassign the claimed tasks of an official of `agency_id`: its agency head, or a system
    administrator. Officials of other agencies are Invisible to a head (R-4.1)."""
    if user.has(ADMIN):
        return
    if not user.has(Role.AGENCY_HEAD):
        raise NotAllowed("only the agency head (or a system administrator) reassigns an official's tasks")
    if user.agency_id != agency_id:
        raise Invisible("no such official in your agency")


def reassignment_target_problems(target: AccountFacts | None, active: bool, agencies: Iterable[str],
                                 roles_needed: Iterable[str], from_username: str) -> list[str]:
    """Why `target` cannot take over tasks of `agencies` needing `roles_needed` (the rule of one
    assignment, access.check_assign: exists, active, same agency, holds the task's role); [] if it can."""
    if target is None:
        return ["no such official"]
    if target.username == from_username:
        return ["is the official whose tasks are reassigned"]
    problems = []
    if not active:
        problems.append("is deactivated")
    problems += [f"is not in {a}" for a in sorted(set(agencies)) if a != target.agency_id]
    missing = sorted(frozenset(roles_needed) - target.roles)
    if missing:
        problems.append(f"does not hold the role {', '.join(missing)} the tasks need")
    return problems
