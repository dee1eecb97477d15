"""The officials' lifecycle over HTTP (issue 9) with an injected clock: apology (R-5.3, N-6), stop and
refund (R-6.3), fees (R-6.2), result return (R-6.1), withdrawal, supplement at the desk, late
dossiers, finding a dossier (R-7.1), back-dated entries (R-9.3); 403/404/409/422 cases.

The test procedure (tests/api/conftest.py) has 5 statutory working days and three steps: receive
(desk, 8 h), appraise (official, 16 h), approve (approver, 4 h). The clock starts Thu 26 Nov 2026
09:00 (+07:00), so a dossier registered then is due Thu 3 Dec 09:00."""
from datetime import datetime

from sqlalchemy import select

from engine.persistence.models import AuditRecord
from tests.conftest import VN


def complete(api, who, dossier_code, data=None, **extra):
    task = api.task_of(who, dossier_code)
    return api.post(who, f"/api/tasks/{task['task_id']}/complete", {"data": data or {}, **extra})


def to_processed(api, d):
    assert complete(api, "desk", d["code"], {"complete": True}).status_code == 200
    assert complete(api, "an", d["code"], {"recommendation": "approve", "opinion": "Đủ điều kiện"}).status_code == 200
    assert complete(api, "chi", d["code"]).status_code == 200


def test_apology_over_http(api, clock, app):
    d = api.register()
    assert d["due_at"] == "2026-12-03T09:00:00+07:00"
    url = f"/api/dossiers/{d['id']}/apology"
    body = {"new_due": "2026-12-08T17:00:00+07:00", "reason": "Cần xác minh thực địa"}
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))  # Tue: more than 1 working day before Thu 09:00
    api.refresh_tokens(app)
    assert api.post("desk", url, body).status_code == 403  # the desk records, the leadership issues
    assert api.post("control", url, body).status_code == 403
    assert api.post("other_head", url, body).status_code == 404
    r = api.post("head", url, body, headers={"If-Match": '"7"'})
    assert r.status_code == 409 and r.headers["Content-Type"] == "application/problem+json"
    assert api.post("head", url, {"reason": "x"}).status_code == 400  # new_due missing
    r = api.post("head", url, body, headers={"If-Match": f'"{d["version"]}"'})
    assert r.status_code == 200, r.json
    assert r.headers["ETag"] == f'"{d["version"] + 1}"'
    assert (r.json["due_at"], r.json["original_due_at"]) == ("2026-12-08T17:00:00+07:00", "2026-12-03T09:00:00+07:00")
    assert r.json["status_code"] == 4
    # N-6: only once.
    again = api.post("chi", url, {"new_due": "2026-12-10T17:00:00+07:00", "reason": "lại trễ"})
    assert again.status_code == 422 and "only once" in again.json["detail"]


def test_apology_too_late_names_the_deadline(api, clock, app):
    d = api.register()
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=VN))  # Wed 10:00 + 1 working day = Thu 10:00 > Thu 09:00
    api.refresh_tokens(app)
    r = api.post("head", f"/api/dossiers/{d['id']}/apology",
                 {"new_due": "2026-12-08T17:00:00+07:00", "reason": "trễ"})
    assert r.status_code == 422 and "2026-12-03T09:00" in r.json["detail"]
    assert [e["field"] for e in r.json["errors"]] == ["new_due"]


def test_fee_requested_paid_and_refunded_after_a_stop(api):
    d = api.register()
    base = f"/api/dossiers/{d['id']}"
    r = api.post("an", base + "/payment-request", {"amount": "50000"})
    assert r.status_code in (400, 422)  # a number, not text
    r = api.post("an", base + "/payment-request", {"amount": 50000})
    assert r.status_code == 200 and (r.json["status"], r.json["status_code"]) == ("payment_requested", 6)
    assert api.post("an", base + "/payments", {"receipt_number": "BL-1"}).status_code == 403
    r = api.post("desk", base + "/payments", {"receipt_number": "BL-0001"})
    assert r.status_code == 200 and r.json["status"] == "processing" and r.json["fee"]["reference"] == "BL-0001"
    r = api.post("desk", base + "/refund", {"reason": "chưa dừng"})
    assert r.status_code == 409  # refunds follow a stop or refusal (status 8)
    r = api.post("head", base + "/stop", {"reason": "Hồ sơ giả mạo"})
    assert r.status_code == 200 and (r.json["status"], r.json["status_code"], r.json["outcome"]) == ("stopped", 8, "stopped")
    assert r.json["current_tasks"] == []
    r = api.post("desk", base + "/refund", {"reason": "Dừng xử lý"})
    assert r.status_code == 200 and r.json["fee"]["refund_reason"] == "Dừng xử lý"
    assert api.post("desk", base + "/refund", {"reason": "lại"}).status_code == 422


def test_no_refund_once_the_result_was_ready_then_returned_by_post(api):
    d = api.register()
    base = f"/api/dossiers/{d['id']}"
    api.post("an", base + "/payment-request", {"amount": 30000})
    api.post("desk", base + "/payments", {"receipt_number": "BL-2"})
    to_processed(api, d)
    r = api.post("desk", base + "/refund", {"reason": "không lấy kết quả"})
    assert r.status_code == 422 and "result was ready" in r.json["detail"]
    r = api.post("desk", base + "/result-return", {"channel": "postal"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "tracking_number"
    assert api.post("desk", base + "/result-return", {"channel": "pigeon"}).status_code == 400
    r = api.post("desk", base + "/result-return", {"channel": "postal", "tracking_number": "EMS123VN"})
    assert r.status_code == 200 and (r.json["status"], r.json["status_code"], r.json["tracking_number"]) == (
        "returned", 10, "EMS123VN")
    assert api.post("desk", base + "/withdrawal", {}).status_code == 409  # ended


def test_withdrawal_and_supplement_rules(api):
    d = api.register()
    base = f"/api/dossiers/{d['id']}"
    assert api.post("desk", base + "/supplement", {}).status_code == 409  # no supplement was requested
    assert api.post("an", base + "/withdrawal", {}).status_code == 403
    assert api.post("other", base + "/withdrawal", {}).status_code == 404
    r = api.post("desk", base + "/withdrawal", {"reason": "Đơn xin rút hồ sơ"})
    assert r.status_code == 200 and (r.json["status"], r.json["status_code"]) == ("withdrawn", 7)
    assert api.post("desk", "/api/dossiers/999999/withdrawal", {}).status_code == 404


def test_late_dossiers_for_heads_and_the_control_office(api, clock, app):
    late = api.register()  # due Thu 3 Dec 09:00
    clock.set(datetime(2026, 12, 3, 8, 0, tzinfo=VN))
    api.refresh_tokens(app)
    soon = api.register()
    clock.set(datetime(2026, 12, 3, 11, 0, tzinfo=VN))  # `late` is 2 working hours overdue (09:00-11:00)
    api.refresh_tokens(app)
    r = api.get("head", "/api/dossiers/late")
    assert r.status_code == 200, r.json
    assert [(x["code"], x["hours_left"]) for x in r.json["overdue"]] == [(late["code"], -2.0)]
    assert r.json["at_risk"] == [] and r.json["agencies"] == ["000.00.12.H15"]
    assert [t["dossier_code"] for t in r.json["overdue_steps"]] == [late["code"]]  # receive: 8 h from Thu 26
    # `soon` (registered Thu 3 Dec 08:00) is due Thu 10 Dec 08:00: 37 working hours away from Thu 11:00
    # (Thu 11:00-11:30 + 13:30-17:00 = 4 h; Fri, Mon, Tue, Wed 32 h; Thu 07:00-08:00 1 h).
    r = api.get("control", "/api/dossiers/late?within_hours=37")
    assert [(x["code"], x["hours_left"]) for x in r.json["at_risk"]] == [(soon["code"], 37.0)]
    assert r.json["agencies"] is None
    assert api.get("an", "/api/dossiers/late").status_code == 403
    assert api.get("head", "/api/dossiers/late?within_hours=-1").status_code in (400, 422)


def test_officials_find_a_dossier_by_code_or_applicant(api):
    a = api.register(applicant={"name": "Nguyễn Văn An", "id_number": "079123456789"})
    b = api.register(applicant={"name": "Trần Thị Bích"})
    r = api.get("an", "/api/dossiers?applicant=trần")
    assert r.status_code == 200 and [x["code"] for x in r.json["items"]] == [b["code"]]
    assert [x["code"] for x in api.get("an", "/api/dossiers?applicant=079123456789").json["items"]] == [a["code"]]
    assert api.get("an", f"/api/dossiers?code={a['code']}").json["total"] == 1
    r = api.get("an", "/api/dossiers?status=processing&per_page=1")
    assert (r.json["total"], len(r.json["items"]), r.json["items"][0]["code"]) == (2, 1, b["code"])  # newest first
    assert api.get("other", "/api/dossiers?applicant=Nguyễn").json["total"] == 0  # another agency
    assert api.get("control", "/api/dossiers").json["total"] == 2
    assert api.get("an", "/api/dossiers?status=lost").status_code == 400


def test_back_dated_entries_are_marked_on_the_timeline_and_in_the_audit(api, clock, app, services):
    clock.set(datetime(2026, 11, 27, 14, 0, tzinfo=VN))  # Friday: the system is back after an outage
    api.refresh_tokens(app)
    paper = "2026-11-26T10:00:00+07:00"
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"}, "received_at": paper})
    assert r.status_code == 422 and r.json["errors"] == [{"field": "reason", "problem": "required with a past time (R-9.3)"}]
    d = api.register(received_at=paper, reason="Mất điện ngày 26/11")
    task = api.task_of("desk", d["code"])
    assert task["created_at"] == paper
    url = f"/api/tasks/{task['task_id']}/complete"
    r = api.post("an", url, {"data": {"complete": True}, "happened_at": "2026-11-26T10:30:00+07:00", "reason": "x"})
    assert r.status_code == 404  # an official cannot see the desk's task, nor back-enter it
    r = api.post("desk", url, {"data": {"complete": True}, "happened_at": "2026-11-26T10:30:00+07:00"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    r = api.post("desk", url, {"data": {"complete": True}, "happened_at": "2026-11-26T10:30:00+07:00",
                               "reason": "Mất điện ngày 26/11"})
    assert r.status_code == 200, r.json
    [step, _] = api.get("desk", f"/api/dossiers/{d['id']}").json["timeline"]
    # Done Thu 10:30, due 8 working hours after Thu 10:00 (Fri 10:00): early by its real time.
    assert (step["done_at"], step["timeliness"], step["back_entered"], step["back_entry_reason"]) == (
        "2026-11-26T10:30:00+07:00", "early", True, "Mất điện ngày 26/11")
    with services.ctx.uow() as uow:
        records = uow.session.scalars(select(AuditRecord).where(AuditRecord.outcome < 300)
                                      .order_by(AuditRecord.id)).all()
        marked = [(r.action, r.detail.get("back_entered"), r.detail.get("happened_at")) for r in records
                  if r.detail.get("back_entered")]
    assert marked == [("POST /api/dossiers", True, "2026-11-26T10:00:00+07:00"),
                      ("POST /api/tasks/<task_id>/complete", True, "2026-11-26T10:30:00+07:00")]


def test_dossier_action_input_errors(api):
    # A malformed If-Match (400), an id that does not exist (404), a missing reason (400).
    d = api.register()
    r = api.post("head", f"/api/dossiers/{d['id']}/stop", {"reason": "x"}, headers={"If-Match": '"abc"'})
    assert r.status_code == 400
    assert api.post("head", "/api/dossiers/0/stop", {"reason": "x"}).status_code == 404
    assert api.post("head", f"/api/dossiers/{d['id']}/stop", {}).status_code == 400
    assert api.post("head", f"/api/dossiers/{d['id']}/stop", {"reason": "x"},
                    headers={"If-Match": f'"{d["version"]}"'}).status_code == 200


def test_an_apology_to_a_year_the_calendar_cannot_count_is_a_422_and_the_late_list_still_answers(api, clock, app):
    d = api.register()
    r = api.post("head", f"/api/dossiers/{d['id']}/apology", {"new_due": "8999-12-31T17:00:00+07:00", "reason": "x"})
    assert r.status_code == 422 and [e["field"] for e in r.json["errors"]] == ["new_due"], r.json
    assert api.get("head", "/api/dossiers/late").status_code == 200
