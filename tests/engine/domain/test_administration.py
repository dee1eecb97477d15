"""Who administers which account and handles which incident (R-8.3), and who reassigns (R-4.1)."""
import pytest

from engine.domain import administration as rules
from engine.domain.access import Invisible, NotAllowed, Official
from engine.domain.administration import AccountFacts

H15, H20 = "000.00.12.H15", "000.00.12.H20"
ADMIN = Official("root", "000.00.00.H00", frozenset({"admin"}))
LOCAL_ADMIN = Official("qt15", H15, frozenset({"agency_admin"}))
HEAD = Official("head", H15, frozenset({"agency_head"}))
AN = AccountFacts("an", H15, frozenset({"official"}))
OTHER = AccountFacts("other", H20, frozenset({"official"}))
CONTROL = AccountFacts("ks", H15, frozenset({"control_office"}))


def test_a_system_administrator_administers_every_agency():
    assert rules.check_list(ADMIN, None) is None and rules.check_list(ADMIN, H20) == H20
    rules.check_change(ADMIN, OTHER)
    rules.check_grant(ADMIN, AN, {"admin", "control_office"})


def test_an_agency_administrator_administers_its_own_agency_only():
    assert rules.check_list(LOCAL_ADMIN, None) == H15  # listing is narrowed to its agency
    with pytest.raises(NotAllowed):
        rules.check_list(LOCAL_ADMIN, H20)
    rules.check_change(LOCAL_ADMIN, AN)
    with pytest.raises(Invisible):  # other agencies' accounts do not exist for it (404)
        rules.check_change(LOCAL_ADMIN, OTHER)


def test_an_agency_administrator_grants_working_roles_only_and_leaves_oversight_accounts_alone():
    rules.check_grant(LOCAL_ADMIN, AN, {"official", "approver", "agency_admin"})
    with pytest.raises(NotAllowed, match="cannot grant admin"):
        rules.check_grant(LOCAL_ADMIN, AN, {"official", "admin"})
    with pytest.raises(NotAllowed, match="only a system administrator"):
        rules.check_change(LOCAL_ADMIN, CONTROL)


def test_nobody_locks_themselves_out():
    me = AccountFacts("qt15", H15, frozenset({"agency_admin"}))
    with pytest.raises(NotAllowed, match="own account"):
        rules.check_deactivate(LOCAL_ADMIN, me)
    with pytest.raises(NotAllowed, match="own administration role"):
        rules.check_grant(LOCAL_ADMIN, me, {"official"})
    rules.check_grant(LOCAL_ADMIN, me, {"official", "agency_admin"})


def test_officials_administer_nothing():
    with pytest.raises(NotAllowed):
        rules.check_list(HEAD, None)
    with pytest.raises(NotAllowed):
        rules.check_see(HEAD, H15)


def test_the_head_of_the_agency_or_a_system_administrator_reassigns():
    rules.check_reassign(HEAD, H15)
    rules.check_reassign(ADMIN, H20)
    with pytest.raises(Invisible):
        rules.check_reassign(HEAD, H20)
    with pytest.raises(NotAllowed):
        rules.check_reassign(LOCAL_ADMIN, H15)  # accounts, not the agency's work


def test_a_reassignment_target_is_named_with_every_problem():
    binh = AccountFacts("binh", H20, frozenset({"official"}))
    assert rules.reassignment_target_problems(binh, False, {H15}, {"official", "approver"}, "an") == [
        "is deactivated", f"is not in {H15}", "does not hold the role approver the tasks need"]
    assert rules.reassignment_target_problems(None, False, {H15}, set(), "an") == ["no such official"]
    assert rules.reassignment_target_problems(AN, True, {H15}, set(), "an") == [
        "is the official whose tasks are reassigned"]
    assert rules.reassignment_target_problems(AccountFacts("binh", H15, frozenset({"official"})), True, {H15},
                                              {"official"}, "an") == []
