"""processes/TCXH-01, one monthly social-assistance payment cycle (R-10; QĐ 03/2024/QĐ-UBND Đắk
Lắk), end to end through the HTTP API with an injected clock crossing Tết 2026 and a weekend (issue 11).

The cycle is one case with its own code (N-1) of the commune People's Committee 000.00.32.H15; the
payment service is agency 000.00.99.H15 (both illustrative). The legal dates are calendar timers:
funds and list before the 25th of the month before, the report before the 20th of the paid month
(25th / 20th 00:00 province time), firing on any day, weekends and Tết included. The case's
appointment is 20 working days from its opening (illustrative, README.md). Calendar: the shipped one."""
from __future__ import annotations

import pytest

from tests.support.shipped import at, iso, shipped_procedure_api, status_codes

COMMUNE = "000.00.32.H15"
SERVICE = "000.00.99.H15"
USERS = {
    "desk": (COMMUNE, ["one_stop_officer"]),
    "vhxh": (COMMUNE, ["official"]),
    "head": (COMMUNE, ["agency_head"]),
    "buudien": (SERVICE, ["official"]),
}


@pytest.fixture
def tcxh(services, clock):
    return shipped_procedure_api(services, clock, "TCXH-01", USERS)


def open_cycle(api, when, month, area_kind) -> dict:
    api.at(when)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "TCXH-01",
                                         "applicant": {"name": "Bưu điện tỉnh Đắk Lắk (tổ chức dịch vụ chi trả)"}})
    assert r.status_code == 201, r.json
    api.complete("vhxh", r.json, "open_cycle", {"payment_month": month, "payment_service": SERVICE,
                                                "payment_service_name": "Bưu điện tỉnh Đắk Lắk", "area_kind": area_kind})
    return r.json


def fire(api, when) -> None:
    api.at(when)
    api.services.timers.fire_due()  # what the scheduler does on each sweep


def shown(api, who, d, element) -> dict:
    """The dossier's data as the task's form shows it (GET /api/tasks/{id})."""
    r = api.get(who, f"/api/tasks/{api.task(who, d, element)['task_id']}")
    assert r.status_code == 200, r.json
    return r.json["data"]


def elements(api, d) -> list[str]:
    return sorted(t["element_id"] for t in api.view(d)["current_tasks"])


def test_march_2026_cycle_across_tet_late_funds_chased_then_paid_and_closed_by_the_report(tcxh):
    api = tcxh
    # Opened Fri 13 Feb 2026 15:30 for the payments of March 2026. No reception step: registering it
    # receives it (1 -> 2 -> 4). Appointment, 20 working days from Fri 15:30, Tết (14-22 Feb) skipped:
    # Mon 23 - Fri 27 Feb (5), 2-6 Mar (10), 9-13 (15), 16-20 (20) -> Fri 20 Mar 2026 15:30.
    d = open_cycle(api, at(2026, 2, 13, 15, 30), "2026-03", "commune")
    assert d["code"] == f"{COMMUNE}-260213-0001"
    v = api.view(d)
    assert (v["status_code"], status_codes(v), v["due_at"]) == (4, [1, 2, 4], iso(2026, 3, 20, 15, 30))
    data = shown(api, "vhxh", d, "send_funds")
    assert (data["funds_due"], data["report_due"]) == ("2026-02-25T00:00:00+07:00", "2026-03-20T00:00:00+07:00")
    # send_funds: 2 working days from Fri 13 Feb 15:30 -> Mon 23 (1), Tue 24 Feb 15:30 (2).
    assert api.task("vhxh", d, "send_funds")["due_at"] == iso(2026, 2, 24, 15, 30)
    # Nobody sends the funds during Tết. "Before the 25th" is a calendar date: the timer waits for
    # Wed 25 Feb 00:00, not for a working hour; one minute before it nothing happens.
    fire(api, at(2026, 2, 24, 23, 59))
    assert elements(api, d) == ["send_funds"]
    fire(api, at(2026, 2, 25, 0, 1))  # the first sweep after Wed 25 Feb 00:00
    assert elements(api, d) == ["chase_funds", "send_funds"]  # non-interrupting: the head chases
    # The chase's 4 working hours count from the next working time, Wed 07:00 -> 11:00.
    assert api.task("head", d, "chase_funds")["due_at"] == iso(2026, 2, 25, 11)
    api.at(at(2026, 2, 25, 8))
    api.complete("vhxh", d, "send_funds", {"funds_total": 420_000_000, "beneficiary_count": 742,
                                           "list_reference": "DS-03/2026, 24/02/2026"})
    api.at(at(2026, 2, 25, 9))
    api.complete("head", d, "chase_funds", {"note": "Đã chuyển 08:00"})
    # The payment service pays: 10 working days from Wed 25 Feb 08:00 -> Thu 26, Fri 27, 2-6 Mar, 9,
    # 10, 11 -> Wed 11 Mar 08:00; done Tue 10 Mar: early.
    assert api.task("buudien", d, "pay")["due_at"] == iso(2026, 3, 11, 8)
    api.at(at(2026, 3, 10, 16))
    api.complete("buudien", d, "pay", {"paid_by_account": {"count": 480, "total": 250_000_050},
                                       "paid_at_pay_point": {"count": 230, "total": 120_000_000},
                                       "paid_at_home": {"count": 30, "total": 30_000_033}})
    # The report: 3 working days from Tue 10 Mar 16:00 -> Fri 13 Mar 16:00; sent Fri 13 Mar 10:00.
    assert api.task("buudien", d, "report")["due_at"] == iso(2026, 3, 13, 16)
    # The report task shows the fee (commune): 250,000,050 x 1.0 % = 2,500,000.5 -> 2,500,001; cash
    # (120,000,000 + 30,000,033) x 1.9 % = 2,850,000.627 -> 2,850,001; 5,350,002 VND; and what must
    # be left: 420,000,000 - 400,000,083 = 19,999,917.
    data = shown(api, "buudien", d, "report")
    assert (data["service_fee"], data["money_left_expected"]) == (5_350_002, 19_999_917)
    assert [(x["method"], x["rate_permille"], x["fee"]) for x in data["fee_lines"]] == [
        ("electronic", 10, 2_500_001), ("cash", 19, 2_850_001)]
    api.at(at(2026, 3, 13, 10))
    api.complete("buudien", d, "report", {"unpaid": [{"beneficiary": "H'Hen Niê", "amount": 1_000_000},
                                                     {"beneficiary": "Y Bhiông Ktla", "amount": 750_000}],
                                          "money_left": 19_999_917, "documents_reference": "BC-03/2026"})
    v = api.view(d)
    # The report closes the cycle: processed (9) Fri 13 Mar, an earlier day than Fri 20 Mar: early.
    assert (v["status_code"], v["timeliness"], status_codes(v)) == (9, "early", [1, 2, 4, 9])
    assert v["current_tasks"] == []
    steps = {s["element_id"]: s["timeliness"] for s in v["timeline"]}
    assert steps["send_funds"] == "late" and steps["chase_funds"] == "on_time"
    assert (steps["pay"], steps["report"]) == ("early", "on_time")
    # The report timer went with the case: nothing fires on the 20th.
    fire(api, at(2026, 3, 20, 1))
    assert (api.view(d)["status_code"], api.view(d)["current_tasks"]) == (9, [])
    control = api.get("desk", f"/api/dossiers/{d['id']}/records/control?format=json").json
    assert control["timeliness"] == "early" and control["appointment"] == iso(2026, 3, 20, 15, 30)


def test_december_2026_report_due_on_a_sunday_the_calendar_timer_fires_that_sunday(tcxh):
    api = tcxh
    # Opened Mon 23 Nov 2026 09:00 for December (a ward). Appointment, 20 working days, Tue 24 Nov
    # (Ngày Văn hóa Việt Nam, a holiday from 2026) and the weekends skipped: 25-27 Nov (3), 30 Nov -
    # 4 Dec (8), 7-11 (13), 14-18 (18), Mon 21, Tue 22 Dec (20) -> Tue 22 Dec 2026 09:00.
    d = open_cycle(api, at(2026, 11, 23, 9), "2026-12", "ward")
    assert d["code"] == f"{COMMUNE}-261123-0001" and api.view(d)["due_at"] == iso(2026, 12, 22, 9)
    api.at(at(2026, 11, 23, 10))
    api.complete("vhxh", d, "send_funds", {"funds_total": 150_000_000, "beneficiary_count": 300,
                                           "list_reference": "DS-12/2026"})
    fire(api, at(2026, 11, 25, 0, 1))   # sent before the 25th: its timer went with the task
    assert elements(api, d) == ["pay"]
    api.at(at(2026, 12, 11, 10))
    api.complete("buudien", d, "pay", {"paid_by_account": {"count": 200, "total": 100_000_000},
                                       "paid_at_pay_point": {"count": 80, "total": 40_000_000},
                                       "paid_at_home": {"count": 20, "total": 10_000_000}})
    # 20 Dec 2026 is a Sunday. A working-time deadline would wait for Monday; this is a calendar
    # date: the timer fires after Sun 20 Dec 00:00 (not at Sat 23:59, not on Monday).
    fire(api, at(2026, 12, 19, 23, 59))
    assert elements(api, d) == ["report"]
    fire(api, at(2026, 12, 20, 0, 1))  # the first sweep after Sun 20 Dec 00:00
    assert elements(api, d) == ["chase_report", "report"]
    # The head's 4 working hours start Mon 21 Dec 07:00 -> 11:00.
    assert api.task("head", d, "chase_report")["due_at"] == iso(2026, 12, 21, 11)
    api.at(at(2026, 12, 21, 9))
    api.complete("head", d, "chase_report", {"note": "Đã nhắc Bưu điện"})
    # Ward: 100,000,000 x 1.0 % = 1,000,000; (40,000,000 + 10,000,000) x 1.7 % = 850,000; 1,850,000.
    assert shown(api, "buudien", d, "report")["service_fee"] == 1_850_000
    api.at(at(2026, 12, 21, 9, 30))
    api.complete("buudien", d, "report", {"unpaid": [], "money_left": 0, "documents_reference": "BC-12/2026"})
    v = api.view(d)
    assert v["status_code"] == 9
    # The report step: 3 working days from Fri 11 Dec 10:00 -> Wed 16 Dec 10:00; done Mon 21 Dec: late.
    # The case, Mon 21 Dec against Tue 22 Dec 09:00: early (its appointment is in working days).
    steps = {s["element_id"]: s["timeliness"] for s in v["timeline"]}
    assert (steps["report"], v["timeliness"]) == ("late", "early")
