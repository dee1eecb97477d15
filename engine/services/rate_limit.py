"""Attempt limits shared by every API process: logins per client address and per username, and
any public endpoint that must not be guessed at (e.g. an applicants' dossier lookup).

Each attempt is counted with one atomic upsert in the database BEFORE the guarded work (a password
check) runs, so N parallel attempts can never all read "under the limit": at most `limit` of them
are allowed in a window, however many processes serve them.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from .context import EngineContext
from .errors import TooManyRequests

MAX_SUBJECT = 128  # longer subjects are stored as their SHA-256 (64 hex digits)


@dataclass(frozen=True)
class RateRule:
    """`limit` attempts per `window`, counted from the window's first attempt. With `block`, the
    attempt that reaches the limit starts a block of that length (a lockout) instead."""

    limit: int
    window: timedelta
    block: timedelta | None = None

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= timedelta(0) or (self.block is not None and self.block <= timedelta(0)):
            raise ValueError(f"a rate rule needs a positive limit, window and block: {self}")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hits: int  # attempts counted in this window, this one included
    resets_at: datetime  # when counting starts afresh (UTC)
    retry_after: int  # whole seconds until then, at least 1 (the HTTP Retry-After value)


class RateLimiter:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def hit(self, scope: str, subject: str, rule: RateRule) -> Decision:
        """Count one attempt of `subject` (e.g. a client address) in `scope` (e.g. "login-address")
        and say whether it may go ahead. The count is committed before this returns."""
        now = self.ctx.clock.now()
        block_ends = now + rule.block if rule.block is not None else None
        with self.ctx.uow() as uow:
            count = uow.rate_counters.hit(scope, _subject(subject), rule.limit, now, now + rule.window, block_ends)
            uow.rate_counters.purge_ended(now)
            uow.commit()
        retry = max(1, math.ceil((count.resets_at - now).total_seconds()))
        return Decision(count.hits <= rule.limit, count.hits, count.resets_at, retry)

    def take(self, scope: str, subject: str, rule: RateRule, what: str) -> Decision:
        """`hit`, raising TooManyRequests (HTTP 429 with Retry-After) when over the limit."""
        decision = self.hit(scope, subject, rule)
        if not decision.allowed:
            raise TooManyRequests(f"too many {what}: at most {rule.limit} per {_span(rule.window)}; "
                                  f"retry in {decision.retry_after} s", retry_after=decision.retry_after)
        return decision

    def refund(self, scope: str, subject: str) -> None:
        """Give back one attempt (e.g. a login that succeeded: only failures should count)."""
        with self.ctx.uow() as uow:
            uow.rate_counters.refund(scope, _subject(subject))
            uow.commit()

    def clear(self, scope: str, subject: str) -> None:
        """Forget the subject's count (e.g. a successful login ends a run of failures)."""
        with self.ctx.uow() as uow:
            uow.rate_counters.clear(scope, _subject(subject))
            uow.commit()


def _subject(subject: str) -> str:
    if len(subject) <= MAX_SUBJECT:
        return subject
    return hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()


def _span(window: timedelta) -> str:
    seconds = window.total_seconds()
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"
