"""processes/CTBS-01, certification of copies from originals, end to end through the HTTP API with an
injected clock (issue 11).

Commune level, competent agency 000.00.12.H15 (illustrative id). Statutory time (Decree 23/2015
Art. 7.1): the same working day, the next working day when received after 15:00: procedure.toml
statutory_days = 0, cutoff_hour = 15. Result on the spot: no receipt slip unless asked (R-3.5).
Fee from fees.dmn (Circular 226/2016/TT-BTC Art. 4). Calendar: the shipped one (07:00-11:30,
13:30-17:00, Monday to Friday; Tết 2026: Mon 16 - Fri 20 Feb off, so Sat 14 - Sun 22 Feb)."""
from __future__ import annotations

import pytest

from tests.api.conftest import USERS
from tests.support.shipped import at, iso, shipped_procedure_api, status_codes

CODE = "CTBS-01"


@pytest.fixture
def api(services, clock):
    return shipped_procedure_api(services, clock, CODE, USERS)


def step(v, element):
    [s] = [s for s in v["timeline"] if s["element_id"] == element]
    return s["due_at"], s["done_at"], s["timeliness"]


def test_received_after_15h_before_tet_certified_the_next_working_day(api):
    # Fri 13 Feb 2026 15:30 at the desk: after 15:00, so the next working day; Sat 14 - Sun 22 Feb are
    # off (weekend, Tết 16-20 Feb, weekend) -> the count starts Mon 23 Feb 07:00, due that day 17:00.
    api.at(at(2026, 2, 13, 15, 30))
    r = api.post("desk", "/api/dossiers", {"procedure_code": CODE, "applicant": {"name": "Phạm Thị Dung"}})
    assert r.status_code == 201, r.json
    d = r.json
    assert (d["code"], d["status_code"], d["channel_code"]) == ("000.00.12.H15-260213-0001", 1, 1)  # N-1, N-8
    api.at(at(2026, 2, 13, 15, 35))
    api.complete("desk", d, "receive", {"outcome": "receive", "document": "Bằng tốt nghiệp", "pages": 5,
                                         "copies": 2})
    v = api.view(d)
    assert (v["status_code"], v["started_at"], v["due_at"]) == (4, iso(2026, 2, 23, 7), iso(2026, 2, 23, 17))
    # a result on the spot has no receipt slip... unless the applicant asks for one.
    assert api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=json").status_code == 404
    slip = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=json&requested=true")
    assert slip.status_code == 200 and slip.json["appointment"] == iso(2026, 2, 23, 17)
    assert slip.json["dossier_code"] == d["code"]
    # fees.dmn: 5 pages = 2 x 2,000 + 3 x 1,000 = 7,000 a copy; 2 copies = 14,000 VND (Circular 226/2016).
    api.at(at(2026, 2, 13, 15, 40))
    api.complete("desk", d, "request_fee")
    v = api.view(d)
    assert (v["status_code"], v["fee"]["amount"]) == (6, 14000)
    api.at(at(2026, 2, 13, 15, 45))
    r = api.post("desk", f"/api/dossiers/{d['id']}/payments", {"receipt_number": "BL-0001"})
    assert r.status_code == 200, r.json
    assert [t["element_id"] for t in api.view(d)["current_tasks"]] == ["check"]  # the receive task moved on
    api.at(at(2026, 2, 13, 16))
    api.complete("an", d, "check", {"conclusion": "certify"})
    api.at(at(2026, 2, 23, 9))  # the signer is back after Tết
    api.complete("chi", d, "sign", {"approved": True})
    api.at(at(2026, 2, 23, 9, 30))
    api.complete("desk", d, "result")
    api.at(at(2026, 2, 23, 9, 45))
    api.complete("desk", d, "return_result", {"return_channel": "desk"})
    v = api.view(d)
    assert status_codes(v) == [1, 2, 4, 6, 4, 9, 10]  # N-8
    # N-7: processed Mon 23 Feb 09:30, the appointment's day (due 17:00): on time.
    assert (v["status_code"], v["outcome"], v["timeliness"]) == (10, "result", "on_time")
    # Steps (each counts from when it was ready): check ready Fri 15:45 + 2 h = Fri 15:45-17:00 (1.25)
    # + Mon 23 Feb 07:00-07:45 (0.75) -> Mon 07:45, done Fri 16:00: early. Sign ready Fri 16:00 + 1 h
    # -> Fri 17:00, done Mon 23 Feb 09:00: late.
    assert step(v, "check") == (iso(2026, 2, 23, 7, 45), iso(2026, 2, 13, 16), "early")
    assert step(v, "sign") == (iso(2026, 2, 13, 17), iso(2026, 2, 23, 9), "late")


def test_received_before_15h_refused_the_next_day_is_late_and_the_fee_refunded(api):
    # Thu 12 Feb 2026 10:00, before 15:00: due the same day, Thu 12 Feb 17:00.
    api.at(at(2026, 2, 12, 10))
    d = api.post("desk", "/api/dossiers", {"procedure_code": CODE, "applicant": {"name": "Võ Văn Em"}}).json
    assert d["code"] == "000.00.12.H15-260212-0001"
    api.complete("desk", d, "receive", {"outcome": "receive", "document": "Sổ đỏ", "pages": 1, "copies": 1})
    assert api.view(d)["due_at"] == iso(2026, 2, 12, 17)
    api.complete("desk", d, "request_fee")  # 1 page, 1 copy: 2,000 VND
    assert api.view(d)["fee"]["amount"] == 2000
    assert api.post("desk", f"/api/dossiers/{d['id']}/payments", {"receipt_number": "BL-0002"}).status_code == 200
    api.at(at(2026, 2, 12, 10, 30))
    api.complete("an", d, "check", {"conclusion": "refuse", "reason": "Bản chính bị tẩy xóa, sửa chữa"})
    api.at(at(2026, 2, 13, 8))  # signed the next morning, after the appointment
    api.complete("chi", d, "sign_refusal")
    v = api.view(d)
    assert (v["status_code"], v["outcome"], v["status_reason"], v["timeliness"]) == (
        8, "refused", "Bản chính bị tẩy xóa, sửa chữa", "late")  # Fri 08:00 > Thu 17:00 (N-7)
    assert status_codes(v) == [1, 2, 4, 6, 4, 8] and v["current_tasks"] == []
    # paid, and the agency could not perform the service: the fee is refunded.
    r = api.post("desk", f"/api/dossiers/{d['id']}/refund", {"reason": "Từ chối chứng thực"})
    assert r.status_code == 200, r.json
    assert r.json["fee"]["refunded_at"] == iso(2026, 2, 13, 8)
    assert "notice.refunded" in [e["kind"] for e in api.view(d)["events"]]
