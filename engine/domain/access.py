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


def check_assign(user: Official, task: TaskLike) -> None:
    """R-4.1: the head of the task's agency assigns an official (the caller's right: 403 without it).
    Whether the target can take the task is `assignee_problem` (422: a wrong target, not a wrong caller)."""
    _visible(user, task)
    if not _heads(user, task):
        raise NotAllowed(f"only the agency head of {task.candidate_agency} can assign this task")
    if task.owner is not None:
        raise WrongState("the task is delegated: the delegate resolves it first")


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


def check_mark_result(user: Official, competent_agency: str) -> None:
    """Who may mark a file as the dossier's result (R-6.1), which its applicant downloads after an
    online return: an official with a working role in the competent agency, whose act the result
    is. Oversight, analysts and administrators may see the dossier, and agencies consulted on it
    work on it, but a file they marked would reach the applicant as the agency's result (NotAllowed)."""
    if user.agency_id != competent_agency or not user.roles & WORKING_ROLES:
        raise NotAllowed("only an official of the competent agency marks a file as the dossier's result (R-6.1)")


# ---------------------------------------------------------------- assignment

def assignee_problem(target: Official | None, active: bool, role: str, agency: str) -> str | None:
    """Why `target` cannot be given a task of `role` in `agency` (R-4.1: the head assigns an official
    who exists, is active and holds the role in the agency), or None when it can. The words are the
    API's (422 on the field naming the official): "no such official", "inactive", "does not hold
    role official", "belongs to agency X"."""
    if target is None:
        return "no such official"
    if not active:
        return "inactive"
    if target.agency_id != agency:
        return f"belongs to agency {target.agency_id}"
    if not target.has(role):
        return f"does not hold role {role}"
    return None


# ---------------------------------------------------------------- lifecycle actions (issue 9)

# Who takes each lifecycle action on a dossier: roles of its competent agency (docs/lifecycle.md,
# "Who may"). The desk receives, collects and returns what the applicant brings;
# the agency's leadership decides on an apology (R-5.3, N-6) and on stopping the handling.
LIFECYCLE_ROLES: dict[str, frozenset[str]] = {
    "apology": frozenset({Role.AGENCY_HEAD.value, Role.APPROVER.value}),
    "stop": frozenset({Role.AGENCY_HEAD.value, Role.APPROVER.value}),
    "refund": frozenset({Role.ONE_STOP_OFFICER.value, Role.AGENCY_HEAD.value}),
    "payment": frozenset({Role.ONE_STOP_OFFICER.value}),
    "payment_request": frozenset({Role.ONE_STOP_OFFICER.value, Role.OFFICIAL.value, Role.AGENCY_HEAD.value}),
    "result_return": frozenset({Role.ONE_STOP_OFFICER.value}),
    "withdrawal": frozenset({Role.ONE_STOP_OFFICER.value}),
    "supplement": frozenset({Role.ONE_STOP_OFFICER.value}),
}
LIFECYCLE_LABELS = {
    "apology": "issue an apology with a new appointment", "stop": "stop the handling", "refund": "refund the fee",
    "payment": "record a payment at the desk", "payment_request": "request a payment",
    "result_return": "return the result", "withdrawal": "record a withdrawal",
    "supplement": "record a supplement received at the desk",
}


def check_lifecycle_action(user: Official, action: str, competent_agency: str, involved_agencies: Iterable[str],
                           involved_users: Iterable[str] = ()) -> None:
    """Invisible (404) when `user` cannot see the dossier; NotAllowed (403) unless `user` holds one of
    LIFECYCLE_ROLES[action] in the competent agency (oversight roles watch, they do not act)."""
    if not can_see_dossier(user, competent_agency, involved_agencies, involved_users):
        raise Invisible("no such dossier")
    roles = LIFECYCLE_ROLES[action]
    if user.agency_id != competent_agency or not user.roles & roles:
        raise NotAllowed(f"only a {' or '.join(sorted(roles))} of {competent_agency} can "
                         f"{LIFECYCLE_LABELS[action]} on this dossier")


# ---------------------------------------------------------------- back-dated entries

# Who may enter, after an outage, a step that happened on paper with its real (past) time.
BACK_ENTRY_ROLES = frozenset({Role.AGENCY_HEAD.value, Role.ONE_STOP_OFFICER.value})


def check_back_entry(user: Official, agencies: Iterable[str]) -> None:
    """R-9.3: an agency head or one-stop officer of one of `agencies` (a step: the task's agency or the
    dossier's competent agency; a registration: the procedure's competent agency). NotAllowed otherwise."""
    agencies = set(agencies)
    if user.agency_id not in agencies or not user.roles & BACK_ENTRY_ROLES:
        raise NotAllowed(f"only an {' or '.join(sorted(BACK_ENTRY_ROLES))} of {' or '.join(sorted(agencies))} "
                         "can enter a step with a past time (R-9.3)")


def check_back_entry_task(user: Official, task: TaskLike, competent_agency: str) -> None:
    """Completing a task with its real past time (R-9.3): the rule above instead of being the task's
    candidate (the official enters what was done on paper). Invisible if the task is not visible and
    the official may not back-enter it; WrongState while it is delegated."""
    try:
        check_back_entry(user, {task.candidate_agency, competent_agency})
    except NotAllowed:
        _visible(user, task)
        raise
    if task.owner is not None:
        raise WrongState("the task is delegated: the delegate resolves it first")


# ---------------------------------------------------------------- late dossiers (R-5.3, N-6)

def watch_scope(user: Official) -> frozenset[str] | None:
    """The agencies whose overdue and at-risk dossiers `user` watches: every agency for the control
    office and administrators (None), their own agency for an agency head; NotAllowed otherwise."""
    if user.oversees:
        return None
    if user.has(Role.AGENCY_HEAD):
        return frozenset({user.agency_id})
    raise NotAllowed("only agency heads (their agency) and the control office (every agency) see the "
                     "overdue and at-risk dossiers")
