"""processes/GPXD-01, the construction permit for an individual house, end to end through the HTTP
API with an injected clock crossing a weekend and Tết 2026 (issue 11).

GPXD-01: 15 statutory working days (Luật Xây dựng 2014, Điều 102), competent agency the commune
People's Committee 000.00.31.H15 (Nghị định 140/2025/NĐ-CP). Calendar: the shipped one (07:00-11:30,
13:30-17:00, Monday to Friday; Tết 2026 off Sat 14 - Sun 22 Feb)."""
from __future__ import annotations

import pytest

from tests.support.shipped import at, iso, shipped_procedure_api, status_codes

AGENCY = "000.00.31.H15"
FIRE_POLICE = "000.00.12.H20"   # illustrative: two consulted agencies, each with its own deadline
HERITAGE = "000.00.12.H21"
USERS = {
    "desk": (AGENCY, ["one_stop_officer"]),
    "head": (AGENCY, ["agency_head"]),
    "an": (AGENCY, ["official"]),
    "chu_tich": (AGENCY, ["approver"]),
    "pccc": (FIRE_POLICE, ["official"]),
    "van_hoa": (HERITAGE, ["official"]),
}
SITE_VISIT = {"visit_time": iso(2026, 2, 24, 8), "place": "Thửa 112, tờ bản đồ 7, xã Hòa Phú",
              "participants": ["Nguyễn Văn An (công chức)", "Trần Thị Bích (chủ đầu tư)"],
              "content": "Hiện trạng phù hợp bản vẽ; không lấn chiếm hành lang giao thông"}


@pytest.fixture
def gpxd(services, clock):
    return shipped_procedure_api(services, clock, "GPXD-01", USERS)


def register(api, when) -> dict:
    api.at(when)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "GPXD-01",
                                           "applicant": {"name": "Trần Thị Bích", "id_number": "066190001234"}})
    assert r.status_code == 201, r.json
    return r.json


def test_permit_with_two_consultations_a_supplement_across_tet_fee_and_postal_return(gpxd):
    api = gpxd
    # Received at the desk Thu 12 Feb 2026 09:00 (N-1: code date 260212, first of the day).
    # Appointment, 15 working days = 120 h from Thu 09:00: Thu 09:00-17:00 (6 h, lunch excluded) +
    # Fri 13 (8) = 14; Tết Sat 14 - Sun 22 Feb is skipped; Mon 23 - Fri 27 Feb (40) = 54; Mon 2 -
    # Fri 6 Mar (40) = 94; Mon 9 - Wed 11 Mar (24) = 118; Thu 12 Mar 07:00-09:00 (2) = 120
    # -> Thu 12 Mar 2026 09:00.
    d = register(api, at(2026, 2, 12, 9))
    assert d["code"] == f"{AGENCY}-260212-0001" and (d["status"], d["status_code"]) == ("new", 1)
    api.complete("desk", d, "receive", {"outcome": "receive"})
    v = api.view(d)
    assert (v["status_code"], v["channel_code"], v["due_at"]) == (4, 1, iso(2026, 3, 12, 9))
    [slip] = [e for e in v["events"] if e["kind"] == "notice.received"]
    assert slip["detail"]["appointment"] == iso(2026, 3, 12, 9)
    receipt = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=json").json
    assert receipt["dossier_code"] == d["code"] and receipt["appointment"] == iso(2026, 3, 12, 9)
    # forwarded within 8 working hours of reception: Thu 09:00-17:00 (6 h) + Fri 07:00-09:00
    # (2 h) -> Fri 13 Feb 09:00.
    assert api.task("desk", d, "forward")["due_at"] == iso(2026, 2, 13, 9)
    api.at(at(2026, 2, 12, 10))
    api.complete("desk", d, "forward")
    api.at(at(2026, 2, 13, 10))
    api.complete("head", d, "assign", {"official": "an"})
    # Fri 13 Feb 15:30, the last working afternoon before Tết: the official asks two agencies.
    api.at(at(2026, 2, 13, 15, 30))
    api.complete("an", d, "plan", {"permit_kind": "new", "consultations": [
        {"agency": FIRE_POLICE, "days": 8, "subject": "Phòng cháy chữa cháy"},
        {"agency": HERITAGE, "days": 5, "subject": "Khu vực bảo vệ di tích"}]})
    due = {t["candidate_agency"]: t["due_at"] for t in api.view(d)["current_tasks"] if t["element_id"] == "consult"}
    # Each on its own deadline (R-4.2, N-5), counted from Fri 13 Feb 15:30 in working days, Tết skipped:
    # 8 days: Mon 23, Tue 24, Wed 25, Thu 26, Fri 27 Feb, Mon 2, Tue 3, Wed 4 Mar -> Wed 4 Mar 15:30;
    # 5 days: Mon 23 ... Fri 27 Feb -> Fri 27 Feb 15:30.
    assert due == {FIRE_POLICE: iso(2026, 3, 4, 15, 30), HERITAGE: iso(2026, 2, 27, 15, 30)}
    # The site visit's 16 working hours: Fri 15:30-17:00 (1.5) + Mon 23 (8) = 9.5; Tue 24 07:00-11:30
    # (4.5) = 14, 13:30-15:30 (2) = 16 -> Tue 24 Feb 15:30.
    assert api.task("an", d, "verify_site")["due_at"] == iso(2026, 2, 24, 15, 30)
    api.at(at(2026, 2, 24, 9))
    api.complete("an", d, "verify_site", SITE_VISIT)   # the due day, before the due instant: on time
    api.at(at(2026, 3, 2, 10))
    api.complete("van_hoa", d, "consult", {"opinion": "agree", "remarks": "Ngoài khu vực bảo vệ"})  # late
    api.at(at(2026, 3, 3, 9))
    api.complete("pccc", d, "consult", {"opinion": "agree_with_conditions", "remarks": "Lắp bình chữa cháy"})
    steps = {(s["element_id"], s["agency"]): s["timeliness"] for s in api.view(d)["timeline"]
             if s["element_id"] in ("consult", "verify_site")}
    assert steps == {("verify_site", AGENCY): "on_time", ("consult", HERITAGE): "late",
                     ("consult", FIRE_POLICE): "early"}  # Tue 3 Mar, an earlier day than Wed 4 Mar
    # Appraisal asks for a supplement (one notice listing everything, R-3.2); the head approves, the
    # desk sends it Wed 4 Mar 11:00: status 5, the clock pauses (N-4).
    api.at(at(2026, 3, 4, 9))
    api.complete("an", d, "appraise", {"conclusion": "supplement", "opinion": "Thiếu bản vẽ móng",
                                       "missing": ["Bản vẽ mặt bằng móng", "Sơ đồ đấu nối thoát nước"],
                                       "reason": "Bản vẽ thiết kế chưa đủ theo Điều 95 Luật Xây dựng"})
    api.at(at(2026, 3, 4, 10))
    api.complete("head", d, "approve_supplement", {"approved": True})
    api.at(at(2026, 3, 4, 11))
    api.complete("desk", d, "send_supplement")
    v = api.view(d)
    assert (v["status_code"], v["paused_since"]) == (5, iso(2026, 3, 4, 11))
    slip = api.get("desk", f"/api/dossiers/{d['id']}/records/supplement?format=json").json
    assert slip["missing"] == ["Bản vẽ mặt bằng móng", "Sơ đồ đấu nối thoát nước"]
    # Supplemented at the desk Mon 9 Mar 11:00. Paused: Wed 4 Mar 11:00-11:30 (0.5) + 13:30-17:00
    # (3.5) + Thu 5 (8) + Fri 6 (8) + Mon 9 07:00-11:00 (4) = 24 working hours = 3 days: the
    # appointment moves from Thu 12 Mar 09:00 to Tue 17 Mar 09:00 (Fri 13, Mon 16, Tue 17).
    api.at(at(2026, 3, 9, 11))
    r = api.post("desk", f"/api/dossiers/{d['id']}/supplement", {"note": "Đã nộp bản vẽ móng"})
    assert r.status_code == 200, r.json
    v = api.view(d)
    assert (v["status_code"], v["paused_since"], v["due_at"]) == (4, None, iso(2026, 3, 17, 9))
    assert v["pauses"] == [{"from": iso(2026, 3, 4, 11), "to": iso(2026, 3, 9, 11)}]
    api.at(at(2026, 3, 9, 14))
    api.complete("an", d, "appraise", {"conclusion": "approve", "opinion": "Đủ điều kiện cấp phép"})
    api.at(at(2026, 3, 10, 9))
    api.complete("chu_tich", d, "approve", {"approved": True})
    # The fee table (fees.dmn, gpxd_fee) gives 75,000 VND for a new house; the desk asks for it: 6.
    api.at(at(2026, 3, 10, 10))
    api.complete("desk", d, "request_fee")
    v = api.view(d)
    assert v["status_code"] == 6
    [asked] = [e for e in v["events"] if e["kind"] == "notice.payment_requested"]
    assert asked["detail"]["amount"] == 75000
    api.at(at(2026, 3, 10, 14))
    r = api.post("desk", f"/api/dossiers/{d['id']}/payments", {"receipt_number": "BL-0042"})
    assert r.status_code == 200, r.json
    assert [t["element_id"] for t in api.view(d)["current_tasks"]] == ["receive_result"]  # fee_paid delivered
    api.at(at(2026, 3, 11, 9))
    api.complete("desk", d, "receive_result")
    v = api.view(d)
    # Processed Wed 11 Mar, an earlier day than the appointment Tue 17 Mar: early (N-7).
    assert (v["status_code"], v["timeliness"]) == (9, "early")
    api.at(at(2026, 3, 11, 10))
    api.complete("desk", d, "return_result", {"return_channel": "postal", "tracking_number": "EB123456789VN"})
    v = api.view(d)
    assert (v["status"], v["status_code"]) == ("returned", 10) and v["current_tasks"] == []
    assert status_codes(v) == [1, 2, 4, 5, 4, 6, 4, 9, 10]  # N-8, in the order of the changes
    control = api.get("desk", f"/api/dossiers/{d['id']}/records/control?format=json").json
    assert control["timeliness"] == "early" and control["appointment"] == iso(2026, 3, 17, 9)


def test_refusal_with_reason_after_appraisal(gpxd):
    api = gpxd
    # Received Fri 4 Dec 2026 16:00 at the desk; 15 working days = 120 h: Fri 16:00-17:00 (1) +
    # Mon 7 - Fri 11 Dec (40) + Mon 14 - Fri 18 (40) + Mon 21 - Thu 24 (32) = 113; Fri 25 Dec
    # 07:00-11:30 (4.5) = 117.5, 13:30-16:00 (2.5) = 120 -> Fri 25 Dec 2026 16:00 (the weekends skipped).
    d = register(api, at(2026, 12, 4, 16))
    api.complete("desk", d, "receive", {"outcome": "receive"})
    assert api.view(d)["due_at"] == iso(2026, 12, 25, 16)
    api.at(at(2026, 12, 7, 8))
    api.complete("desk", d, "forward")
    api.complete("head", d, "assign", {"official": "an"})
    api.complete("an", d, "plan", {"permit_kind": "new", "consultations": [{"agency": HERITAGE, "days": 3}]})
    api.at(at(2026, 12, 8, 9))
    api.complete("an", d, "verify_site", dict(SITE_VISIT, visit_time=iso(2026, 12, 8, 8)))
    api.complete("van_hoa", d, "consult", {"opinion": "disagree", "remarks": "Trong khu vực bảo vệ I của di tích"})
    reason = "Công trình nằm trong khu vực bảo vệ I của di tích (ý kiến Sở Văn hóa)"
    api.at(at(2026, 12, 9, 9))
    api.complete("an", d, "appraise", {"conclusion": "refuse", "opinion": "Không đủ điều kiện", "reason": reason})
    api.complete("head", d, "approve_refusal", {"approved": True})
    api.at(at(2026, 12, 9, 10))
    api.complete("desk", d, "send_refusal")
    v = api.view(d)
    # refused with the written reason, 8, never processed; Wed 9 Dec before Fri 25 Dec: early.
    assert (v["status"], v["status_code"], v["outcome"], v["status_reason"], v["timeliness"]) == (
        "stopped", 8, "refused", reason, "early")
    assert 9 not in status_codes(v) and v["current_tasks"] == []
    refusal = api.get("desk", f"/api/dossiers/{d['id']}/records/refusal?format=json").json
    assert refusal["reason"] == reason and refusal["dossier_code"] == d["code"]


def test_no_agency_to_consult_the_appraisal_follows_the_site_visit(gpxd):
    api = gpxd
    d = register(api, at(2026, 12, 7, 8))
    api.complete("desk", d, "receive", {"outcome": "receive"})
    api.complete("desk", d, "forward")
    api.complete("head", d, "assign", {"official": "an"})
    api.complete("an", d, "plan", {"permit_kind": "repair", "consultations": []})
    assert [t["element_id"] for t in api.view(d)["current_tasks"]] == ["verify_site"]
    api.complete("an", d, "verify_site", dict(SITE_VISIT, visit_time=iso(2026, 12, 7, 8)))
    assert [t["element_id"] for t in api.view(d)["current_tasks"]] == ["appraise"]
