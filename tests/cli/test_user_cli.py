"""`motcua users …`: accounts for operators (R-8.2: a compromised account is stopped at once)."""
from datetime import datetime, timedelta, timezone

import pytest

from tests.support.cli import point_at, run
from engine.domain.access import Official
from engine.services.accounts import TokenClaims
from engine.services.errors import Unauthorized
from tests.conftest import VN

PASSWORD = "mật-khẩu-đủ-dài-1"


@pytest.fixture
def env(clean_db, dirs, monkeypatch):
    point_at(monkeypatch, clean_db, dirs)
    monkeypatch.setenv("MOTCUA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("MOTCUA_ARGON2_TIME_COST", "1")


def test_deactivate_ends_the_sessions_and_activate_allows_new_ones(env, services, capsys):
    code, out, _ = run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official",
                       "--password", PASSWORD)
    assert code == 0 and "created an" in out
    session = TokenClaims(Official("an", "000.00.12.H15"), "local", "jti-1", 0)
    assert services.accounts.session(session).username == "an"
    code, out, _ = run(capsys, "users", "deactivate", "an")
    assert code == 0 and out.strip() == "an: deactivated; every session ended"
    with pytest.raises(Unauthorized):
        services.accounts.session(session)
    code, out, _ = run(capsys, "users", "activate", "an")
    assert code == 0 and services.accounts.official("an") is not None
    code, _, err = run(capsys, "users", "deactivate", "nobody")
    assert code == 1 and "no account 'nobody'" in err


def test_unlock_forgets_the_failed_logins_of_a_user_name(env, services, capsys):
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    for _ in range(5):
        with pytest.raises(Unauthorized):
            services.accounts.authenticate("an", "a wrong password", "192.0.2.1")
    with pytest.raises(Unauthorized) as err:
        services.accounts.authenticate("an", PASSWORD, "192.0.2.1")
    assert err.value.extra["reason"] == "locked"
    code, out, _ = run(capsys, "users", "unlock", "an")
    assert code == 0 and out.strip() == "an: failed logins forgotten"
    assert services.accounts.authenticate("an", PASSWORD, "192.0.2.1").official.username == "an"


def audit(services):
    with services.ctx.uow(write=False) as uow:
        return [(r.actor, r.action, r.target, r.detail) for r in reversed(uow.audit.recent())]


@pytest.fixture
def operator(env, monkeypatch):
    monkeypatch.setenv("LOGNAME", "op1")  # getpass.getuser(): the audit's actor is cli:op1


def test_every_change_from_the_command_line_is_audited_as_its_os_user(operator, services, capsys):
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    run(capsys, "users", "set-roles", "an", "official,approver")
    run(capsys, "users", "disable", "an")
    run(capsys, "users", "enable", "an")
    run(capsys, "users", "unlock", "an")
    run(capsys, "users", "reset-password", "an")
    assert [(actor, action) for actor, action, target, _ in audit(services)] == [
        ("cli:op1", "account.create"), ("cli:op1", "account.roles"), ("cli:op1", "account.deactivate"),
        ("cli:op1", "account.activate"), ("cli:op1", "account.unlock"), ("cli:op1", "account.reset-password")]
    with services.ctx.uow(write=False) as uow:
        assert {r.request_id[:4] for r in uow.audit.recent()} == {"cli-"}
    assert services.audit.verify().ok  # on the tamper-evident chain like the API's records


def test_list_and_show_in_the_provinces_time(operator, services, clock, capsys):
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    run(capsys, "users", "add", "ks", "--agency", "000.00.00.H00", "--roles", "control_office", "--password", PASSWORD)
    run(capsys, "users", "disable", "ks")
    code, out, _ = run(capsys, "users", "list", "--active")
    assert code == 0 and out.splitlines() == [
        "000.00.12.H15    an                       local active   official", "1 account(s)"]
    clock.set(datetime.now(timezone.utc))  # the command reads the system clock
    for _ in range(5):
        with pytest.raises(Unauthorized):
            services.accounts.authenticate("an", "a wrong password")
    code, out, _ = run(capsys, "users", "show", "an")
    assert code == 0 and "roles: official" in out and "must be changed at next login" in out
    until = (clock.now() + timedelta(minutes=15)).astimezone(VN).isoformat(timespec="seconds")
    assert f"locked: until {until} (motcua users unlock)" in out and until.endswith("+07:00")


def test_set_roles_refuses_unknown_roles_naming_the_field(operator, capsys):
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    code, out, err = run(capsys, "users", "set-roles", "an", "official,boss")
    assert code == 1 and "roles: unknown ['boss']" in err
    code, out, _ = run(capsys, "users", "set-roles", "an", "official,approver")
    assert code == 0 and out.strip() == "an: roles approver, official"


def test_reset_password_prints_a_first_password_that_must_be_changed(operator, services, capsys):
    run(capsys, "users", "add", "an", "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    code, out, _ = run(capsys, "users", "reset-password", "an")
    password = out.split("first password: ")[1].split()[0]
    assert code == 0 and services.accounts.authenticate("an", password, "192.0.2.1").must_change_password


def test_disabling_an_official_who_holds_tasks_offers_the_reassignment(operator, services, dirs, capsys):
    from tests.support.bpmn import sequential, write_procedure

    write_procedure(dirs[0], "P", sequential(1))
    services.procedures.sync()
    services.procedures.publish("P")
    for name in ("an", "binh"):
        run(capsys, "users", "add", name, "--agency", "000.00.12.H15", "--roles", "official", "--password", PASSWORD)
    task = services.dossiers.start("P").current_tasks[0]
    services.tasks.claim(services.accounts.official("an"), task.task_id)
    code, out, _ = run(capsys, "users", "disable", "an")
    assert code == 0 and "an still holds 1 task(s)" in out and "motcua users reassign an --to <colleague>" in out
    code, out, _ = run(capsys, "users", "reassign", "an", "--to", "nobody")
    assert code == 1
    code, out, _ = run(capsys, "users", "reassign", "an", "--to", "binh")
    assert code == 0 and out.splitlines()[0] == "1 task(s) of an now with binh" and task.dossier_code in out
    assert audit(services)[-1][:3] == ("cli:op1", "tasks.reassign", "accounts/an")
