"""/api/admin/notifications (R-3.1, N-6): administrators see the notices to applicants that could
not be sent and retry them; an agency administrator its own agency's only."""
import pytest

from engine.notifications.senders import Senders
from engine.notifications.settings import NotifySettings
from engine.services.notifications import NotificationService
from tests.api.conftest import AGENCY, OTHER, PASSWORD, make_token

ADMINS = {"root": ("000.00.00.H00", ["admin"]), "qt15": (AGENCY, ["agency_admin"]), "qt20": (OTHER, ["agency_admin"])}


class Down:
    def __init__(self):
        self.fail, self.sent = OSError("mail server down"), []

    def send_email(self, message):
        if self.fail:
            raise self.fail
        self.sent.append(message)


@pytest.fixture
def flagged(api, app, services):
    """Two receipts (R-3.5; the procedure has no reception step, so a registration is received at
    once): one to an applicant whose mail server is down (failed after its only attempt), one to an
    applicant who gave no contact (undeliverable)."""
    for name, (agency, roles) in ADMINS.items():
        services.accounts.add(name, agency, roles, password=PASSWORD)
        api.tokens[name] = make_token(app, services, name)
    reached = api.register(applicant={"name": "Nguyễn Văn An", "email": "an@example.vn"})
    silent = api.register(applicant={"name": "Trần Thị Bình"})
    sender = Down()
    services.notifications = NotificationService(services.ctx, NotifySettings(email="log", max_attempts=1),
                                                 Senders(email=sender))
    report = services.notifications.send_due()
    assert (report.failed, report.undeliverable) == (1, 1)
    return api, sender, reached, silent


def test_administrators_list_what_was_not_sent_and_nobody_else_does(flagged):
    api, _, reached, silent = flagged
    r = api.get("root", "/api/admin/notifications")
    assert r.status_code == 200 and r.json["total"] == 2
    failed, undeliverable = r.json["items"]
    assert (failed["dossier_code"], failed["state"], failed["attempts"], failed["kind"]) == (
        reached["code"], "failed", 1, "received")
    assert "mail server down" in failed["last_error"] and failed["next_attempt_at"] is None
    assert (undeliverable["dossier_code"], undeliverable["state"]) == (silent["code"], "undeliverable")
    assert undeliverable["at"].endswith("+07:00")  # the province's time
    r = api.get("root", "/api/admin/notifications?state=undeliverable")
    assert [n["dossier_code"] for n in r.json["items"]] == [silent["code"]]
    assert api.get("qt15", "/api/admin/notifications").json["total"] == 2
    assert api.get("qt20", "/api/admin/notifications").json["total"] == 0  # another agency's dossiers
    assert api.get("qt20", f"/api/admin/notifications?agency={AGENCY}").status_code == 403
    assert api.get("qt20", f"/api/admin/notifications/{failed['id']}").status_code == 404
    for who in ("desk", "head", "control"):
        assert api.get(who, "/api/admin/notifications").status_code == 403
    assert api.client.get("/api/admin/notifications").status_code == 401
    r = api.get("root", "/api/admin/notifications?state=lost")
    assert r.status_code == 400 and any(e["field"] == "state" for e in r.json["errors"])  # a malformed query


def test_the_summary_counts_every_state_for_a_system_administrator(flagged):
    api, *_ = flagged
    r = api.get("root", "/api/admin/notifications/summary")
    assert r.status_code == 200
    assert {k: r.json[k] for k in ("pending", "retrying", "failed", "undeliverable", "sent", "email", "sms")} == {
        "pending": 0, "retrying": 0, "failed": 1, "undeliverable": 1, "sent": 0, "email": "log", "sms": "off"}
    assert r.json["oldest_waiting_at"] is None  # nothing is waiting: both were given up
    assert api.get("qt15", "/api/admin/notifications/summary").status_code == 403


def test_a_retry_sends_it_again_at_the_next_run_and_is_audited(flagged, services):
    api, sender, reached, _ = flagged
    [failed] = api.get("root", "/api/admin/notifications?state=failed").json["items"]
    r = api.post("qt15", f"/api/admin/notifications/{failed['id']}/retry")
    assert r.status_code == 200 and (r.json["state"], r.json["attempts"]) == ("retrying", 0)
    sender.fail = None
    assert services.notifications.send_due().sent == 1
    [mail] = sender.sent
    assert mail.subject == f"Hồ sơ {reached['code']} đã được tiếp nhận" and "Ngày hẹn trả kết quả: " in mail.body
    r = api.get("root", f"/api/admin/notifications/{failed['id']}")
    assert r.json["state"] == "sent" and r.json["delivered"]["email"]["to"] == "an@example.vn"
    r = api.post("root", f"/api/admin/notifications/{failed['id']}/retry")
    assert r.status_code == 409 and "was sent on" in r.json["detail"]
    assert api.post("root", "/api/admin/notifications/999999/retry").status_code == 404
    with services.ctx.uow(write=False) as uow:
        [audit] = [a for a in uow.audit.recent(50) if a.action == "notification.retry"]
    assert (audit.actor, audit.target) == ("qt15", f"notifications/{failed['id']}")
