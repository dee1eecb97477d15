"""A record that rides in the same transaction as the change it describes (issue 15).

An API request's audit record (R-8.5) used to be written after the request's transaction, in one
of its own: a second BEGIN ... COMMIT, hence a second durable flush (fsync) on PostgreSQL, for
every change. An entrypoint that knows its change is made by one write transaction may instead
*offer* the record for the context it runs in; the first write unit of work opened afterwards
*takes* it, writes it last (just before its commit, so any lock it takes is held only for the
commit) and reports whether it committed. A unit of work that rolls back drops it, so the caller
still sees it uncommitted and records the outcome its own way (a refused request leaves its trace).

Nothing here is shared between threads or processes: the offer lives in a ContextVar of the
request's own context and is withdrawn when the request ends.
"""
from __future__ import annotations

from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from .unit_of_work import UnitOfWork


class Companion(Protocol):
    def write(self, uow: "UnitOfWork") -> None:
        """Add the record to `uow`'s transaction (called once, right before its commit)."""

    def committed(self) -> None:
        """The transaction carrying the record committed."""


_offered: ContextVar[Companion | None] = ContextVar("motcua_commit_companion", default=None)


def offer(companion: Companion) -> Token[Companion | None]:
    """Make `companion` ride with the next write transaction opened in this context."""
    return _offered.set(companion)


def withdraw(token: Token[Companion | None]) -> None:
    """End the offer (taken or not): the context may serve another request next."""
    _offered.reset(token)


def take() -> Companion | None:
    """The companion on offer, once: a later write transaction of the same request gets none."""
    companion = _offered.get()
    if companion is not None:
        _offered.set(None)
    return companion
