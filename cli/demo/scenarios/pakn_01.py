"""processes/PAKN-01 (feedback and complaints, R-7.2; QĐ 04/2024/QĐ-UBND Đắk Lắk Điều 21) across Tết
2026: three feedback cases of the sample agency, each an instance of PAKN-01 v1 (docs/feedback.md).

A: a phone call received Fri 13 Feb 14:00, entered by the desk at 15:45 (on time), assigned after
   Tết, answered Wed 25 Feb 10:00: early.
B: a letter received by post Fri 13 Feb 10:00, entered only after Tết, Mon 23 Feb 15:00: flagged
   entered late; answered Thu 12 Mar 09:00, working day 14: late.
C: sent online by an applicant Mon 23 Feb 09:00 (straight to the head: no entry step), answered on
   its due day, Thu 12 Mar 08:30: on time.

Hand-worked instants (calendar: 07:00-11:30, 13:30-17:00 Monday-Friday; Tết: Mon 16 - Fri 20 Feb off):
- A entry: 8 working hours from Fri 13 Feb 14:00 = Fri 14:00-17:00 (3 h) + Mon 23 Feb 07:00-11:30
  (4.5 h) + 13:30-14:00 (0.5 h): due Mon 23 Feb 14:00; entered Fri 15:45: on time.
- B entry: from Fri 13 Feb 10:00 = Fri 10:00-11:30 (1.5 h) + 13:30-17:00 (3.5 h) + Mon 23 Feb
  07:00-10:00 (3 h): due Mon 23 Feb 10:00; entered 15:00: late.
- Answers: 13 working days from the receipt, at the receipt's time of day. After Fri 13 Feb: 23-27
  Feb (5), 2-6 Mar (5), 9-11 Mar (3): A due Wed 11 Mar 14:00 (answered 25 Feb: an earlier day, early),
  B due Wed 11 Mar 10:00 (answered Thu 12 Mar 09:00: late). C after Mon 23 Feb 09:00: 24-27 Feb (4),
  2-6 Mar (5), 9-12 Mar (4): due Thu 12 Mar 09:00; answered that day at 08:30: on time (N-7's rule).
"""
from __future__ import annotations

from cli.demo.driver import Demo
from engine.domain.applicant import Applicant


def run(demo: Demo) -> None:
    feedback = demo.services.feedback
    desk, head, official = demo.official("one_stop_officer"), demo.official("agency_head"), demo.official()

    demo.advance_to(demo.at(2026, 2, 13, 15, 45))
    a = demo.track_feedback(feedback.enter(
        desk, "phone", demo.at(2026, 2, 13, 14, 0), "Phạm Thị Dung", "Hỏi tiến độ hồ sơ",
        "Gọi đường dây nóng: hồ sơ đăng ký hộ kinh doanh nộp tuần trước đã có kết quả chưa?",
        contact={"phone": "0912345678"}).code)
    view = feedback.get(head, a)
    demo.say(f"A {a}: a phone call of 14:00 entered now, entry due {demo.when(view.entry_due_at)} "
             f"({'late' if view.entered_late else 'on time'}), answer due {demo.when(view.due_at)}")

    demo.advance_to(demo.at(2026, 2, 23, 8, 0))  # after Tết
    feedback.assign(head, a, official.username)
    demo.advance_to(demo.at(2026, 2, 23, 9, 0))
    c = demo.track_feedback(feedback.submit_online(
        Applicant("066085004321", "Lê Văn Giang"), "Thái độ tiếp dân",
        "Cán bộ Bộ phận Một cửa chưa hướng dẫn đầy đủ thành phần hồ sơ.", agency_id=demo.procedure.agency,
        contact={"email": "giang@example.vn"}).code)
    demo.say(f"C {c}: sent online, waits for the head (answer due {demo.when(feedback.get(head, c).due_at)})")
    demo.advance_to(demo.at(2026, 2, 23, 15, 0))
    b = demo.track_feedback(feedback.enter(
        desk, "postal", demo.at(2026, 2, 13, 10, 0), "Trần Văn Hùng", "Kiến nghị về lệ phí",
        "Thư gửi qua bưu điện: đề nghị công khai mức lệ phí tại Bộ phận Một cửa.").code)
    view = feedback.get(head, b)
    demo.say(f"B {b}: a letter of Fri 13/02 10:00 entered now: entry was due {demo.when(view.entry_due_at)}, "
             f"{'flagged late' if view.entered_late else 'on time'}")
    demo.advance_to(demo.at(2026, 2, 23, 16, 0))
    feedback.assign(head, b, official.username)
    feedback.assign(head, c, official.username)

    demo.advance_to(demo.at(2026, 2, 25, 10, 0))
    done = feedback.answer(official, a, "Hồ sơ đã có kết quả, mời ông/bà nhận tại Bộ phận Một cửa.")
    demo.say(f"A answered and published to the sender: {done.timeliness}")
    demo.advance_to(demo.at(2026, 3, 12, 8, 30))
    done = feedback.answer(official, c, "Đã nhắc nhở cán bộ; thành phần hồ sơ được niêm yết tại quầy.")
    demo.say(f"C answered on its due day: {done.timeliness}")
    demo.advance_to(demo.at(2026, 3, 12, 9, 0))
    done = feedback.answer(head, b, "Mức lệ phí đã được niêm yết công khai. Xin lỗi vì trả lời chậm.")
    demo.say(f"B answered on working day 14: {done.timeliness}")
