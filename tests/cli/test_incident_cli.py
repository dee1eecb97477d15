"""`motcua incidents list|show|retry|resolve` (R-9.1): times in the province's zone, changes audited."""
from datetime import datetime

import pytest

from tests.support.cli import run
from engine.services.timers import backoff
from tests.conftest import VN
from tests.engine.services.test_incidents import fails_until, publish


@pytest.fixture
def failing(clean_db, dirs, services, clock, monkeypatch):
    """One dossier whose timer step failed twice on 26 November (10:30, 10:31); the command line
    runs on the system clock, long after the step can go through (10:32)."""
    processes, forms = dirs
    for name, value in [("MOTCUA_DATABASE_URL", clean_db), ("MOTCUA_PROCESSES_DIR", str(processes)),
                        ("MOTCUA_FORMS_DIR", str(forms)), ("LOGNAME", "op1")]:
        monkeypatch.setenv(name, value)
    publish(services, dirs, fails_until("2026-11-26T10:32"), "A")
    d = services.dossiers.start("A")
    clock.set(datetime(2026, 11, 26, 10, 30, tzinfo=VN))
    services.timers.fire_due()
    clock.advance(backoff(1))
    services.timers.fire_due()
    return d


def test_list_and_show_in_the_provinces_time(failing, services, capsys):
    code, out, _ = run(capsys, "incidents", "list")
    [iid] = [i.id for i in services.incidents.list(_root())[0]]
    assert code == 0 and out.splitlines()[-1] == "1 open incident(s)"
    assert f"#{iid}" in out and failing.code in out and "attempt 2, since 2026-11-26T10:30:00+07:00" in out
    assert "next retry 2026-11-26T10:33:00+07:00" in out and "ZeroDivisionError" in out
    code, out, _ = run(capsys, "incidents", "list", "--procedure", "OTHER")
    assert out.strip() == "0 open incident(s)"
    code, _, err = run(capsys, "incidents", "list", "--older-than", "soon")
    assert code == 1 and "--older-than: a whole number of minutes, hours or days" in err
    code, out, _ = run(capsys, "incidents", "show", str(iid))
    assert code == 0 and f"incident #{iid}: timer on element boom" in out
    assert "attempt 1 at 2026-11-26T10:30:00+07:00 (open)" in out and "wait: due 2026-11-26T10:00:00+07:00" in out


def test_retry_then_nothing_left_to_resolve(failing, services, capsys):
    [item] = services.incidents.list(_root())[0]
    code, out, _ = run(capsys, "incidents", "retry", str(item.id))
    assert code == 0 and out.strip() == f"incident #{item.id}: dossier {failing.code} went on; the incident is resolved"
    assert [t.element_id for t in services.dossiers.get(failing.id).current_tasks] == ["next"]
    code, _, err = run(capsys, "incidents", "resolve", str(item.id), "--note", "done")
    assert code == 1 and "resolved already" in err
    code, _, err = run(capsys, "incidents", "show", "999")
    assert code == 1 and "no incident 999" in err


def test_resolve_with_a_note_is_audited_as_the_os_user(failing, services, capsys):
    [item] = services.incidents.list(_root())[0]
    code, out, _ = run(capsys, "incidents", "resolve", str(item.id), "--note", "hồ sơ xử lý trên giấy (R-9.3)")
    assert code == 0 and "resolved" in out and "by cli:op1" in out and "+07:00" in out
    with services.ctx.uow(write=False) as uow:
        record = uow.audit.recent(1)[0]
    assert (record.actor, record.action, record.detail["note"]) == ("cli:op1", "incident.resolve",
                                                                    "hồ sơ xử lý trên giấy (R-9.3)")


def _root():
    from engine.domain.access import Official

    return Official("root", "", frozenset({"admin"}))
