"""The directory as the lifecycle needs it: is this user name an active official who can take a task
of this role in this agency (R-4.1)? Read inside the caller's unit of work."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.domain import access
from engine.domain.access import Official

from .errors import InvalidInput


@dataclass(frozen=True)
class DirectoryEntry:
    official: Official
    active: bool


def lookup(uow: Any, username: Any) -> DirectoryEntry | None:
    """The account named `username` (local, or an SSO official remembered at login), active or not."""
    if not isinstance(username, str) or not username.strip():
        return None
    account = uow.accounts.by_username(username.strip())
    if account is None:
        return None
    official = Official(account.username, account.agency_id, frozenset(account.roles or ()), account.display_name)
    return DirectoryEntry(official, bool(account.active))


def check_assignee(uow: Any, username: Any, role: str, agency: str, field: str = "user") -> Official:
    """The official `username` if it can take a task of `role` in `agency` (R-4.1); InvalidInput
    (422) naming `field` and the problem otherwise ("no such official", "inactive", "does not hold
    role official", "belongs to agency X")."""
    entry = lookup(uow, username)
    problem = access.assignee_problem(entry.official if entry else None, bool(entry and entry.active), role, agency)
    if problem is not None:
        raise InvalidInput(f"cannot give the task to {username!r}: {problem}", [(field, problem)])
    assert entry is not None
    return entry.official
