"""processes/CTBS-01 (certification of copies from originals, commune) after Tết 2026: two dossiers.

Same working day, the next working day when received after 15:00 (Decree 23/2015 Art. 7.1:
procedure.toml statutory_days = 0, cutoff_hour = 15); result on the spot, so no receipt slip unless
the applicant asks (R-3.5); fee from fees.dmn (Circular 226/2016/TT-BTC Art. 4). Its dossiers are
registered after Tết, on Monday 23 February, so that the codes of HKD-01's dossiers of Friday 13
February (same agency, run after this folder) stay 0001 and 0002. The crossing of Tết with the
15:00 cut-off is tested in tests/api/test_ctbs01_e2e.py.

A: a 250-page original, 1 copy, Mon 23 Feb 09:00: the fee is capped at 200,000 VND a copy (the cap
   is reached at 198 pages: 2,000 + 1,000 x 198); certified and returned that morning.
B: a diploma of 5 pages, 2 copies, Mon 23 Feb 15:20, after 15:00: the fee 2 x 2,000 + 3 x 1,000 =
   7,000 VND a copy, 14,000 for two; certified the same evening, returned the next morning.

Hand-worked instants (calendar: 07:00-11:30, 13:30-17:00 Monday-Friday):
- A before 15:00: due the same day, Mon 23 Feb 17:00; processed 10:05 that day: on time (N-7).
- B after 15:00: the count starts Tue 24 Feb 07:00, due Tue 24 Feb 17:00; processed Mon 23 16:15,
  a day before: early.
"""
from __future__ import annotations

from cli.demo.driver import Demo


def run(demo: Demo) -> None:
    lifecycle, desk = demo.services.lifecycle, demo.official("one_stop_officer")

    demo.advance_to(demo.at(2026, 2, 23, 9, 0))  # after Tết
    a = demo.register({"name": "Lê Văn Giang", "id_number": "066085004321"})
    demo.say(f"A {a.code}: a 250-page original, 1 copy (status {a.status_code})")
    demo.advance(minutes=5)
    demo.complete(a, "receive", {"outcome": "receive", "document": "Hồ sơ thiết kế", "pages": 250, "copies": 1})
    demo.say(f"A: received, appointment {demo.when(demo.view(a).due_at)} (the same working day)")
    demo.advance(minutes=5)
    demo.complete(a, "request_fee")  # the amount from fees.dmn: capped at 200,000 VND a copy
    demo.say(f"A: fee of {demo.view(a).fee['amount']} VND requested (the cap per copy, status 6)")
    lifecycle.record_payment(desk, a.id, "BL-CT-000101")
    demo.advance_to(demo.at(2026, 2, 23, 9, 40))
    demo.complete(a, "check", {"conclusion": "certify"})
    demo.advance_to(demo.at(2026, 2, 23, 10, 0))
    demo.complete(a, "sign", {"approved": True})
    demo.advance(minutes=5)
    demo.complete(a, "result")
    demo.advance(minutes=10)
    demo.complete(a, "return_result", {"return_channel": "desk"})
    demo.say(f"A: certified copy returned at the desk, status {demo.view(a).status_code}")

    demo.advance_to(demo.at(2026, 2, 23, 15, 20))
    b = demo.register({"name": "Phạm Thị Dung", "id_number": "066190001234"})
    demo.say(f"B {b.code}: diploma of 5 pages, 2 copies, after 15:00")
    demo.advance(minutes=5)
    demo.complete(b, "receive", {"outcome": "receive", "document": "Bằng tốt nghiệp đại học", "pages": 5,
                                 "copies": 2})
    demo.say(f"B: received, appointment {demo.when(demo.view(b).due_at)} (the next working day)")
    demo.advance(minutes=5)
    demo.complete(b, "request_fee")  # 14,000 VND
    demo.say(f"B: fee of {demo.view(b).fee['amount']} VND requested")
    demo.advance(minutes=5)
    lifecycle.record_payment(desk, b.id, "BL-CT-000102")
    demo.advance_to(demo.at(2026, 2, 23, 15, 55))
    demo.complete(b, "check", {"conclusion": "certify"})
    demo.advance_to(demo.at(2026, 2, 23, 16, 10))
    demo.complete(b, "sign", {"approved": True})
    demo.advance(minutes=5)
    demo.complete(b, "result")
    demo.say(f"B: certified the same evening, status {demo.view(b).status_code}")
    demo.advance_to(demo.at(2026, 2, 24, 8, 0))
    demo.complete(b, "return_result", {"return_channel": "desk"})
    demo.say(f"B: returned at the desk, status {demo.view(b).status_code}")
