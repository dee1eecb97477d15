"""processes/TCXH-01 (one monthly social-assistance payment cycle, R-10) across Tết 2026.

The commune opens the cycle for the payments of March 2026 on Fri 13 Feb 15:30 (appointment: 20
working days, Fri 20 Mar 15:30). Nobody sends the funds during Tết: the calendar timer "before the
25th" fires on Wed 25 Feb 00:00 and the head chases; the funds and list go at 08:00. The payment
service (illustrative agency 000.00.99.H15) pays by account and in cash at pay points and at home
(Tue 10 Mar); the fee of fees.dmn for a commune is 250,000,050 x 1.0 % + 150,000,033 x 1.9 % =
2,500,001 + 2,850,001 = 5,350,002 VND; its report on Fri 13 Mar (before the 20th) closes the cycle.
"""
from __future__ import annotations

from cli.demo.driver import Demo

SERVICE = "000.00.99.H15"


def run(demo: Demo) -> None:
    """One payment cycle: late funds chased by the 25th timer, payment, fee, report of the 20th."""
    d = demo.register({"name": "Bưu điện tỉnh Đắk Lắk (tổ chức dịch vụ chi trả)"})
    demo.advance(minutes=30)
    demo.complete(d, "open_cycle", {"payment_month": "2026-03", "payment_service": SERVICE,
                                    "payment_service_name": "Bưu điện tỉnh Đắk Lắk", "area_kind": "commune"})
    demo.say(f"{d.code}: cycle for March 2026 opened, appointment {demo.when(demo.view(d).due_at)}")
    demo.advance_to(demo.at(2026, 2, 25, 8))  # the 25th's timer fires at 00:00 on the way
    demo.say(f"the 25th passed: ready {sorted(t.element_id for t in demo.view(d).current_tasks)}")
    demo.complete(d, "send_funds", {"funds_total": 420_000_000, "beneficiary_count": 742,
                                    "list_reference": "DS-03/2026"})
    demo.advance_to(demo.at(2026, 2, 25, 9))
    demo.complete(d, "chase_funds", {"note": "Đã chuyển lúc 08:00"})
    demo.advance_to(demo.at(2026, 3, 10, 16))
    demo.complete(d, "pay", {"paid_by_account": {"count": 480, "total": 250_000_050},
                             "paid_at_pay_point": {"count": 230, "total": 120_000_000},
                             "paid_at_home": {"count": 30, "total": 30_000_033}}, agency=SERVICE)
    demo.advance_to(demo.at(2026, 3, 13, 10))
    demo.complete(d, "report", {"unpaid": [{"beneficiary": "H'Hen Niê", "amount": 1_000_000}],
                                "money_left": 19_999_917, "documents_reference": "BC-03/2026"}, agency=SERVICE)
    v = demo.view(d)
    demo.say(f"report before the 20th closes the cycle: status {v.status_code}, {v.timeliness}")
