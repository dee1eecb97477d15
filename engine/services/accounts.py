"""Local accounts: argon2 passwords, change at first login (R-8.2), failed logins limited per
user name and per client address; sessions that end (password change, deactivation).

The accounts table is also the directory of officials: SSO users are remembered (without a
password) the first time they call the API, so an agency head can assign them tasks (R-4.1), and
can be deactivated there. An SSO token grants only the roles the policy allows (R-8.1, R-8.3).
"""
from __future__ import annotations

import functools
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.domain.access import Official
from engine.domain.dossier_code import AGENCY_ID_RE
from engine.domain.roles import ROLE_CODES, Role
from engine.persistence.models import NO_PASSWORD
from engine.persistence.unit_of_work import UnitOfWork

from .context import EngineContext
from .errors import Conflict, InvalidInput, NotFound, Unauthorized
from .rate_limit import RateLimiter, RateRule

log = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"\A[A-Za-z0-9._@-]{1,128}\Z")
MIN_PASSWORD_LENGTH = 10
MAX_DISPLAY_NAME = 255  # accounts.display_name


# Roles a province SSO token may grant by default: those who handle dossiers. Oversight (admin,
# control office) and analysts are granted only in Motcua's own directory (local accounts).
SSO_DEFAULT_ROLES = frozenset({Role.ONE_STOP_OFFICER.value, Role.AGENCY_HEAD.value, Role.OFFICIAL.value,
                               Role.APPROVER.value})
SSO_NEVER = frozenset({Role.ADMIN.value, Role.CONTROL_OFFICE.value})
LOGIN_ADDRESS = "login-address"  # rate-counter scopes
LOGIN_USERNAME = "login-username"


@dataclass(frozen=True)
class LoginResult:
    official: Official
    must_change_password: bool
    token_generation: int  # local tokens carry it; see Account.token_generation


@dataclass(frozen=True)
class TokenClaims:
    """What a verified token says (signature, issuer and expiry already checked by the API)."""

    official: Official  # as claimed by the token
    source: str  # "local" or "sso"
    token_id: str | None
    token_generation: int = 0  # local tokens only
    issued_at: datetime | None = None  # the token's `iat`: SSO tokens from before a (de)activation are refused


@dataclass(frozen=True)
class AccountPolicy:
    lock_after: int = 5  # failed logins of one username (whether it exists or not) within lock_for
    lock_for: timedelta = timedelta(minutes=15)
    address_limit: int = 20  # failed logins from one client address per address_window
    address_window: timedelta = timedelta(minutes=1)
    sso_roles: frozenset[str] = SSO_DEFAULT_ROLES  # the roles an SSO token may grant

    def __post_init__(self) -> None:
        unknown = self.sso_roles - ROLE_CODES
        if unknown:
            raise ValueError(f"unknown SSO roles {sorted(unknown)} (roles: {', '.join(sorted(ROLE_CODES))})")
        if self.sso_roles & SSO_NEVER:
            raise ValueError(f"an SSO token may never grant {sorted(self.sso_roles & SSO_NEVER)}: "
                             "grant them to a local account (motcua users add)")

    @property
    def username_rule(self) -> RateRule:
        return RateRule(self.lock_after, self.lock_for, block=self.lock_for)

    @property
    def address_rule(self) -> RateRule:
        return RateRule(self.address_limit, self.address_window)


class AccountService:
    def __init__(self, ctx: EngineContext, hasher: PasswordHasher | None = None,
                 policy: AccountPolicy | None = None, limiter: RateLimiter | None = None):
        self.ctx = ctx
        self.hasher = hasher or PasswordHasher()
        self.policy = policy or AccountPolicy()
        self.limiter = limiter or RateLimiter(ctx)

    @functools.cached_property
    def _dummy(self) -> str:
        """A hash to verify against when the account does not exist; made on first need, not at start-up."""
        return self.hasher.hash(secrets.token_hex(8))

    def add(self, username: str, agency_id: str, roles: Iterable[str], display_name: str | None = None,
            password: str | None = None,
            also: Callable[[UnitOfWork, Official], None] | None = None) -> tuple[Official, str]:
        """Create an account; returns it with its first password, which must be changed at first login.
        `also` runs in the same transaction just before the commit (an administrator's rule and audit
        record); what it raises undoes the creation."""
        roles = sorted(set(roles))
        problems = []
        if not USERNAME_RE.match(username or ""):
            problems.append(("username", "1-128 letters, digits, '.', '-', '_' or '@'"))
        if not AGENCY_ID_RE.match(agency_id or ""):
            problems.append(("agency", "an agency electronic id (up to 35 characters)"))
        if display_name is not None and (len(display_name) > MAX_DISPLAY_NAME or not display_name.isprintable()):
            problems.append(("display_name", f"at most {MAX_DISPLAY_NAME} printable characters"))
        unknown = [r for r in roles if r not in ROLE_CODES]
        if unknown or not roles:
            problems.append(("roles", f"unknown {unknown}" if unknown else "at least one role"))
        password = password or self.first_password(username)
        problems += [("password", p) for p in self._password_problems(username, password)]
        if problems:
            raise InvalidInput("the account cannot be created", problems)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            if uow.accounts.exists(username):
                raise Conflict(f"account {username!r} already exists")
            official = Official(username, agency_id, frozenset(roles), display_name or username)
            if not uow.accounts.add_new(username=username, display_name=display_name or username,
                                        agency_id=agency_id, roles=roles, password_hash=self.hasher.hash(password),
                                        must_change_password=True, active=True, created_at=now):
                raise Conflict(f"account {username!r} already exists")  # created meanwhile by someone else
            if also is not None:  # last: an audit record holds the chain's head until the commit
                also(uow, official)
            uow.commit()
        return official, password

    def first_password(self, username: str) -> str:
        """A random first password that passes the rules: 16 URL-safe characters (96 bits), drawn
        again while it happens to contain the user name (e.g. "an" turns up about once in 70)."""
        while True:
            password = secrets.token_urlsafe(12)
            if not self._password_problems(username, password):
                return password

    def authenticate(self, username: str, password: str, client: str = "unknown") -> LoginResult:
        """Check a local password. `client` is the caller's address (the API's trusted view of it).

        The answer and the work are the same for an unknown username and a wrong password: an argon2
        verify either way, then "wrong username or password". Attempts are counted BEFORE the
        password is checked, atomically in the database (every API process shares the counts):
        - per client address: over `address_limit` failures per `address_window` → TooManyRequests;
        - per username, existing or not: `lock_after` failures within `lock_for` lock it for `lock_for`
          → Unauthorized(reason="locked", locked_until=...).
        A successful login gives back its address attempt and clears the username's count.
        """
        p = self.policy
        self.limiter.take(LOGIN_ADDRESS, client, p.address_rule, "failed logins from this address")
        by_name = self.limiter.hit(LOGIN_USERNAME, username, p.username_rule)
        if not by_name.allowed:
            raise Unauthorized(f"too many failed logins for this username: locked until {self._local(by_name.resets_at)}",
                               reason="locked", locked_until=by_name.resets_at)
        with self.ctx.uow(write=False) as uow:
            account = uow.accounts.by_username(username)
        usable = account is not None and account.active and account.password_hash != NO_PASSWORD
        # the dummy verify costs what a real one does, so timing does not tell unknown names apart
        verified = self._verify(account.password_hash if usable else self._dummy, password)
        if not (usable and verified):
            raise Unauthorized("wrong username or password")
        self.limiter.clear(LOGIN_USERNAME, username)
        self.limiter.refund(LOGIN_ADDRESS, client)
        return LoginResult(self._official(account), account.must_change_password, account.token_generation)

    def change_password(self, username: str, current: str, new: str, token_generation: int) -> LoginResult:
        """Change a local password (R-8.2) and end every session of the account: tokens of earlier
        generations stop working, the caller's included (`token_generation` is the one its token
        carries; a token of an older generation gets Unauthorized). Returns the new generation, for
        the caller's new token. Guesses of the current password count against the username's lock.
        Raises NotFound (no local password), Unauthorized, InvalidInput."""
        now = self.ctx.clock.now()
        problems = self._password_problems(username, new)
        if current == new:
            problems.append("must differ from the current password")
        with self.ctx.uow(write=False) as uow:
            account = uow.accounts.by_username(username)
        if account is None or account.password_hash == NO_PASSWORD:
            raise NotFound("this account has no local password")
        by_name = self.limiter.hit(LOGIN_USERNAME, username, self.policy.username_rule)
        if not by_name.allowed:
            raise Unauthorized(f"too many failed password checks: locked until {self._local(by_name.resets_at)}",
                               reason="locked", locked_until=by_name.resets_at)
        if not self._verify(account.password_hash, current):
            raise Unauthorized("the current password is wrong")
        self.limiter.clear(LOGIN_USERNAME, username)
        if problems:
            raise InvalidInput("the new password is not acceptable", [("new_password", p) for p in problems])
        new_hash = self.hasher.hash(new)
        with self.ctx.uow() as uow:
            generation = uow.accounts.set_password(account.id, new_hash, now, token_generation)
            if generation is None:
                raise Unauthorized("this session has ended (the password was changed meanwhile); log in again",
                                   reason="session-ended")
            uow.commit()
        return LoginResult(self._official(account), False, generation)

    def set_active(self, username: str, active: bool) -> None:
        """Deactivate (or reactivate) an account, local or SSO-remembered: its tokens stop working at
        the next request, and tokens from before never work again. Raises NotFound."""
        with self.ctx.uow() as uow:
            if not uow.accounts.set_active(username, active, self.ctx.clock.now()):
                raise NotFound(f"no account {username!r}")
            uow.commit()

    def revoke_token(self, token_id: str, expires_at: datetime) -> None:
        """Revoke one token (logout); its id is kept until it would have expired anyway."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            uow.tokens.revoke(token_id, expires_at, now)
            uow.tokens.purge_expired(now)
            uow.commit()

    def unlock(self, username: str) -> None:
        """Forget the failed logins of a user name (e.g. a colleague locked out by someone guessing)."""
        self.limiter.clear(LOGIN_USERNAME, username)

    def official(self, username: str) -> Official | None:
        with self.ctx.uow(write=False) as uow:
            account = uow.accounts.by_username(username)
            return self._official(account) if account is not None and account.active else None

    def session(self, claims: TokenClaims, request_id: str = "") -> Official:
        """The official a verified token acts as NOW, checked on every request with one read:
        revoked (logout), account deactivated, password changed since (local tokens carry the
        account's token generation), or an SSO name that is a local account → Unauthorized.

        Local tokens act with the directory's current agency and roles. SSO tokens act with the
        roles the token claims that `policy.sso_roles` allows (R-8.1, R-8.3); known roles outside it
        are dropped, logged and audited, never granted. SSO officials are remembered in the directory
        (so an agency head can assign them tasks, R-4.1), written only when something changed."""
        with self.ctx.uow(single_read=True) as uow:
            state = uow.tokens.session_state(claims.official.username, claims.token_id)
        if state.revoked:
            raise Unauthorized("the token was revoked (logged out)", reason="session-ended")
        account = state.account
        if account is not None and not account.active:
            raise Unauthorized("the account is deactivated", reason="session-ended")
        if claims.source == "local":
            if account is None:
                raise Unauthorized("the account no longer exists", reason="session-ended")
            if account.token_generation != claims.token_generation:
                raise Unauthorized("the token was revoked: the password was changed or the account's sessions "
                                   "were ended; log in again", reason="session-ended")
            return Official(claims.official.username, account.agency_id, frozenset(account.roles),
                            account.display_name)
        if account is not None and account.local:
            raise Unauthorized(f"{claims.official.username!r} is a local account of Motcua: log in with its password",
                               reason="session-ended")
        ended = account.sessions_ended_at if account is not None else None
        if ended is not None and (claims.issued_at is None or claims.issued_at < ended):
            raise Unauthorized("the account's sessions were ended (deactivated) after this token was issued; "
                               "log in again", reason="session-ended")
        official, dropped = self._sso_official(claims.official)
        if dropped:
            log.warning("SSO token of %s claims roles %s that SSO may not grant: dropped",
                        official.username, sorted(dropped))
        if account is None or (account.agency_id, sorted(account.roles), account.display_name) != (
                official.agency_id, sorted(official.roles), official.display_name):
            self._remember(official, dropped, request_id)
        return official

    def _sso_official(self, claimed: Official) -> tuple[Official, frozenset[str]]:
        """The claimed roles the policy allows, and the Motcua roles it dropped (other names are ignored)."""
        granted = claimed.roles & self.policy.sso_roles
        dropped = (claimed.roles & ROLE_CODES) - granted
        return Official(claimed.username, claimed.agency_id, granted, claimed.display_name), dropped

    def _remember(self, official: Official, dropped: frozenset[str], request_id: str) -> None:
        """Keep the directory entry of an SSO official up to date; audit roles the SSO claimed in vain."""
        now = self.ctx.clock.now()
        roles = sorted(official.roles)
        with self.ctx.uow() as uow:
            uow.accounts.remember_sso(official.username, official.display_name or official.username,
                                      official.agency_id, roles, now)
            if dropped:
                uow.audit.add(at=now, actor=official.username, agency_id=official.agency_id,
                              action="sso-roles-dropped", target=f"accounts/{official.username}",
                              request_id=request_id, outcome=403,
                              detail={"dropped": sorted(dropped), "granted": roles})
            uow.commit()

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

    def _local(self, t: datetime) -> str:
        """An instant as people read it: the province's zone, with its offset."""
        return t.astimezone(self.ctx.calendars().tz).isoformat(timespec="seconds")

    @staticmethod
    def _official(account: object) -> Official:
        return Official(account.username, account.agency_id, frozenset(account.roles), account.display_name)
