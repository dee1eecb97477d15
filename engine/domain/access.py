"""Who may see and act on which task or dossier (R-4.1, R-8.3, R-8.5). Pure rules over plain data.

Officials see and act only on tasks of their agency and roles. Anything else is "invisible"
(the API answers 404, so it does not reveal what other agencies hold), "not allowed" (403: visible
but not theirs to do) or "wrong state" (409: e.g. claimed by someone else meanwhile).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Protocol

from .roles import ROLE_CODES, Role

# Roles that oversee every agency's work (read-only).
OVERSIGHT = frozenset({Role.CONTROL_OFFICE.value, Role.ADMIN.value})


class Invisible(LookupError):
    pass


class NotAllowed(PermissionError):
    pass


class WrongState(RuntimeError):
    pass


@dataclass(frozen=True)
class Official:
    username: str
    agency_id: str
    roles: frozenset[str] = field(default_factory=frozenset)
    display_name: str = ""

    def has(self, role: Role | str) -> bool:
        return (role.value if isinstance(role, Role) else role) in self.roles

    @property
    def oversees(self) -> bool:
        return bool(self.roles & OVERSIGHT)

    def roles_by_agency(self) -> dict[str, set[str]]:
        """The (agency, role) pairs whose tasks this official is a candidate for."""
        return {self.agency_id: set(self.roles)}

    def visible_roles_by_agency(self) -> dict[str, set[str]]:
        """Agency heads oversee (and assign) every task of their agency (R-4.1)."""
        if self.has(Role.AGENCY_HEAD):
            return {self.agency_id: set(ROLE_CODES)}
        return self.roles_by_agency()


class TaskLike(Protocol):
    candidate_agency: str
    candidate_role: str
    assignee: str | None
    owner: str | None


def is_candidate(user: Official, task: TaskLike) -> bool:
    return task.candidate_agency == user.agency_id and task.candidate_role in user.roles


def can_see_task(user: Official, task: TaskLike) -> bool:
    return (is_candidate(user, task) or user.username in (task.assignee, task.owner) or user.oversees
            or _heads(user, task))


def _visible(user: Official, task: TaskLike) -> None:
    if not can_see_task(user, task):
        raise Invisible("no such task")


def check_view(user: Official, task: TaskLike) -> None:
    _visible(user, task)


def check_claim(user: Official, task: TaskLike) -> None:
    _visible(user, task)
    if not is_candidate(user, task):
        raise NotAllowed(f"only a {task.candidate_role} of {task.candidate_agency} can claim this task")
    if task.assignee == user.username:
        raise WrongState("you have already claimed this task")
    if task.assignee is not None:
        raise WrongState(f"already claimed by {task.assignee}")


def check_unclaim(user: Official, task: TaskLike) -> None:
    _visible(user, task)
    if task.assignee is None:
        raise WrongState("the task is not claimed")
    if task.owner is not None:
        raise WrongState("the task is delegated: the delegate resolves it first")
    if task.assignee != user.username and not _heads(user, task):
        raise NotAllowed("only the assignee or the agency head can release this task")


def _heads(user: Official, task: TaskLike) -> bool:
    return user.has(Role.AGENCY_HEAD) and user.agency_id == task.candidate_agency


def check_assign(user: Official, task: TaskLike, target: Official) -> None:
    """R-4.1: the head of the competent agency assigns an official."""
    _visible(user, task)
    if not _heads(user, task):
        raise NotAllowed(f"only the agency head of {task.candidate_agency} can assign this task")
    if task.owner is not None:
        raise WrongState("the task is delegated: the delegate resolves it first")
    if not is_candidate(target, task):
        raise NotAllowed(f"{target.username} is not a {task.candidate_role} of {task.candidate_agency}")


def check_delegate(user: Official, task: TaskLike, target: Official) -> None:
    _visible(user, task)
    if task.assignee != user.username:
        raise NotAllowed("only the assignee can delegate this task")
    if task.owner is not None:
        raise WrongState("the task is already delegated")
    if target.username == user.username:
        raise WrongState("cannot delegate a task to yourself")
    if target.agency_id != task.candidate_agency:
        raise NotAllowed(f"{target.username} is not in {task.candidate_agency}")


def check_resolve(user: Official, task: TaskLike) -> None:
    _visible(user, task)
    if task.owner is None:
        raise WrongState("the task is not delegated")
    if task.assignee != user.username:
        raise NotAllowed("only the delegate can hand the task back")


def check_complete(user: Official, task: TaskLike) -> None:
    _visible(user, task)
    if task.owner is not None:
        raise WrongState("the task is delegated: the delegate resolves it, then the owner completes it")
    if task.assignee == user.username:
        return
    if task.assignee is not None:
        raise WrongState(f"claimed by {task.assignee}")
    if not is_candidate(user, task):
        raise NotAllowed(f"only a {task.candidate_role} of {task.candidate_agency} can complete this task")


def can_see_dossier(user: Official, competent_agency: str, involved_agencies: Iterable[str],
                    involved_users: Iterable[str] = ()) -> bool:
    """The competent agency, agencies that worked on it (inter-agency routing), the officials who
    touched it, and the oversight roles."""
    return (user.oversees or user.agency_id == competent_agency or user.agency_id in set(involved_agencies)
            or user.username in set(involved_users))


# Roles that do the agencies' work (as opposed to oversight, analysis and administration).
WORKING_ROLES = frozenset({Role.ONE_STOP_OFFICER.value, Role.OFFICIAL.value, Role.AGENCY_HEAD.value,
                           Role.APPROVER.value})


def check_deliver_message(user: Official, competent_agency: str, acting_agencies: Iterable[str],
                          involved_agencies: Iterable[str], involved_users: Iterable[str] = ()) -> None:
    """Who may record that a message reached a dossier ("fee paid", "applicant supplemented"):
    an official with a working role in the competent agency (the one-stop desk receives what the
    applicant brings, R-2.4, R-6.2) or in an agency holding one of the dossier's ready tasks (a
    consulted agency answering, R-4.2). Oversight roles see the dossier but do not act on it
    (NotAllowed); officials who cannot see it get Invisible."""
    if not can_see_dossier(user, competent_agency, involved_agencies, involved_users):
        raise Invisible("no such dossier")
    agencies = {competent_agency, *acting_agencies}
    if user.agency_id not in agencies or not user.roles & WORKING_ROLES:
        raise NotAllowed("only officials of the competent agency, or of an agency with a task in this dossier, "
                         "can deliver a message to it")
