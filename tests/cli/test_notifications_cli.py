"""`motcua notifications send|status|retry ID` (R-3.1, N-6): operators send, watch and retry."""
import pytest

from tests.support.bpmn import publish_procedure, sequential
from tests.support.cli import point_at, run


@pytest.fixture
def env(services, dirs, monkeypatch, clean_db):
    point_at(monkeypatch, clean_db, dirs)
    monkeypatch.setenv("MOTCUA_NOTIFY_EMAIL", "log")
    publish_procedure(services, "P", sequential(1))
    return services


def test_send_then_status_shows_the_undeliverable_one_then_retry_it(env, capsys, caplog):
    caplog.set_level("INFO", logger="engine.notifications.senders")
    env.dossiers.start("P", applicant={"name": "Nguyễn Văn An", "email": "an@example.vn"})
    nobody = env.dossiers.start("P", applicant={"name": "Trần Thị Bình"})
    with env.ctx.uow(write=False) as uow:
        sent_id, flagged = [r["id"] for r in uow.outbox.pending("notification")]
    code, out, _ = run(capsys, "notifications", "send")
    assert code == 1 and out.strip() == "claimed 2: sent 1, to retry 0, failed 0, undeliverable 1"
    assert [r.to for r in caplog.records if getattr(r, "channel", None) == "email"] == ["an@example.vn"]

    code, out, _ = run(capsys, "notifications", "status")
    lines = out.splitlines()
    assert code == 1 and lines[0] == "senders: e-mail log, SMS off"
    assert lines[1] == "pending 0, retrying 0, failed 0, undeliverable 1, sent 1"
    assert lines[2].startswith(f"#{flagged} ") and "undeliverable" in lines[2] and nobody.code in lines[2]
    assert "no usable e-mail address or phone number" in lines[3]

    code, out, _ = run(capsys, "notifications", "retry", str(flagged))
    assert code == 0 and out.startswith(f"notification #{flagged} (received, {nobody.code}) will be sent")
    code, out, _ = run(capsys, "notifications", "status", "--state", "retrying")
    assert "pending 0, retrying 1, failed 0, undeliverable 0, sent 1" in out and f"#{flagged} " in out
    code, _, err = run(capsys, "notifications", "retry", str(sent_id))
    assert code == 1 and "was sent on" in err


def test_send_with_every_sender_off_says_so(env, capsys, monkeypatch):
    monkeypatch.setenv("MOTCUA_NOTIFY_EMAIL", "off")
    env.dossiers.start("P", applicant={"email": "an@example.vn"})
    code, _, err = run(capsys, "notifications", "send")
    assert code == 1 and "no notification sender is on" in err


def test_outbox_export_keeps_to_the_portal_while_the_worker_sends_notifications(env, capsys):
    env.dossiers.start("P", applicant={"email": "an@example.vn"})
    code, out, err = run(capsys, "outbox", "export")
    assert code == 0 and out.count('"topic":"portal"') == 3 and '"topic":"notification"' not in out
    code, _, err = run(capsys, "outbox", "export", "--topic", "notification")
    assert code == 1 and "notification worker" in err
