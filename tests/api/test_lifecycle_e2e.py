"""The dossier lifecycle end to end through the HTTP API with an injected clock (issue 9).

Procedure L (competent agency 000.00.12.H15, 3 statutory working days): reception (lifecycle
reception) → consultation of each agency in `consultations`, each with its own deadline (R-4.2,
N-5) → appraisal: approve / supplement / refuse → the desk sends the supplement request (lifecycle
supplement_request) and the dossier waits for `supplement_received`; or the head signs the refusal
(lifecycle refusal); or the desk receives the result (lifecycle result_ready).
Calendar: the shipped one (07:00-11:30, 13:30-17:00, Monday to Friday, Vietnamese holidays)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from api.app import create_app
from api.config import ApiSettings
from tests.api.conftest import AGENCY, OTHER, PASSWORD, USERS, Api, make_token
from tests.support.bpmn import Process, write_procedure

VN = ZoneInfo("Asia/Ho_Chi_Minh")
THIRD = "000.00.12.H21"
RECEPTION = {"type": "object", "required": ["outcome"],
             "properties": {"outcome": {"enum": ["receive", "guide", "refuse"]},
                            "missing": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"}}}
CONCLUSION = {"type": "object", "required": ["conclusion"],
              "properties": {"conclusion": {"enum": ["approve", "supplement", "refuse"]},
                             "missing": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"}}}
OPINION = {"type": "object", "properties": {"opinion": {"type": "string"}}}


def lifecycle_procedure() -> Process:
    return (Process("l").start()
            .user("receive", "Tiếp nhận", lane="Một cửa [one_stop_officer]", form="reception.json",
                  lifecycle="reception")
            .xor("received", default="f_not")
            .user("consult", "Xin ý kiến", lane="Cơ quan phối hợp [official@{consultation.agency}]",
                  form="opinion.json", days="{consultation.days}", each="consultations", item="consultation")
            .user("appraise", "Thẩm định", lane="Chuyên viên [official]", form="conclusion.json", hours=8)
            .xor("decide", default="f_ok")
            .user("send_supplement", "Gửi yêu cầu bổ sung", lane="Một cửa [one_stop_officer]",
                  lifecycle="supplement_request")
            .message_catch("wait", "supplement_received", lane="Một cửa [one_stop_officer]")
            .user("sign_refusal", "Ký văn bản từ chối", lane="Lãnh đạo [agency_head]", lifecycle="refusal")
            .user("result", "Nhận kết quả", lane="Một cửa [one_stop_officer]", lifecycle="result_ready")
            .end("end").end("end_refused").end("end_not")
            .chain("start", "receive", "received")
            .flow("received", "consult", "outcome == 'receive'")
            .flow("received", "end_not", id="f_not")
            .chain("consult", "appraise", "decide")
            .flow("decide", "send_supplement", "conclusion == 'supplement'")
            .flow("decide", "sign_refusal", "conclusion == 'refuse'")
            .flow("decide", "result", id="f_ok")
            .chain("send_supplement", "wait", "appraise")
            .chain("sign_refusal", "end_refused")
            .chain("result", "end"))


@pytest.fixture
def api(services, dirs, clock):
    processes, forms = dirs
    write_procedure(processes, "L", lifecycle_procedure(), forms_dir=forms, statutory_days=3,
                    forms={"reception.json": RECEPTION, "conclusion.json": CONCLUSION, "opinion.json": OPINION})
    [entry] = services.procedures.sync()
    assert entry.outcome == "created", entry.problems
    clock.set(at(2026, 1, 5, 8))  # in effect from before Tết 2026, for every test below
    services.procedures.publish("L")
    app = create_app(services, ApiSettings(secret_key="test-secret-" + "x" * 40), start_scheduler=False)
    app.config["TESTING"] = True
    users = {**USERS, "third": (THIRD, ["official"])}
    for name, (agency, roles) in users.items():
        services.accounts.add(name, agency, roles, password=PASSWORD)
    api = Api(app.test_client(), services, {name: make_token(app, services, name) for name in users})
    api.app = app
    return api


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def iso(y, mo, d, h=0, mi=0) -> str:
    return at(y, mo, d, h, mi).isoformat()


def register(api, clock, when, consultations=()):
    clock.set(when)
    api.refresh_tokens(api.app)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "L", "applicant": {"name": "Lê Văn Cường"},
                                           "data": {"consultations": list(consultations)}})
    assert r.status_code == 201, r.json
    return r.json


def complete(api, who, dossier, element, data=None, expect=200):
    api.refresh_tokens(api.app)  # tokens last a working day; the tests move the clock
    view = api.get(who, f"/api/dossiers/{dossier['id']}").json
    [task] = [t for t in view["current_tasks"] if t["element_id"] == element and (
        who not in ("other", "third") or t["candidate_agency"] == USERS.get(who, (THIRD,))[0])]
    r = api.post(who, f"/api/tasks/{task['task_id']}/complete", {"data": data or {}})
    assert r.status_code == expect, r.json
    return r.json


def view(api, dossier):
    return api.get("desk", f"/api/dossiers/{dossier['id']}").json


def status_codes(v):
    return [e["detail"]["status_code"] for e in v["events"] if e["kind"] == "status"]


def test_received_outside_working_hours_before_a_weekend(api, clock):
    # Registered at the desk Fri 4 Dec 2026 17:30 (after hours, N-1 code date 261204); the count starts
    # Mon 7 Dec 07:00 and 3 working days use up Mon, Tue, Wed -> Wed 9 Dec 17:00: the slip
    # names it, not Thu 07:00 (appointment arithmetic).
    d = register(api, clock, at(2026, 12, 4, 17, 30))
    assert d["code"] == "000.00.12.H15-261204-0001" and (d["status"], d["status_code"]) == ("new", 1)
    complete(api, "desk", d, "receive", {"outcome": "receive"})
    v = view(api, d)
    assert (v["status_code"], v["channel_code"], v["started_at"], v["due_at"]) == (4, 1, iso(2026, 12, 7, 7),
                                                                                 iso(2026, 12, 9, 17))
    [slip] = [e for e in v["events"] if e["kind"] == "notice.received"]
    assert slip["detail"]["appointment"] == iso(2026, 12, 9, 17)


def test_crossing_tet_2026(api, clock):
    # Fri 13 Feb 2026 15:30, the last working afternoon before Tết (off Sat 14 - Sun 22 Feb): 24 h =
    # Fri 15:30-17:00 (1.5) + Mon 23 (8) + Tue 24 (8) -> 17.5, Wed 25 07:00-11:30 (4.5) -> 22,
    # 13:30-15:30 (2) -> Wed 25 Feb 15:30.
    d = register(api, clock, at(2026, 2, 13, 15, 30))
    complete(api, "desk", d, "receive", {"outcome": "receive"})
    assert view(api, d)["due_at"] == iso(2026, 2, 25, 15, 30)


def test_supplement_pause_moves_the_appointment_and_the_outbox_keeps_the_order(api, clock):
    # Tue 1 Dec 09:00 + 3 days -> Fri 4 Dec 09:00. Appraisal asks Wed 2 Dec 09:00 (sent at once);
    # supplied Thu 3 Dec 09:00 = 8 working hours paused -> Fri 09:00 + 8 h: Fri 09:00-17:00 (6 h,
    # lunch excluded) + Mon 07:00-09:00 (2) -> Mon 7 Dec 09:00 (N-4).
    d = register(api, clock, at(2026, 12, 1, 9))
    complete(api, "desk", d, "receive", {"outcome": "receive"})
    clock.set(at(2026, 12, 2, 9))
    complete(api, "an", d, "appraise", {"conclusion": "supplement", "missing": ["Bản vẽ"], "reason": "thiếu"})
    complete(api, "desk", d, "send_supplement")
    assert (view(api, d)["status_code"], view(api, d)["paused_since"]) == (5, iso(2026, 12, 2, 9))
    clock.set(at(2026, 12, 3, 9))
    api.refresh_tokens(api.app)
    r = api.post("desk", f"/api/dossiers/{d['id']}/messages/supplement_received", {"payload": {}})
    assert r.status_code == 200, r.json
    v = view(api, d)
    assert (v["status_code"], v["due_at"]) == (4, iso(2026, 12, 7, 9))
    assert v["pauses"] == [{"from": iso(2026, 12, 2, 9), "to": iso(2026, 12, 3, 9)}]
    clock.set(at(2026, 12, 3, 10))
    complete(api, "an", d, "appraise", {"conclusion": "approve"})
    complete(api, "desk", d, "result")
    v = view(api, d)
    assert (v["status_code"], v["timeliness"]) == (9, "early")  # Thu 3 Dec, due Mon 7 Dec
    with api.services.ctx.uow(write=False) as uow:
        rows = uow.outbox.for_dossier(d["id"])
    portal = [r["payload"]["status_code"] for r in rows if r["topic"] == "portal"]
    notices = [r["kind"] for r in rows if r["topic"] == "notification"]
    assert portal == [1, 2, 4, 5, 4, 9] == status_codes(v)  # N-8, in the order of the changes
    assert notices == ["received", "supplement_requested", "result_ready"]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_refusal_after_appraisal(api, clock):
    d = register(api, clock, at(2026, 12, 1, 9))
    complete(api, "desk", d, "receive", {"outcome": "receive"})
    complete(api, "an", d, "appraise", {"conclusion": "refuse", "reason": "không đủ điều kiện"})
    clock.set(at(2026, 12, 4, 10))  # after the appointment Fri 4 Dec 09:00: late (N-7)
    api.refresh_tokens(api.app)
    complete(api, "head", d, "sign_refusal")
    v = view(api, d)
    assert (v["status"], v["status_code"], v["outcome"], v["status_reason"], v["timeliness"]) == (
        "stopped", 8, "refused", "không đủ điều kiện", "late")
    assert 9 not in status_codes(v) and v["current_tasks"] == []


def test_consultation_of_two_agencies_each_on_its_own_deadline_one_late(api, clock):
    # Tue 1 Dec 09:00, received at once: H20 has 2 working days (-> Thu 3 Dec 09:00), H21 1 day
    # (-> Wed 2 Dec 09:00). H20 answers Wed 2 Dec 10:00 (an earlier day than its due: early); H21
    # answers Wed 10:00 too (after its due instant: late). Each step counts for its agency (N-5).
    d = register(api, clock, at(2026, 12, 1, 9), consultations=[{"agency": OTHER, "days": 2},
                                                                {"agency": THIRD, "days": 1}])
    complete(api, "desk", d, "receive", {"outcome": "receive"})
    due = {t["candidate_agency"]: t["due_at"] for t in view(api, d)["current_tasks"]}
    assert due == {OTHER: iso(2026, 12, 3, 9), THIRD: iso(2026, 12, 2, 9)}
    clock.set(at(2026, 12, 2, 10))
    api.refresh_tokens(api.app)
    complete(api, "other", d, "consult", {"opinion": "đồng ý"})
    complete(api, "third", d, "consult", {"opinion": "đồng ý"})
    steps = {s["agency"]: s["timeliness"] for s in view(api, d)["timeline"] if s["element_id"] == "consult"}
    assert steps == {OTHER: "early", THIRD: "late"}
    assert [t["element_id"] for t in view(api, d)["current_tasks"]] == ["appraise"]


def test_guidance_at_reception_then_the_dossier_is_not_received(api, clock):
    d = register(api, clock, at(2026, 12, 1, 9))
    r = complete(api, "desk", d, "receive", {"outcome": "guide"}, expect=422)
    assert {p["field"] for p in r["errors"]} >= {"missing"}
    complete(api, "desk", d, "receive", {"outcome": "guide", "missing": ["Tờ khai"], "reason": "thiếu"})
    v = view(api, d)
    assert (v["status_code"], v["outcome"]) == (3, "not_accepted")
    assert status_codes(v) == [1, 3]
