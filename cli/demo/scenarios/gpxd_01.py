"""processes/GPXD-01 (construction permit for an individual house, 15 working days) across Tết 2026.

Registered at the desk Fri 13 Feb 15:30 and received; the official asks two agencies at 16:20, each
on its own deadline (R-4.2, N-5): the fire police 8 working days (-> Wed 4 Mar 16:20), the heritage
office 5 (-> Fri 27 Feb 16:20, Tết 16-20 Feb skipped). The site is visited Mon 23 Feb (R-4.3); the
heritage office answers late, Mon 2 Mar; the fire police early, Tue 3 Mar. The appraisal asks for a
supplement, sent Wed 4 Mar 11:00 (status 5, clock paused, N-4); the drawings come back Mon 9 Mar
11:00 (24 working hours paused: the appointment Fri 13 Mar 15:30 moves to Wed 18 Mar 15:30). Approved
Tue 10 Mar; the fee of fees.dmn (75,000 VND, illustrative) is requested and paid at the desk; the
permit is ready Tue 10 Mar 15:00 (early) and sent by post on Wed 11 Mar.
"""
from __future__ import annotations

from cli.demo.driver import Demo

FIRE_POLICE, HERITAGE = "000.00.12.H20", "000.00.12.H21"  # illustrative consulted agencies
SITE_VISIT = {"place": "Thửa 112, tờ bản đồ 7", "participants": ["Công chức thụ lý", "Chủ đầu tư"],
              "content": "Hiện trạng phù hợp bản vẽ, không lấn chiếm hành lang giao thông"}


def run(demo: Demo) -> None:
    """One permit: two consultations (one late), site visit, supplement, fee, postal return."""
    lifecycle, desk = demo.services.lifecycle, demo.official("one_stop_officer")
    d = demo.register({"name": "Trần Thị Bích", "id_number": "066190001234"})
    demo.advance(minutes=10)
    demo.complete(d, "receive", {"outcome": "receive"})
    demo.say(f"{d.code}: received, appointment {demo.when(demo.view(d).due_at)} (15 working days)")
    demo.advance(minutes=10)
    demo.complete(d, "forward")
    demo.advance(minutes=10)
    demo.complete(d, "assign", {"official": demo.official("official").username})
    demo.advance(minutes=20)
    demo.complete(d, "plan", {"permit_kind": "new", "consultations": [
        {"agency": FIRE_POLICE, "days": 8, "subject": "Phòng cháy chữa cháy"},
        {"agency": HERITAGE, "days": 5, "subject": "Khu vực bảo vệ di tích"}]})
    demo.say("consultations sent: fire police 8 working days, heritage office 5 (each its own deadline)")
    demo.advance_to(demo.at(2026, 2, 23, 9))
    demo.complete(d, "verify_site", dict(SITE_VISIT, visit_time=demo.at(2026, 2, 23, 8).isoformat()))
    demo.advance_to(demo.at(2026, 3, 2, 10))
    demo.complete(d, "consult", {"opinion": "agree", "remarks": "Ngoài khu vực bảo vệ"}, agency=HERITAGE)
    demo.say("heritage office answered after its deadline (late step)")
    demo.advance_to(demo.at(2026, 3, 3, 9))
    demo.complete(d, "consult", {"opinion": "agree_with_conditions", "remarks": "Lắp bình chữa cháy"},
                  agency=FIRE_POLICE)
    demo.advance_to(demo.at(2026, 3, 4, 9))
    demo.complete(d, "appraise", {"conclusion": "supplement", "opinion": "Thiếu bản vẽ móng",
                                  "missing": ["Bản vẽ mặt bằng móng"], "reason": "Bản vẽ thiết kế chưa đủ"})
    demo.advance_to(demo.at(2026, 3, 4, 10))
    demo.complete(d, "approve_supplement", {"approved": True})
    demo.advance_to(demo.at(2026, 3, 4, 11))
    demo.complete(d, "send_supplement")
    demo.say("supplement requested (status 5): the clock is paused")
    demo.advance_to(demo.at(2026, 3, 9, 11))
    lifecycle.supplement_received(desk, d.id, note="Nộp bổ sung bản vẽ móng")
    demo.say(f"supplemented: appointment moves to {demo.when(demo.view(d).due_at)}")
    demo.advance_to(demo.at(2026, 3, 9, 14))
    demo.complete(d, "appraise", {"conclusion": "approve", "opinion": "Đủ điều kiện cấp phép"})
    demo.advance_to(demo.at(2026, 3, 10, 9))
    demo.complete(d, "approve", {"approved": True})
    demo.advance_to(demo.at(2026, 3, 10, 10))
    demo.complete(d, "request_fee")
    demo.say(f"fee of {demo.view(d).fee['amount']} VND requested (status 6)")
    demo.advance_to(demo.at(2026, 3, 10, 14))
    lifecycle.record_payment(desk, d.id, "BL-2026-000042")
    demo.advance_to(demo.at(2026, 3, 10, 15))
    demo.complete(d, "receive_result")
    demo.advance_to(demo.at(2026, 3, 11, 9))
    demo.complete(d, "return_result", {"return_channel": "postal", "tracking_number": "EB123456789VN"})
    demo.say(f"permit sent by post, status {demo.view(d).status_code}")
