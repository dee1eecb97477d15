"""Administering accounts (R-8): an agency administrator for its own agency (R-8.3), a system
administrator for all; every change audited in its own transaction (R-8.5)."""
from datetime import timedelta

import pytest

from engine.domain.access import Official
from engine.services.accounts import TokenClaims
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized

H15, H20 = "000.00.12.H15", "000.00.12.H20"
PASSWORD = "mật-khẩu-đủ-dài-1"
ROOT = Official("cli:root", "", frozenset({"admin"}))
QT15 = Official("qt15", H15, frozenset({"agency_admin"}))
HEAD = Official("head", H15, frozenset({"agency_head"}))


@pytest.fixture
def directory(services):
    for name, agency, roles in [("qt15", H15, ["agency_admin"]), ("head", H15, ["agency_head"]),
                                ("an", H15, ["official"]), ("ks", H15, ["control_office"]),
                                ("other", H20, ["official"])]:
        services.accounts.add(name, agency, roles, password=PASSWORD)
    return services.account_admin


def audit(services):
    with services.ctx.uow(write=False) as uow:
        return [(r.actor, r.action, r.target, r.request_id, r.detail) for r in reversed(uow.audit.recent())]


def test_lists_every_agency_for_the_system_administrator_and_its_own_for_an_agency_administrator(directory):
    assert [a.username for a in directory.list(ROOT)] == ["an", "head", "ks", "qt15", "other"]
    assert [a.username for a in directory.list(QT15)] == ["an", "head", "ks", "qt15"]
    assert [a.username for a in directory.list(ROOT, role="official")] == ["an", "other"]
    with pytest.raises(Forbidden):
        directory.list(QT15, agency=H20)
    with pytest.raises(Forbidden):
        directory.list(HEAD)
    with pytest.raises(InvalidInput) as err:
        directory.list(ROOT, role="boss")
    assert err.value.problems[0][0] == "role"


def test_an_agency_administrator_creates_accounts_of_its_agency_with_working_roles_only(directory, services):
    account, password = directory.create(QT15, "binh", H15, ["official"], request_id="r-1")
    assert (account.agency_id, account.roles, account.must_change_password) == (H15, ("official",), True)
    assert services.accounts.authenticate("binh", password).must_change_password
    assert audit(services)[-1] == ("qt15", "account.create", "accounts/binh", "r-1",
                                   {"agency_id": H15, "roles": ["official"]})
    with pytest.raises(Forbidden, match="own agency"):
        directory.create(QT15, "dung", H20, ["official"])
    with pytest.raises(Forbidden, match="cannot grant admin"):
        directory.create(QT15, "dung", H15, ["admin"])
    assert services.accounts.official("dung") is None  # nothing half-written
    assert len(audit(services)) == 1


def test_other_agencies_accounts_do_not_exist_for_an_agency_administrator(directory):
    with pytest.raises(NotFound):
        directory.show(QT15, "other")
    with pytest.raises(NotFound):
        directory.set_active(QT15, "other", False)
    with pytest.raises(Forbidden, match="only a system administrator"):
        directory.reset_password(QT15, "ks")  # the control office is not its to change
    with pytest.raises(Forbidden):
        directory.show(HEAD, "an")  # officials learn nothing about accounts


def test_deactivating_ends_the_sessions_and_is_audited_but_not_for_ones_own_account(directory, services):
    claims = TokenClaims(Official("an", H15), "local", "jti-1", 0)
    assert services.accounts.session(claims).username == "an"
    view = directory.set_active(QT15, "an", False, "r-2")
    assert not view.active
    with pytest.raises(Unauthorized):
        services.accounts.session(claims)
    assert audit(services)[-1] == ("qt15", "account.deactivate", "accounts/an", "r-2", {"claimed_tasks": 0})
    with pytest.raises(Forbidden, match="own account"):
        directory.set_active(QT15, "qt15", False)
    assert directory.set_active(ROOT, "an", True).active


def test_reset_password_gives_a_first_password_and_ends_every_session(directory, services):
    claims = TokenClaims(Official("an", H15), "local", "jti-1", 0)
    view, password = directory.reset_password(QT15, "an", request_id="r-3")
    assert view.must_change_password
    with pytest.raises(Unauthorized):
        services.accounts.session(claims)
    with pytest.raises(Unauthorized):
        services.accounts.authenticate("an", PASSWORD)
    assert services.accounts.authenticate("an", password).must_change_password
    assert audit(services)[-1] == ("qt15", "account.reset-password", "accounts/an", "r-3", {})  # never the password
    with pytest.raises(InvalidInput) as err:
        directory.reset_password(QT15, "an", "short")
    assert err.value.problems[0][0] == "password"


def test_set_roles_takes_effect_at_the_next_request_and_records_before_and_after(directory, services):
    claims = TokenClaims(Official("an", H15), "local", "jti-1", 0)
    view = directory.set_roles(QT15, "an", ["official", "approver"], "r-4")
    assert view.roles == ("approver", "official")
    assert services.accounts.session(claims).roles == {"approver", "official"}
    assert audit(services)[-1][1:] == ("account.roles", "accounts/an", "r-4",
                                       {"before": ["official"], "after": ["approver", "official"]})
    with pytest.raises(InvalidInput):
        directory.set_roles(QT15, "an", [])
    with pytest.raises(Forbidden, match="own administration role"):
        directory.set_roles(QT15, "qt15", ["official"])


def test_an_sso_officials_roles_and_password_belong_to_the_provinces_login(directory, services):
    sso = TokenClaims(Official("sso1", H15, frozenset({"official"}), "Sơn"), "sso", None, issued_at=services.clock.now())
    services.accounts.session(sso)  # remembered in the directory
    assert directory.show(QT15, "sso1").source == "sso"
    with pytest.raises(Conflict, match="SSO"):
        directory.set_roles(QT15, "sso1", ["approver"])
    with pytest.raises(Conflict, match="no password"):
        directory.reset_password(QT15, "sso1")
    assert not directory.set_active(QT15, "sso1", False).active


def test_show_says_until_when_a_user_name_is_locked_and_unlock_is_the_way_out(directory, services, clock):
    for _ in range(5):
        with pytest.raises(Unauthorized):
            services.accounts.authenticate("an", "a wrong password")
    assert directory.show(QT15, "an").locked_until == clock.now() + timedelta(minutes=15)
    with pytest.raises(Unauthorized, match=r"locked until 2026-11-26T09:15:00\+07:00"):  # the province's time
        services.accounts.authenticate("an", PASSWORD)
    assert directory.unlock(QT15, "an", "r-5") == 6
    assert directory.show(QT15, "an").locked_until is None
    assert services.accounts.authenticate("an", PASSWORD).official.username == "an"
    assert audit(services)[-1] == ("qt15", "account.unlock", "accounts/an", "r-5", {"failed_logins": 6})
    with pytest.raises(NotFound):
        directory.unlock(QT15, "nobody")
    assert directory.unlock(ROOT, "nobody") == 0  # a system administrator unlocks any user name


def test_a_random_first_password_never_contains_the_user_name(directory, services, monkeypatch):
    draws = iter(["xxAnxxxxxxxxxxxx", "zzzzzzzzzzzzzzzz"])  # the first draw holds "an": refused by the rules
    monkeypatch.setattr("engine.services.accounts.secrets.token_urlsafe", lambda n: next(draws))
    _, password = directory.reset_password(QT15, "an")
    assert password == "zzzzzzzzzzzzzzzz"
    draws = iter(["binhBINHbinh0000", "yyyyyyyyyyyyyyyy"])
    assert directory.create(QT15, "binh", H15, ["official"])[1] == "yyyyyyyyyyyyyyyy"
