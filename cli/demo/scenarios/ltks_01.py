"""processes/LTKS-01 (same-level routing for a newborn: birth registration, permanent residence,
health-insurance card for a child under 6) across Tết 2026: one dossier, three agencies at once.

3 working days counted from the next working day when received after 15:00 (Decree 63/2024 Art.
7.2: procedure.toml statutory_days = 3, cutoff_hour = 15). The desk sends the dossier at once to the
commune's civil-status official (8 working hours), the commune police 000.00.12.H20 (2 working days)
and social insurance 000.00.12.H21 (2 working days) (R-4.4, N-5); it is processed when all three
have returned; the card comes a day late, so that step is late for its agency (N-7).

Hand-worked instants (calendar: 07:00-11:30, 13:30-17:00 Monday-Friday; Sat 14 - Sun 22 Feb off):
- registered Fri 13 Feb 15:30 (after 15:00): Mon 23, Tue 24, Wed 25 -> due Wed 25 Feb 17:00.
- sent Fri 15:45: birth 8 h = Fri 15:45-17:00 (1.25) + Mon 23 07:00-11:30 (4.5) + 13:30-15:45 (2.25)
  -> Mon 23 Feb 15:45; residence and card 2 working days -> Tue 24 Feb 15:45.
- birth Mon 23 10:00 and residence Tue 24 09:00: on time; card Wed 25 08:00: late; the dossier
  processed Wed 25 09:00, on the appointment's day: on time.
"""
from __future__ import annotations

from cli.demo.driver import Demo

POLICE, INSURANCE = "000.00.12.H20", "000.00.12.H21"  # the lanes of LTKS-01.bpmn (illustrative ids)


def run(demo: Demo) -> None:
    d = demo.register({"name": "Nguyễn Văn Hùng", "id_number": "066088001111", "phone": "0912345678"},
                      data={"child": {"name": "Nguyễn Minh Khang", "born": "2026-02-10"}})
    demo.say(f"{d.code}: newborn routing registered at the desk (status {d.status_code})")
    demo.advance(minutes=5)
    demo.complete(d, "receive", {"outcome": "receive"})
    demo.say(f"received, appointment {demo.when(demo.view(d).due_at)} (3 days from the next working day)")
    demo.advance(minutes=10)
    demo.complete(d, "forward")
    due = {t.element_id: demo.when(t.due_at) for t in demo.view(d).current_tasks}
    demo.say(f"sent at once to three agencies: {due}")

    # Tết: Monday 16 to Friday 20 February are off; work resumes Monday 23.
    demo.advance_to(demo.at(2026, 2, 23, 10, 0))
    demo.complete(d, "register_birth", {"birth_certificate_number": "12/2026", "personal_id": "066226000123"})
    demo.say("birth registered by the commune's civil-status official")
    demo.advance_to(demo.at(2026, 2, 24, 9, 0))
    demo.complete(d, "register_residence", {"residence_address": "Thôn 3, xã Hòa Phú"}, agency=POLICE)
    demo.say("permanent residence registered by the commune police; waiting for social insurance")
    demo.advance_to(demo.at(2026, 2, 25, 8, 0))
    demo.complete(d, "issue_insurance_card", {"card_number": "TE1666626000123"}, agency=INSURANCE)
    demo.say("health-insurance card issued, a day after its deadline")
    demo.advance_to(demo.at(2026, 2, 25, 9, 0))
    demo.complete(d, "result")
    demo.advance(minutes=30)
    demo.complete(d, "return_result", {"return_channel": "desk"})
    demo.say(f"the three results returned at the desk, status {demo.view(d).status_code}")
