"""Administering accounts (R-8): list, show, create, (de)activate, unlock, reset a password, set roles.

The acting administrator is an Official: a system `admin` for every agency, an `agency_admin` for
its own (engine/domain/administration.py); the command line acts as a system administrator named
`cli:<os user>`. Every change is checked against the account as locked in the same transaction
and audited there (change_audit), so the audit never tells of a change that was not made.

SSO officials' entries are kept by the province's login (R-8.1): their roles come from the token,
they have no local password; they can be deactivated, reactivated and unlocked here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, TypeVar

from engine.domain import administration as rules
from engine.domain.access import Invisible, NotAllowed, Official
from engine.domain.administration import AccountFacts
from engine.domain.roles import ROLE_CODES
from engine.persistence.models import NO_PASSWORD
from engine.persistence.unit_of_work import UnitOfWork

from .accounts import LOGIN_USERNAME, AccountService
from .change_audit import record_change
from .context import EngineContext
from .errors import Conflict, Forbidden, InvalidInput, NotFound

T = TypeVar("T")


@dataclass(frozen=True)
class ClaimedTask:
    task_id: str
    dossier_code: str
    name: str
    candidate_role: str
    due_at: datetime | None


@dataclass(frozen=True)
class AccountView:
    username: str
    display_name: str
    agency_id: str
    roles: tuple[str, ...]
    active: bool
    source: str  # "local" (password in Motcua) or "sso" (remembered from the province's login)
    must_change_password: bool
    created_at: datetime
    password_changed_at: datetime | None
    sessions_ended_at: datetime | None  # last (de)activation
    locked_until: datetime | None = None  # failed logins lock the user name until then (show only)
    claimed_tasks: tuple[ClaimedTask, ...] = ()  # tasks it holds (show and deactivate only)


def rule(fn: Callable[..., T], *args: Any, what: str = "account") -> T:
    """Run a domain rule, turning its verdict into a service error (Invisible → NotFound)."""
    try:
        return fn(*args)
    except Invisible:
        raise NotFound(f"no such {what}") from None
    except NotAllowed as err:
        raise Forbidden(str(err)) from None


def facts(account: Any) -> AccountFacts:
    return AccountFacts(account.username, account.agency_id, frozenset(account.roles))


class AccountAdminService:
    def __init__(self, ctx: EngineContext, accounts: AccountService):
        self.ctx = ctx
        self.accounts = accounts

    # ------------------------------------------------------------ reading

    def list(self, user: Official, agency: str | None = None, role: str | None = None,
             active: bool | None = None) -> list[AccountView]:
        """Accounts by agency then user name. Raises Forbidden (not an administrator, or an agency
        administrator asking for another agency), InvalidInput (unknown role)."""
        agency = rule(rules.check_list, user, agency)
        if role is not None and role not in ROLE_CODES:
            raise InvalidInput(f"unknown role {role!r}", [("role", f"one of {', '.join(sorted(ROLE_CODES))}")])
        with self.ctx.uow(write=False) as uow:
            rows = uow.accounts.listing(agency)
        return [_view(a) for a in rows
                if (role is None or role in a.roles) and (active is None or bool(a.active) == active)]

    def show(self, user: Official, username: str) -> AccountView:
        """One account with its lock and the tasks it holds. Raises Forbidden, NotFound."""
        rule(rules.administered_agency, user)
        with self.ctx.uow(write=False) as uow:
            account = self._visible(uow, user, username)
            return self._full_view(uow, account)

    # ------------------------------------------------------------ changes

    def create(self, user: Official, username: str, agency_id: str, roles: Iterable[str],
               display_name: str | None = None, password: str | None = None,
               request_id: str = "") -> tuple[AccountView, str]:
        """A local account with a first password to change at first login (R-8.2); returns it and
        that password. An agency administrator creates accounts of its own agency only (Forbidden).
        Raises InvalidInput, Conflict (the user name is taken), Forbidden."""
        roles = sorted(set(roles))

        def check_and_audit(uow: UnitOfWork, official: Official) -> None:
            new = AccountFacts(official.username, official.agency_id, frozenset())  # it holds nothing yet
            if rules.administered_agency(user) not in (None, agency_id):
                raise Forbidden(f"an agency administrator creates accounts of its own agency ({user.agency_id}) only")
            rule(rules.check_grant, user, new, roles)
            record_change(uow, self.ctx.clock.now(), user, "account.create", f"accounts/{username}", request_id,
                          {"agency_id": agency_id, "roles": roles})

        rule(rules.administered_agency, user)
        official, password = self.accounts.add(username, agency_id, roles, display_name, password,
                                               also=check_and_audit)
        return self.show(user, official.username), password

    def set_active(self, user: Official, username: str, active: bool, request_id: str = "") -> AccountView:
        """Deactivate (every session ends at once) or reactivate (new logins only; earlier tokens
        stay refused). The answer lists the tasks the account still holds: its agency head can move
        them all to a colleague (ReassignmentService). Raises Forbidden (e.g. one's own account), NotFound."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            account = self._visible(uow, user, username, lock=True)
            rule(rules.check_deactivate if not active else rules.check_change, user, facts(account))
            uow.accounts.set_active(username, active, now)
            claimed = uow.tasks.claimed_by(username)
            record_change(uow, now, user, "account.activate" if active else "account.deactivate",
                          f"accounts/{username}", request_id, {"claimed_tasks": len(claimed)})
            uow.commit()
        return self.show(user, username)

    def unlock(self, user: Official, username: str, request_id: str = "") -> int:
        """Forget the user name's failed logins (the documented way out of a lock); returns how many
        were counted. A system administrator may unlock any user name (locks exist for unknown names
        too); an agency administrator only its agency's accounts. Raises Forbidden, NotFound."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            account = uow.accounts.lock(username)
            if account is not None:
                rule(rules.check_change, user, facts(account))
            elif rule(rules.administered_agency, user) is not None:
                raise NotFound(f"no account {username!r}")
            count = uow.rate_counters.get(LOGIN_USERNAME, username)
            uow.rate_counters.clear(LOGIN_USERNAME, username)
            record_change(uow, now, user, "account.unlock", f"accounts/{username}", request_id,
                          {"failed_logins": count.hits if count else 0})
            uow.commit()
        return count.hits if count else 0

    def reset_password(self, user: Official, username: str, password: str | None = None,
                       request_id: str = "") -> tuple[AccountView, str]:
        """A new first password (random unless given) that must be changed at the next login
        (R-8.2); every session of the account ends. Returns the account and the password. Raises
        Forbidden, NotFound, Conflict (an SSO official has no local password), InvalidInput."""
        password = password or self.accounts.first_password(username)
        problems = self.accounts._password_problems(username, password)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            account = self._visible(uow, user, username, lock=True)
            rule(rules.check_change, user, facts(account))
            if account.password_hash == NO_PASSWORD:
                raise Conflict(f"{username} signs in through the province's login (SSO): it has no password here")
            if problems:
                raise InvalidInput("the password is not acceptable", [("password", p) for p in problems])
            uow.accounts.reset_password(username, self.accounts.hasher.hash(password), now)
            record_change(uow, now, user, "account.reset-password", f"accounts/{username}", request_id)
            uow.commit()
        return self.show(user, username), password

    def set_roles(self, user: Official, username: str, roles: Iterable[str], request_id: str = "") -> AccountView:
        """Replace the account's roles; its sessions act with the new ones from their next request.
        Raises InvalidInput (no or unknown roles), Forbidden (a role the administrator may not grant,
        or one's own administration role), NotFound, Conflict (an SSO official: roles come from SSO)."""
        roles = sorted(set(roles))
        unknown = [r for r in roles if r not in ROLE_CODES]
        if unknown or not roles:
            raise InvalidInput("the roles are not acceptable",
                               [("roles", f"unknown {unknown}" if unknown else "at least one role")])
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            account = self._visible(uow, user, username, lock=True)
            rule(rules.check_grant, user, facts(account), roles)
            if account.password_hash == NO_PASSWORD:
                raise Conflict(f"{username} signs in through the province's login (SSO): its roles come from "
                               "there (R-8.1); change them in the province's directory")
            before = sorted(account.roles)
            uow.accounts.set_roles(username, roles)
            record_change(uow, now, user, "account.roles", f"accounts/{username}", request_id,
                          {"before": before, "after": roles})
            uow.commit()
        return self.show(user, username)

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _visible(uow: UnitOfWork, user: Official, username: str, lock: bool = False) -> Any:
        rule(rules.administered_agency, user)  # non-administrators learn nothing about accounts
        account = uow.accounts.lock(username) if lock else uow.accounts.by_username(username)
        if account is None:
            raise NotFound(f"no account {username!r}")
        try:  # another agency's account does not exist for an agency administrator
            rules.check_see(user, account.agency_id)
        except Invisible:
            raise NotFound(f"no account {username!r}") from None
        return account

    def _full_view(self, uow: UnitOfWork, account: Any) -> AccountView:
        now = self.ctx.clock.now()
        count = uow.rate_counters.get(LOGIN_USERNAME, account.username)
        locked = (count.resets_at if count is not None and count.hits >= self.accounts.policy.lock_after
                  and count.resets_at > now else None)
        claimed = tuple(ClaimedTask(t.task_id, t.dossier_code, t.name, t.candidate_role, t.due_at)
                        for t in uow.tasks.claimed_by(account.username))
        return _view(account, locked, claimed)


def _view(a: Any, locked_until: datetime | None = None, claimed: tuple[ClaimedTask, ...] = ()) -> AccountView:
    return AccountView(a.username, a.display_name, a.agency_id, tuple(sorted(a.roles)), bool(a.active),
                       "sso" if a.password_hash == NO_PASSWORD else "local", bool(a.must_change_password),
                       a.created_at, a.password_changed_at, a.sessions_ended_at, locked_until, claimed)
