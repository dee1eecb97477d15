"""processes/LTKS-01, same-level inter-agency routing for a newborn (birth registration, permanent
residence, health-insurance card for a child under 6), end to end through the HTTP API with an
injected clock (issue 11, R-4.4, N-5, N-7).

Lead agency: the commune 000.00.12.H15 (civil status); the commune police 000.00.12.H20 register the
residence; social insurance 000.00.12.H21 issues the card (ids illustrative). Statutory time (Decree
63/2024 Art. 7.2): 3 working days, counted from the next working day when received after 15:00
(procedure.toml statutory_days = 3, cutoff_hour = 15). Step shares: birth registration 8 working
hours, residence 2 working days, card 2 working days, each from when the desk sends the dossier.
Calendar: the shipped one (07:00-11:30, 13:30-17:00, Monday to Friday; Tết 2026: Sat 14 - Sun 22 Feb off)."""
from __future__ import annotations

import pytest

from tests.api.conftest import AGENCY, USERS
from tests.support.shipped import at, iso, shipped_procedure_api, status_codes

CODE = "LTKS-01"
POLICE, INSURANCE = "000.00.12.H20", "000.00.12.H21"
ACCOUNTS = {**USERS, "police": (POLICE, ["official"]), "insurer": (INSURANCE, ["official"])}
CHILD = {"child": {"name": "Nguyễn Minh Khang", "born": "2026-02-10"}}


@pytest.fixture
def api(services, clock):
    return shipped_procedure_api(services, clock, CODE, ACCOUNTS)


def register_and_send(api, received, sent):
    api.at(received)
    r = api.post("desk", "/api/dossiers", {"procedure_code": CODE, "applicant": {"name": "Nguyễn Văn Hùng"},
                                           "data": CHILD})
    assert r.status_code == 201, r.json
    d = r.json
    api.complete("desk", d, "receive", {"outcome": "receive"})
    api.at(sent)
    api.complete("desk", d, "forward")
    return d


def steps(v):
    return {s["element_id"]: (s["agency"], s["due_at"], s["done_at"], s["timeliness"]) for s in v["timeline"]}


def test_sent_to_three_agencies_at_once_across_tet_one_late(api):
    # Fri 13 Feb 2026 16:00 at the desk: after 15:00, so the 3 days count from the next working day:
    # Sat 14 - Sun 22 Feb off -> Mon 23, Tue 24, Wed 25 Feb -> due Wed 25 Feb 17:00.
    d = register_and_send(api, at(2026, 2, 13, 16), at(2026, 2, 13, 16, 10))
    assert d["code"] == "000.00.12.H15-260213-0001"  # N-1
    v = api.view(d)
    assert (v["status_code"], v["started_at"], v["due_at"]) == (4, iso(2026, 2, 23, 7), iso(2026, 2, 25, 17))
    # all three at once, each to its agency with its own deadline, counted from Fri 16:10:
    # birth 8 h = Fri 16:10-17:00 (0:50) + Mon 23 07:00-11:30 (4:30) + 13:30-16:10 (2:40) -> Mon 23 16:10;
    # residence and card 2 working days = the same time two working days on -> Tue 24 Feb 16:10.
    tasks = {t["element_id"]: (t["candidate_agency"], t["due_at"]) for t in v["current_tasks"]}
    assert tasks == {"register_birth": (AGENCY, iso(2026, 2, 23, 16, 10)),
                     "register_residence": (POLICE, iso(2026, 2, 24, 16, 10)),
                     "issue_insurance_card": (INSURANCE, iso(2026, 2, 24, 16, 10))}
    # N-3: paper received after 15:00 is forwarded from the next working day: 8 h from Mon 23 07:00 ->
    # Mon 23 17:00; sent Fri 16:10, an earlier day: early.
    assert steps(v)["forward"][1:] == (iso(2026, 2, 23, 17), iso(2026, 2, 13, 16, 10), "early")

    api.at(at(2026, 2, 23, 10))
    api.complete("an", d, "register_birth", {"birth_certificate_number": "12/2026", "personal_id": "079226000123"})
    api.at(at(2026, 2, 24, 9))
    api.complete("police", d, "register_residence", {"residence_address": "Thôn 3, xã Hòa Phú"})
    v = api.view(d)
    # The dossier waits for the third agency: no result step yet, still in process (4).
    assert ([t["element_id"] for t in v["current_tasks"]], v["status_code"]) == (["issue_insurance_card"], 4)
    api.at(at(2026, 2, 25, 8))  # the card comes a day late
    api.complete("insurer", d, "issue_insurance_card", {"card_number": "TE1797926000123"})
    api.at(at(2026, 2, 25, 9))
    api.complete("desk", d, "result")
    api.at(at(2026, 2, 25, 9, 30))
    api.complete("desk", d, "return_result", {"return_channel": "desk"})
    v = api.view(d)
    s = steps(v)
    # N-5, N-7 per step: birth Mon 23 10:00 on its due day (16:10) -> on time; residence Tue 24 09:00 on
    # its due day -> on time; card Wed 25 08:00 after Tue 24 16:10 -> late, for its own agency.
    assert s["register_birth"] == (AGENCY, iso(2026, 2, 23, 16, 10), iso(2026, 2, 23, 10), "on_time")
    assert s["register_residence"] == (POLICE, iso(2026, 2, 24, 16, 10), iso(2026, 2, 24, 9), "on_time")
    assert s["issue_insurance_card"] == (INSURANCE, iso(2026, 2, 24, 16, 10), iso(2026, 2, 25, 8), "late")
    # The dossier: processed Wed 25 Feb 09:00, its appointment's day (17:00): on time despite the late step.
    assert status_codes(v) == [1, 2, 4, 9, 10]
    assert (v["status_code"], v["outcome"], v["timeliness"], v["result_ready_at"]) == (
        10, "result", "on_time", iso(2026, 2, 25, 9))
    # A receipt and appointment slip was issued at reception (not a result on the spot, R-3.5).
    slip = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=json")
    assert slip.status_code == 200 and slip.json["appointment"] == iso(2026, 2, 25, 17)


def test_received_before_15h_on_a_thursday_crosses_the_weekend(api):
    # Thu 10 Dec 2026 10:00, before 15:00: 3 days -> Fri 11 (1), Mon 14 (2), Tue 15 Dec 10:00 (3).
    d = register_and_send(api, at(2026, 12, 10, 10), at(2026, 12, 10, 11))
    v = api.view(d)
    assert (v["started_at"], v["due_at"]) == (iso(2026, 12, 10, 10), iso(2026, 12, 15, 10))
    # Sent Thu 11:00: birth 8 h = Thu 11:00-11:30 (0.5) + 13:30-17:00 (3.5) + Fri 07:00-11:00 (4) ->
    # Fri 11 Dec 11:00; 2 days -> Mon 14 Dec 11:00 (over the weekend).
    assert {t["element_id"]: t["due_at"] for t in v["current_tasks"]} == {
        "register_birth": iso(2026, 12, 11, 11), "register_residence": iso(2026, 12, 14, 11),
        "issue_insurance_card": iso(2026, 12, 14, 11)}
    api.at(at(2026, 12, 10, 14))
    api.complete("an", d, "register_birth", {"birth_certificate_number": "88/2026", "personal_id": "079226000456"})
    api.complete("police", d, "register_residence", {"residence_address": "Tổ 5, xã Hòa Phú"})
    api.complete("insurer", d, "issue_insurance_card", {"card_number": "TE1797926000456"})
    api.at(at(2026, 12, 11, 8))
    api.complete("desk", d, "result")
    v = api.view(d)
    # Processed Fri 11 Dec, before the appointment's day (Tue 15 Dec): early; every step early too.
    assert (v["status_code"], v["timeliness"]) == (9, "early")
    assert {s["timeliness"] for e, s in ((s["element_id"], s) for s in v["timeline"])
            if e in ("register_birth", "register_residence", "issue_insurance_card")} == {"early"}
