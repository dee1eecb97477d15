"""`motcua users …`: accounts for operators (R-8.2: a compromised account is stopped at once)."""
import pytest

from cli.main import main
from engine.domain.access import Official
from engine.services.accounts import TokenClaims
from engine.services.errors import Unauthorized

PASSWORD = "mật-khẩu-đủ-dài-1"


@pytest.fixture
def env(clean_db, dirs, monkeypatch):
    processes, forms = dirs
    monkeypatch.setenv("MOTCUA_DATABASE_URL", clean_db)
    monkeypatch.setenv("MOTCUA_PROCESSES_DIR", str(processes))
    monkeypatch.setenv("MOTCUA_FORMS_DIR", str(forms))
    monkeypatch.setenv("MOTCUA_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("MOTCUA_ARGON2_TIME_COST", "1")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


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
