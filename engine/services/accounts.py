"""Local accounts: argon2 passwords, change at first login (R-8.2), lockout after repeated failures.

The accounts table is also the directory of officials: SSO users are remembered (without a
password) the first time they call the API, so an agency head can assign them tasks (R-4.1).
"""
from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.domain.access import Official
from engine.domain.dossier_code import AGENCY_ID_RE
from engine.domain.roles import ROLE_CODES

from .context import EngineContext
from .errors import Conflict, InvalidInput, NotFound, Unauthorized

USERNAME_RE = re.compile(r"^[A-Za-z0-9._@-]{1,128}$")
MIN_PASSWORD_LENGTH = 10
NO_PASSWORD = ""  # SSO-only entry in the directory: cannot log in locally


@dataclass(frozen=True)
class LoginResult:
    official: Official
    must_change_password: bool


@dataclass(frozen=True)
class AccountPolicy:
    lock_after: int = 5  # failed logins in a row
    lock_for: timedelta = timedelta(minutes=15)


class AccountService:
    def __init__(self, ctx: EngineContext, hasher: PasswordHasher | None = None,
                 policy: AccountPolicy | None = None):
        self.ctx = ctx
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or AccountPolicy()

    @functools.cached_property
    def _dummy(self) -> str:
        """A hash to verify against when the account does not exist; made on first need, not at start-up."""
        return self.hasher.hash(secrets.token_hex(8))

    def add(self, username: str, agency_id: str, roles: Iterable[str], display_name: str | None = None,
            password: str | None = None) -> tuple[Official, str]:
        """Create an account; returns it with its first password, which must be changed at first login."""
        roles = sorted(set(roles))
        problems = []
        if not USERNAME_RE.match(username or ""):
            problems.append(("username", "1-128 letters, digits, '.', '-', '_' or '@'"))
        if not AGENCY_ID_RE.match(agency_id or ""):
            problems.append(("agency", "an agency electronic id (up to 35 characters)"))
        unknown = [r for r in roles if r not in ROLE_CODES]
        if unknown or not roles:
            problems.append(("roles", f"unknown {unknown}" if unknown else "at least one role"))
        password = password or secrets.token_urlsafe(12)
        problems += [("password", p) for p in self._password_problems(username, password)]
        if problems:
            raise InvalidInput("the account cannot be created", problems)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            if uow.accounts.exists(username):
                raise Conflict(f"account {username!r} already exists")
            uow.accounts.add(username=username, display_name=display_name or username, agency_id=agency_id,
                             roles=roles, password_hash=self.hasher.hash(password), must_change_password=True,
                             failed_logins=0, active=True, created_at=now)
            uow.commit()
        return Official(username, agency_id, frozenset(roles), display_name or username), password

    def authenticate(self, username: str, password: str) -> LoginResult:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            account = uow.accounts.by_username(username)
            if account is None or not account.active or account.password_hash == NO_PASSWORD:
                self._verify(self._dummy, password)  # same cost whether or not the account exists
                raise Unauthorized("wrong username or password")
            if account.locked_until is not None and account.locked_until > now:
                raise Unauthorized(f"account locked after repeated failures until {account.locked_until.isoformat()}",
                                   reason="locked", locked_until=account.locked_until)
            if not self._verify(account.password_hash, password):
                uow.accounts.record_failure(account.id, self.policy.lock_after, now + self.policy.lock_for)
                uow.commit()
                raise Unauthorized("wrong username or password")
            uow.accounts.record_success(account.id)
            uow.commit()
            return LoginResult(self._official(account), account.must_change_password)

    def change_password(self, username: str, current: str, new: str) -> Official:
        now = self.ctx.clock.now()
        problems = self._password_problems(username, new)
        if current == new:
            problems.append("must differ from the current password")
        with self.ctx.uow() as uow:
            account = uow.accounts.by_username(username)
            if account is None or account.password_hash == NO_PASSWORD:
                raise NotFound("this account has no local password")
            if not self._verify(account.password_hash, current):
                raise Unauthorized("the current password is wrong")
            if problems:
                raise InvalidInput("the new password is not acceptable", [("new_password", p) for p in problems])
            uow.accounts.set_password(account.id, self.hasher.hash(new), now)
            uow.commit()
            return self._official(account)

    def official(self, username: str) -> Official | None:
        with self.ctx.uow(write=False) as uow:
            account = uow.accounts.by_username(username)
            return self._official(account) if account is not None and account.active else None

    def remember(self, official: Official) -> None:
        """Keep the directory entry of an SSO official up to date (written only when it changed)."""
        with self.ctx.uow() as uow:
            account = uow.accounts.by_username(official.username)
            roles = sorted(official.roles)
            if account is None:
                uow.accounts.add(username=official.username, display_name=official.display_name or official.username,
                                 agency_id=official.agency_id, roles=roles, password_hash=NO_PASSWORD,
                                 must_change_password=False, failed_logins=0, active=True,
                                 created_at=self.ctx.clock.now())
            elif (account.agency_id, sorted(account.roles)) != (official.agency_id, roles):
                account.agency_id, account.roles = official.agency_id, roles
            else:
                return
            try:
                uow.commit()
            except Exception:  # another process remembered the same official at the same moment
                uow.rollback()

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _password_problems(username: str, password: str) -> list[str]:
        problems = []
        if len(password) < MIN_PASSWORD_LENGTH:
            problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
        if len(password) > 256:
            problems.append("at most 256 characters")
        if username and username.lower() in password.lower():
            problems.append("must not contain the username")
        return problems

    @staticmethod
    def _official(account: object) -> Official:
        return Official(account.username, account.agency_id, frozenset(account.roles), account.display_name)
