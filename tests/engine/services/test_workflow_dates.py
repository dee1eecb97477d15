"""`started_at` and `due_at` in a running dossier's data (docs/bpmn-conventions.md §4) follow the
dossier's own through the one write path: after a supplement pause (N-4), an apology with a new
appointment (N-6), an online reception (R-3.4) and a calendar change (`timers recalculate`), a
gateway or script reading them decides on the appointment in force, not on registration's."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from tests.conftest import VN
from tests.engine.services.test_timers import SHIPPED
from tests.support.bpmn import Process, publish_procedure

AGENCY = "000.00.12.H15"
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
SUPPLEMENT_FORM = {"type": "object", "required": ["missing", "reason"],
                   "properties": {"missing": {"type": "array", "items": {"type": "string"}},
                                  "reason": {"type": "string"}}}
RECEPTION_FORM = {"type": "object", "required": ["outcome"],
                  "properties": {"outcome": {"enum": ["receive", "guide", "refuse"]}}}
# Thu 26 Nov 2026 09:00 + 5 working days (8 h each: 07:00-11:30, 13:30-17:00): Fri 27, Mon 30,
# Tue 1, Wed 2, Thu 3 Dec -> Thu 3 Dec 09:00, the appointment at registration.
REGISTRATION_DUE = "2026-12-03T09:00:00+07:00"


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


def decides_on_due_at(p: Process, after: str) -> Process:
    """`after` -> a script noting what it read -> a gateway: `extended` when the appointment is
    later than registration's, else `same` (ISO texts in one offset compare as instants)."""
    return (p.script("note", "seen_due_at = due_at\nseen_started_at = started_at")
            .xor("moved", default="f_same").user("extended", lane="official").user("same", lane="official")
            .end("e1").end("e2")
            .chain(after, "note", "moved").flow("moved", "extended", f"due_at > '{REGISTRATION_DUE}'")
            .flow("moved", "same", id="f_same").chain("extended", "e1").chain("same", "e2"))


def complete(services, dossier_id, element, data=None, who="someone"):
    [task] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return services.dossiers.complete_task(task.task_id, data or {}, who)


def what_the_diagram_saw(services, dossier_id):
    view = services.dossiers.get(dossier_id)
    [task] = view.current_tasks
    data = services.dossiers.get_task(task.task_id).data
    assert (data["due_at"], data["started_at"]) == (data["seen_due_at"], data["seen_started_at"])
    return task.element_id, data["seen_started_at"], data["seen_due_at"], view


@pytest.mark.parametrize("by", ["desk action", "message"])
def test_after_a_supplement_pause_the_diagram_reads_the_moved_appointment_n_4(services, dirs, clock, by):
    p = (Process("p").start()
         .user("ask", lane="official", form="supplement.json", props={"lifecycle": "supplement_request"})
         .receive("wait", "supplement_received").chain("start", "ask", "wait"))
    publish_procedure(services, "P", decides_on_due_at(p, "wait"), forms={"supplement.json": SUPPLEMENT_FORM},
                      statutory_days=5)
    d = services.dossiers.start("P")  # Thu 26 Nov 09:00, due Thu 3 Dec 09:00
    assert d.due_at.astimezone(VN).isoformat() == REGISTRATION_DUE
    complete(services, d.id, "ask", {"missing": ["Bản sao CCCD"], "reason": "thiếu giấy tờ"})
    # Paused Thu 26 Nov 09:00 -> Mon 30 Nov 09:00: Thu 6 h, Fri 8 h, Mon 2 h = 16 working hours; the
    # appointment moves by 16 h: Thu 3 Dec 09:00 + (Thu 6, Fri 8, Mon 07:00-09:00 2) -> Mon 7 Dec 09:00.
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=VN))
    if by == "message":  # the message API, as a connected system would send it
        services.messages.deliver(DESK, d.id, "supplement_received", {})
    else:
        services.lifecycle.supplement_received(DESK, d.id)
    element, started, due, view = what_the_diagram_saw(services, d.id)
    assert (element, started, due) == ("extended", "2026-11-26T09:00:00+07:00", "2026-12-07T09:00:00+07:00")
    assert due == view.due_at.astimezone(VN).isoformat()


def test_after_an_apology_the_diagram_reads_the_new_appointment_n_6(services, dirs, clock):
    p = Process("p").start().user("appraise", lane="official").chain("start", "appraise")
    publish_procedure(services, "P", decides_on_due_at(p, "appraise"), statutory_days=5)
    d = services.dossiers.start("P")  # due Thu 3 Dec 09:00
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))  # Tue: more than 1 working day before the due
    services.lifecycle.apologize(HEAD, d.id, datetime(2026, 12, 8, 17, 0, tzinfo=VN), "cần xác minh thực địa")
    complete(services, d.id, "appraise")
    element, started, due, view = what_the_diagram_saw(services, d.id)
    assert (element, started, due) == ("extended", "2026-11-26T09:00:00+07:00", "2026-12-08T17:00:00+07:00")
    assert due == view.due_at.astimezone(VN).isoformat()


def test_after_an_online_reception_the_diagram_reads_the_count_from_reception_r_3_4(services, dirs, clock):
    p = (Process("p").start().user("receive", lane="one_stop_officer", form="reception.json",
                                   lifecycle="reception").chain("start", "receive"))
    publish_procedure(services, "P", decides_on_due_at(p, "receive"), forms={"reception.json": RECEPTION_FORM},
                      statutory_days=5)
    d = services.dossiers.start("P", channel="online")  # submitted Thu 26 Nov 09:00: due Thu 3 Dec 09:00
    assert d.due_at.astimezone(VN).isoformat() == REGISTRATION_DUE
    # Announced valid Fri 27 Nov 10:00: counted from then, 5 working days -> Fri 4 Dec 10:00.
    clock.set(datetime(2026, 11, 27, 10, 0, tzinfo=VN))
    complete(services, d.id, "receive", {"outcome": "receive"})
    element, started, due, view = what_the_diagram_saw(services, d.id)
    assert (element, started, due) == ("extended", "2026-11-27T10:00:00+07:00", "2026-12-04T10:00:00+07:00")
    assert (started, due) == (view.started_at.astimezone(VN).isoformat(), view.due_at.astimezone(VN).isoformat())


def test_after_a_calendar_change_the_diagram_reads_the_recalculated_dates(services, dirs, clock, tmp_path):
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    services.ctx.calendars.__init__(calendar_file)
    p = Process("p").start().user("appraise", lane="official").chain("start", "appraise")
    publish_procedure(services, "P", decides_on_due_at(p, "appraise"), statutory_days=5)
    d = services.dossiers.start("P")  # Thu 26 Nov 09:00, due Thu 3 Dec 09:00
    # Friday 27 November is announced off: Mon 30, Tue 1, Wed 2, Thu 3, Fri 4 -> Fri 4 Dec 09:00.
    with calendar_file.open("a", encoding="utf-8") as f:
        f.write('\n[[days_off]]\ndate = 2026-11-27\nreason = "Nghỉ do tỉnh công bố"\n')
    assert services.timers.recalculate().dossiers_moved == 1
    complete(services, d.id, "appraise")
    element, started, due, view = what_the_diagram_saw(services, d.id)
    assert (element, started, due) == ("extended", "2026-11-26T09:00:00+07:00", "2026-12-04T09:00:00+07:00")
    assert due == view.due_at.astimezone(VN).isoformat()
