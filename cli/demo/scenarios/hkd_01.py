"""processes/HKD-01 (household business registration, 3 working days) across Tết 2026: two dossiers.

A: registered at the desk on Friday 13 Feb 15:30, received, forwarded; after Tết (16-20 Feb) the
   appraisal asks for a supplement (clock paused, N-4); the applicant brings it; the head apologizes
   with a new appointment (N-6); the result is approved, ready and returned at the desk.
B: arrives by post the same afternoon, pays the fee at the desk (R-6.2), is refused after appraisal
   with the reason (R-4.6, status 8) and its fee refunded (R-6.3).

Hand-worked instants (calendar: 07:00-11:30, 13:30-17:00 Monday-Friday; Tết off 16-20 Feb 2026):
- A's appointment: 24 working hours from Fri 15:30 = Fri 1.5 h, Mon 23 8 h, Tue 24 8 h, Wed 25
  07:00-11:30 4.5 h (22) + 13:30-15:30 2 h -> Wed 25 Feb 15:30.
- A's pause Mon 23 14:00 -> Wed 25 09:00 = Mon 3 h + Tue 8 h + Wed 2 h = 13 h: the appointment moves
  by 13 working hours: Wed 15:30-17:00 1.5 h, Thu 26 8 h (9.5), Fri 27 07:00 + 3.5 h -> Fri 27 10:30.
- A's apology on Thu 26 09:00 is 9.5 working hours before Fri 10:30 (at least 1 working day, N-6).
"""
from __future__ import annotations

from cli.demo.driver import Demo


def run(demo: Demo) -> None:
    lifecycle, desk = demo.services.lifecycle, demo.official("one_stop_officer")
    cv, head = demo.official("official").username, demo.official("agency_head")
    fee = int(demo.procedure.meta["fees"][0]["amount"])  # 100 000 VND (procedure.toml)

    # Friday 13 Feb, the last afternoon before Tết.
    a = demo.register({"name": "Nguyễn Văn An", "id_number": "001086012345", "phone": "0905123456"})
    demo.say(f"A {a.code}: registered at the desk, status {a.status_code}")
    demo.advance(minutes=15)
    demo.complete(a, "receive", {"outcome": "receive"})
    demo.say(f"A: received, appointment {demo.when(demo.view(a).due_at)} (3 working days, Tết skipped)")
    demo.advance_to(demo.at(2026, 2, 13, 16, 0))
    b = demo.register({"name": "Trần Thị Bình", "id_number": "048190004321"}, channel="postal")
    demo.say(f"B {b.code}: arrived by post, registered, status {b.status_code}")
    demo.advance(minutes=15)
    demo.complete(b, "receive", {"outcome": "receive"})
    demo.advance(minutes=5)
    lifecycle.request_payment(desk, b.id, fee)
    demo.say(f"B: received; fee of {fee} VND requested (status 6)")
    demo.advance(minutes=10)
    demo.complete(a, "forward")
    demo.advance(minutes=10)
    lifecycle.record_payment(desk, b.id, "BL-2026-000123")
    demo.say("B: fee paid at the desk, receipt BL-2026-000123 (status 4)")
    demo.advance(minutes=10)
    demo.complete(b, "forward")

    # Tết: Monday 16 to Friday 20 February are off; work resumes Monday 23.
    demo.advance_to(demo.at(2026, 2, 23, 8, 0))
    demo.complete(a, "assign", {"official": cv})
    demo.advance_to(demo.at(2026, 2, 23, 8, 30))
    demo.complete(b, "assign", {"official": cv})
    demo.advance_to(demo.at(2026, 2, 23, 10, 0))
    demo.complete(a, "appraise", {"conclusion": "supplement", "opinion": "Thiếu giấy tờ của chủ hộ",
                                  "missing": ["Bản sao Căn cước của chủ hộ kinh doanh"],
                                  "reason": "Chưa có giấy tờ pháp lý của cá nhân chủ hộ"})
    demo.advance_to(demo.at(2026, 2, 23, 11, 0))
    demo.complete(a, "approve_supplement", {"approved": True})
    demo.advance_to(demo.at(2026, 2, 23, 14, 0))
    demo.complete(a, "send_supplement")
    demo.say("A: supplement requested (status 5): the appointment's clock is paused")
    demo.advance_to(demo.at(2026, 2, 24, 9, 0))
    demo.complete(b, "appraise", {"conclusion": "refuse", "opinion": "Không đủ điều kiện",
                                  "reason": "Ngành, nghề đăng ký thuộc danh mục cấm đầu tư kinh doanh"})
    demo.advance_to(demo.at(2026, 2, 24, 10, 0))
    demo.complete(b, "approve_refusal", {"approved": True})
    demo.advance_to(demo.at(2026, 2, 24, 11, 0))
    demo.complete(b, "send_refusal")
    demo.say(f"B: refused in writing with the reason, status {demo.view(b).status_code}")
    demo.advance_to(demo.at(2026, 2, 24, 14, 0))
    lifecycle.refund(desk, b.id, "Hồ sơ bị từ chối giải quyết: hoàn trả lệ phí đã nộp")
    demo.say("B: the paid fee is refunded")
    demo.advance_to(demo.at(2026, 2, 25, 9, 0))
    lifecycle.supplement_received(desk, a.id, note="Nộp bổ sung bản sao Căn cước tại Bộ phận Một cửa")
    demo.say(f"A: supplement brought to the desk, appointment moves to {demo.when(demo.view(a).due_at)}")
    demo.advance_to(demo.at(2026, 2, 26, 9, 0))
    new_due = demo.at(2026, 3, 3, 10, 30)
    lifecycle.apologize(head, a.id, new_due, "Cần xác minh ngành nghề kinh doanh với cơ quan thuế")
    demo.say(f"A: the head apologizes in writing, new appointment {demo.when(new_due)}")
    demo.advance_to(demo.at(2026, 3, 2, 9, 0))
    demo.complete(a, "appraise", {"conclusion": "approve", "opinion": "Đủ điều kiện đăng ký"})
    demo.advance_to(demo.at(2026, 3, 2, 14, 0))
    demo.complete(a, "approve", {"approved": True})
    demo.advance_to(demo.at(2026, 3, 2, 15, 0))
    demo.complete(a, "receive_result")
    demo.advance_to(demo.at(2026, 3, 3, 8, 0))
    demo.complete(a, "return_result", {"return_channel": "desk"})
    demo.say(f"A: result returned at the desk, status {demo.view(a).status_code}")
