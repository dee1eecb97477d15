"""Who may take the officials' lifecycle actions (issue 9), assign (R-4.1) and back-enter (R-9.3):
pure rules of engine/domain/access.py."""
from datetime import datetime, timezone

import pytest

from engine.domain import access
from engine.domain.access import Official
from engine.domain.dossier import Dossier, LifecycleDataError, LifecycleStateError

A, B = "000.00.12.H15", "000.00.12.H20"


def who(agency: str, *roles: str, name: str = "u") -> Official:
    return Official(name, agency, frozenset(roles))


@pytest.mark.parametrize("target, active, problem", [
    (None, False, "no such official"),
    (who(A, "official"), False, "inactive"),
    (who(B, "official"), True, f"belongs to agency {B}"),
    (who(A, "approver"), True, "does not hold role official"),
    (who(A, "official", "approver"), True, None),
])
def test_assignee_problem_names_what_is_wrong_with_the_target(target, active, problem):
    # the head assigns an official who exists, is active and holds the role in the agency.
    assert access.assignee_problem(target, active, "official", A) == problem


def test_assigning_is_the_task_agency_heads_right_whatever_the_target():
    task = type("T", (), {"candidate_agency": A, "candidate_role": "official", "assignee": None, "owner": None})()
    access.check_assign(who(A, "agency_head"), task)
    with pytest.raises(access.NotAllowed):
        access.check_assign(who(A, "official"), task)
    with pytest.raises(access.Invisible):
        access.check_assign(who(B, "agency_head"), task)


@pytest.mark.parametrize("action, allowed, refused", [
    ("apology", ["agency_head", "approver"], ["one_stop_officer", "official"]),  # N-6
    ("stop", ["agency_head", "approver"], ["one_stop_officer", "official"]),
    ("payment", ["one_stop_officer"], ["official", "agency_head"]),  # the desk's receipt
    ("payment_request", ["official", "one_stop_officer", "agency_head"], ["approver"]),
    ("refund", ["one_stop_officer", "agency_head"], ["official"]),
    ("result_return", ["one_stop_officer"], ["official", "agency_head"]),
    ("withdrawal", ["one_stop_officer"], ["official", "agency_head"]),
    ("supplement", ["one_stop_officer"], ["official"]),  # paper supplement at the desk
])
def test_lifecycle_actions_belong_to_roles_of_the_competent_agency(action, allowed, refused):
    for role in allowed:
        access.check_lifecycle_action(who(A, role), action, A, set())
        with pytest.raises(access.NotAllowed):  # the same role in a consulted agency: sees, does not act
            access.check_lifecycle_action(who(B, role), action, A, {B})
    for role in refused:
        with pytest.raises(access.NotAllowed):
            access.check_lifecycle_action(who(A, role), action, A, set())
    with pytest.raises(access.Invisible):
        access.check_lifecycle_action(who(B, *allowed), action, A, set())
    with pytest.raises(access.NotAllowed):
        access.check_lifecycle_action(who("000.00.00.H00", "control_office"), action, A, set())


def test_back_entry_by_a_head_or_desk_officer_of_the_agency_concerned():
    # the rule chosen (docs/lifecycle.md): agency_head or one_stop_officer.
    for role in ("agency_head", "one_stop_officer"):
        access.check_back_entry(who(A, role), {A})
    for user in (who(A, "official"), who(A, "approver"), who(B, "agency_head")):
        with pytest.raises(access.NotAllowed):
            access.check_back_entry(user, {A})
    task = type("T", (), {"candidate_agency": B, "candidate_role": "official", "assignee": "x", "owner": None})()
    access.check_back_entry_task(who(A, "one_stop_officer"), task, A)  # the competent agency's desk
    access.check_back_entry_task(who(B, "agency_head"), task, A)  # the consulted agency's head
    with pytest.raises(access.Invisible):
        access.check_back_entry_task(who("000.00.12.H99", "agency_head"), task, A)


def test_the_aggregate_records_the_assigned_official():
    at = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
    d = Dossier.register(code="X-1", procedure_code="P", agency_id=A, channel="desk", received_at=at,
                         statutory_days=5)
    d.drain()
    d.assign_official(at, " binh ")
    assert d.assigned_official == "binh"
    [event] = d.drain()
    assert (event.kind, event.detail) == ("assigned", {"official": "binh", "rule": "R-4.1"})
    with pytest.raises(LifecycleDataError):
        d.assign_official(at, "")
    d.withdraw(at)
    with pytest.raises(LifecycleStateError):
        d.assign_official(at, "an")
