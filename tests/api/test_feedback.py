"""Feedback and complaints through HTTP (R-7.2, QĐ 04/2024 Đắk Lắk Đ21): applicants send it online and
read the published answer (/api/public/feedback), officials enter offline feedback, assign and answer
it (/api/feedback), overdue feedback is in GET /api/dossiers/late, and GET /api/reports/feedback counts it
apart from dossiers. ManualClock; calendar config/calendar.toml (Mon-Fri 07:00-11:30, 13:30-17:00)."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.domain.applicant import Applicant
from tests.api.conftest import AGENCY
from tests.conftest import VN
from tests.support.feedback import publish_feedback_procedure

CUONG = Applicant("001085012345", "Lê Văn Cường")
STRANGER = Applicant("079190054321", "Trần Thị Bình")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=VN)


def citizen(app, services, who: Applicant) -> dict[str, str]:
    token, _ = app.extensions["motcua_citizen_tokens"].issue(who, services.clock.now())
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def dossier(api, app, services, clock):
    publish_feedback_procedure(services)  # feedback cases run on it
    clock.set(MONDAY)
    api.refresh_tokens(app)
    return api.register(applicant={"name": CUONG.name, "id_number": CUONG.id_number})


def test_an_applicant_complains_online_and_reads_the_published_answer(api, app, services, clock, dossier):
    mine = citizen(app, services, CUONG)
    sent = api.client.post("/api/public/feedback", headers=mine, json={
        "subject": "Chậm trả kết quả", "content": "Đã quá hẹn.", "dossier_code": dossier["code"],
        "contact": {"phone": "0912345678"}})
    assert sent.status_code == 201, sent.json
    code = sent.json["code"]
    assert code.startswith(f"PAKN-{AGENCY}-261130-") and sent.headers["Location"] == f"/api/public/feedback/{code}"
    # 13 working days from Mon 30 Nov 07:00 end Wed 16 Dec 17:00 (30 Nov, 1-4, 7-11, 14-16 Dec).
    assert sent.json["due_at"] == "2026-12-16T17:00:00+07:00" and sent.json["answer"] is None

    stranger = citizen(app, services, STRANGER)
    assert api.client.get(f"/api/public/feedback/{code}", headers=stranger).status_code == 404
    assert api.client.get("/api/public/feedback", headers=stranger).json["items"] == []
    assert api.client.post("/api/public/feedback", headers=stranger, json={
        "subject": "S", "content": "C", "dossier_code": dossier["code"]}).status_code == 404
    both = api.client.post("/api/public/feedback", headers=mine, json={
        "subject": "S", "content": "C", "dossier_code": dossier["code"], "agency_id": "000.00.12.H20"})
    assert both.status_code == 422 and "agency_id" in str(both.json["errors"]), both.json  # not quietly dropped
    assert api.get("desk", f"/api/public/feedback/{code}").status_code == 403  # an official's token
    assert api.client.get("/api/feedback", headers=mine).status_code == 403  # an applicant's token

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    api.refresh_tokens(app)
    assert api.post("an", f"/api/feedback/{code}/assignment", {"official": "an"}).status_code == 403
    assigned = api.post("head", f"/api/feedback/{code}/assignment", {"official": "an"}, headers={"If-Match": '"1"'})
    assert assigned.status_code == 200 and assigned.headers["ETag"] == '"2"', assigned.json
    stale = api.post("an", f"/api/feedback/{code}/answer", {"answer": "Trả lời"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409
    answered = api.post("an", f"/api/feedback/{code}/answer", {"answer": "Kết quả đã có tại Một cửa."})
    assert answered.status_code == 200 and answered.json["timeliness"] == "early", answered.json

    seen = api.client.get(f"/api/public/feedback/{code}", headers=citizen(app, services, CUONG))
    assert seen.json["answer"] == "Kết quả đã có tại Một cửa." and seen.json["status"] == "answered"
    assert seen.json["answered_at"] == "2026-12-01T09:00:00+07:00"
    detail = api.get("head", f"/api/feedback/{code}").json
    assert [e["kind"] for e in detail["timeline"]] == ["received", "feedback_received", "assigned", "feedback_answered"]
    assert api.get("other_head", f"/api/feedback/{code}").status_code == 404


def test_offline_feedback_entered_late_is_flagged(api, app, services, clock, dossier):
    # Phoned in Fri 27 Nov 15:00; 8 working hours end Mon 30 Nov 15:00 (Fri 2 h + Mon 4.5 h + 1.5 h).
    clock.set(datetime(2026, 11, 30, 15, 30, tzinfo=VN))
    api.refresh_tokens(app)
    body = {"channel": "phone", "received_at": "2026-11-27T15:00:00+07:00", "subject": "Hỏi tiến độ",
            "content": "Gọi đường dây nóng.", "sender": {"name": "Phạm Thị Dung"}, "dossier_code": dossier["code"]}
    entered = api.post("desk", "/api/feedback", body)
    assert entered.status_code == 201, entered.json
    assert entered.json["entered_late"] is True and entered.json["entry_due_at"] == "2026-11-30T15:00:00+07:00"
    assert entered.json["entered_at"] == "2026-11-30T15:30:00+07:00"
    on_time = api.post("desk", "/api/feedback", {**body, "received_at": "2026-11-27T16:00:00+07:00"})
    assert on_time.json["entered_late"] is False  # due for entry Mon 16:00
    assert api.post("an", "/api/feedback", body).status_code == 403
    bad = api.post("desk", "/api/feedback", {**body, "received_at": "2026-12-01T08:00:00+07:00"})
    assert bad.status_code == 422 and "received_at" in str(bad.json["errors"])
    bad = api.post("desk", "/api/feedback", {**body, "channel": "online"})  # refused by the schema
    assert bad.status_code == 400 and "channel" in str(bad.json["errors"])
    bad = api.post("desk", "/api/feedback", {**body, "dossier_code": "NO-SUCH"})
    assert bad.status_code == 422 and "dossier_code" in str(bad.json["errors"])
    listed = api.get("head", "/api/feedback").json
    assert listed["total"] == 2 and {i["entered_late"] for i in listed["items"]} == {True, False}


def test_overdue_feedback_is_in_the_late_list_and_reports_count_it_apart(api, app, services, clock, dossier):
    late = api.post("desk", "/api/feedback", {"channel": "desk", "received_at": "2026-11-30T07:00:00+07:00",
                                              "subject": "S", "content": "C", "sender": {"name": "Dung"}}).json
    # Due Wed 16 Dec 17:00; Thu 17 Dec 09:00 is 2 working hours past it (07:00-09:00).
    clock.set(datetime(2026, 12, 17, 9, 0, tzinfo=VN))
    api.refresh_tokens(app)
    watch = api.get("head", "/api/dossiers/late").json
    assert [(f["code"], f["hours_left"]) for f in watch["overdue_feedback"]] == [(late["code"], -2.0)]
    assert [d["code"] for d in watch["overdue"]] == [dossier["code"]]  # the dossier too (3 days, due 2 Dec)
    assert api.get("other_head", "/api/dossiers/late").json["overdue_feedback"] == []
    assert [i["code"] for i in api.get("head", "/api/feedback?overdue=true").json["items"]] == [late["code"]]

    report = api.get("head", "/api/reports/feedback?period=2026-11")
    assert report.status_code == 200, report.json
    [row] = report.json["rows"]
    assert (row["agency_id"], row["received"], row["open"], row["open_overdue"]) == (AGENCY, 1, 1, 0)
    december = api.get("control", "/api/reports/feedback?period=2026-12").json["total"]
    assert (december["received"], december["open"], december["open_overdue"]) == (0, 1, 1)
    dossiers = api.get("head", "/api/reports/ontime?period=2026-11").json["total"]
    assert dossiers["received"] == 1  # the one dossier; feedback is not a dossier
    assert api.get("an", "/api/reports/feedback?period=2026-11").status_code == 403
    assert api.get("head", "/api/reports/feedback?period=nonsense").status_code == 422


def test_the_feedback_procedure_is_in_no_catalogue(api, app, services, clock, dossier):
    """PAKN-01 is published (cases run on it) but takes no dossiers: neither the officials' nor the
    applicants' catalogue offers it; its cases are sent to /api/public/feedback."""
    assert "PAKN-01" in {v.code for v in services.procedures.in_effect()}
    officials = {e["code"] for e in api.get("desk", "/api/procedures/catalogue").json["items"]}
    public = {e["code"] for e in api.client.get("/api/public/procedures").json["items"]}
    assert "P" in officials and "P" in public
    assert "PAKN-01" not in officials | public
    sent = api.post("desk", "/api/feedback", {"channel": "desk", "received_at": "2026-11-30T07:00:00+07:00",
                                               "subject": "S", "content": "C", "sender": {"name": "Dung"}})
    assert sent.status_code == 201 and sent.json["procedure_version"] == 1, sent.json


def test_online_feedback_is_limited_per_citizen_id_number(api, app, services, clock, dossier):
    # Each case binds the agency to answer within 13 working days and counts in its ranking
    # one applicant may send at most 10 a day (SUBMIT_RULE), refused sendings included.
    mine = citizen(app, services, CUONG)
    body = {"subject": "Chậm trả kết quả", "content": "Đã quá hẹn.", "dossier_code": dossier["code"]}
    refused = api.client.post("/api/public/feedback", headers=mine, json={**body, "dossier_code": "NO-SUCH"})
    assert refused.status_code == 404  # counts too: guessing codes is not free
    answers = [api.client.post("/api/public/feedback", headers=mine, json=body).status_code for _ in range(10)]
    assert answers == [201] * 9 + [429]
    last = api.client.post("/api/public/feedback", headers=mine, json=body)
    assert last.status_code == 429 and last.json["type"].endswith("too-many-requests")
    assert 1 <= int(last.headers["Retry-After"]) <= 24 * 3600
    assert len(api.client.get("/api/public/feedback", headers=mine).json["items"]) == 9  # nothing half-written
    # Another citizen is not held back; and the next day the applicant may send again.
    other = citizen(app, services, STRANGER)
    assert api.client.post("/api/public/feedback", headers=other, json={
        "subject": "Góp ý", "content": "Nội dung.", "agency_id": AGENCY}).status_code == 201
    clock.set(datetime(2026, 12, 1, 7, 1, tzinfo=VN))
    api.refresh_tokens(app)
    assert api.client.post("/api/public/feedback", headers=citizen(app, services, CUONG), json=body).status_code == 201
