"""Overdue and at-risk dossiers (R-5.3, N-6) for agency heads (their agency) and the control office
(every agency), with open incidents and overdue steps; and officials finding a dossier (R-7.1)."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.services.errors import Forbidden, InvalidInput
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
OTHER_HEAD = Official("other_head", OTHER, frozenset({"agency_head"}))
CONTROL = Official("control", "000.00.00.H00", frozenset({"control_office"}))
AN = Official("an", AGENCY, frozenset({"official"}))
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
OTHER_AN = Official("other_an", OTHER, frozenset({"official"}))


def publish(services, dirs, code, agency, days, lane="official"):
    p = Process("p").start().user("work", lane=lane, hours=4).end().chain("start", "work", "end")
    write_procedure(dirs[0], code, p, agency=agency, statutory_days=days)
    services.procedures.sync()
    services.procedures.publish(code)


@pytest.fixture
def dossiers(services, dirs, clock):
    # All received Thu 26 Nov 2026 09:00.
    publish(services, dirs, "ONE", AGENCY, 1)  # due Fri 27 Nov 09:00
    publish(services, dirs, "TWO", AGENCY, 2)  # due Mon 30 Nov 09:00
    publish(services, dirs, "TEN", AGENCY, 10)  # due Thu 10 Dec 09:00
    publish(services, dirs, "ELSE", OTHER, 1)  # another agency's, due Fri 27 Nov 09:00
    made = {code: services.dossiers.start(code, applicant={"name": f"Người nộp {code}"})
            for code in ("ONE", "TWO", "TEN", "ELSE")}
    with services.ctx.uow() as uow:
        uow.incidents.add(dossier_id=made["ONE"].id, element_id="work", kind="timer", error="boom",
                          occurred_at=clock.now(), attempt=2)
        uow.incidents.add(dossier_id=made["ONE"].id, element_id="work", kind="timer", error="old",
                          occurred_at=clock.now(), attempt=1, resolved_at=clock.now())
        uow.commit()
    return made


def test_heads_see_their_agencys_overdue_and_at_risk_dossiers(services, clock, dossiers):
    # Fri 27 Nov 15:00. ONE is overdue since Fri 09:00: 09:00-11:30 + 13:30-15:00 = 4 working hours.
    # TWO is due Mon 30 Nov 09:00: Fri 15:00-17:00 (2 h) + Mon 07:00-09:00 (2 h) = 4 h left: within 8.
    # TEN is 8 working days away: not at risk.
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=VN))
    w = services.watchlist.late(HEAD)
    assert w.agencies == [AGENCY] and w.within_hours == 8
    assert [(d.code, d.hours_left) for d in w.overdue] == [(dossiers["ONE"].code, -4.0)]
    assert [(d.code, d.hours_left) for d in w.at_risk] == [(dossiers["TWO"].code, 4.0)]
    [incident] = w.overdue[0].incidents  # the open one only
    assert (incident.kind, incident.error, incident.attempt) == ("timer", "boom", 2)
    assert w.overdue[0].applicant_name == "Người nộp ONE" and w.overdue[0].status_code == 4
    # Each step has 4 working hours from Thu 09:00: due Thu 15:00, so all three of the agency are overdue.
    assert sorted(t.dossier_code for t in w.overdue_steps) == sorted(dossiers[c].code for c in ("ONE", "TWO", "TEN"))
    # A narrower horizon: 3 working hours from Fri 15:00 end Mon 08:00, before TWO's due.
    assert services.watchlist.late(HEAD, within_hours=3).at_risk == []
    assert services.watchlist.late(HEAD, within_hours=0).at_risk == []


def test_the_control_office_sees_every_agency_and_others_see_nothing(services, clock, dossiers):
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=VN))
    w = services.watchlist.late(CONTROL)
    assert w.agencies is None
    assert sorted(d.code for d in w.overdue) == sorted([dossiers["ONE"].code, dossiers["ELSE"].code])
    assert [d.code for d in services.watchlist.late(OTHER_HEAD).overdue] == [dossiers["ELSE"].code]
    for user in (AN, DESK):
        with pytest.raises(Forbidden):
            services.watchlist.late(user)
    for bad in (-1, 10**6, True):
        with pytest.raises(InvalidInput):
            services.watchlist.late(HEAD, within_hours=bad)


def test_a_re_appointed_dossier_is_watched_against_its_new_appointment(services, clock, dossiers):
    # N-6: TEN (statutory due Thu 10 Dec 09:00) re-appointed to Fri 11 Dec 17:00. On Fri 11 Dec 10:00
    # it is at risk, not overdue: 10:00-11:30 + 13:30-17:00 = 5 working hours left.
    services.lifecycle.apologize(HEAD, dossiers["TEN"].id, datetime(2026, 12, 11, 17, 0, tzinfo=VN), "xác minh")
    clock.set(datetime(2026, 12, 11, 10, 0, tzinfo=VN))
    w = services.watchlist.late(HEAD)
    [risk] = w.at_risk
    assert (risk.code, risk.reappointed, risk.hours_left) == (dossiers["TEN"].code, True, 5.0)
    assert risk.original_due_at == datetime(2026, 12, 10, 9, 0, tzinfo=VN)
    assert dossiers["TEN"].code not in [d.code for d in w.overdue]


def test_officials_find_dossiers_they_may_see_by_code_or_applicant(services, dossiers):
    # by code prefix, part of the name, or the ID number; visibility as the dossier view.
    one = dossiers["ONE"].code
    assert [d.code for d in services.search.find(AN, code=one)[0]] == [one]
    items, total = services.search.find(AN, applicant="người nộp")
    assert total == 3 and {d.code for d in items} == {dossiers[c].code for c in ("ONE", "TWO", "TEN")}
    assert services.search.find(OTHER_AN, code=one)[1] == 0  # another agency's dossier does not exist
    assert services.search.find(CONTROL, applicant="Người nộp")[1] == 4
    assert services.search.find(AN, status="processing", limit=2)[1] == 3
    assert len(services.search.find(AN, status="processing", limit=2, offset=2)[0]) == 1
    assert services.search.find(AN, status="returned")[1] == 0
    for bad in ({"status": "lost"}, {"limit": 0}, {"offset": -1}):
        with pytest.raises(InvalidInput):
            services.search.find(AN, **bad)
    d = services.dossiers.start("ONE", applicant={"name": "Trần Bình", "id_number": "079123456789"})
    assert [x.code for x in services.search.find(AN, applicant="079123456789")[0]] == [d.code]
    assert services.search.find(AN, applicant="07912345678")[1] == 0  # an ID number matches whole
    # Typed without diacritics or in capitals (SQLite's lower() folds ASCII only): the same name.
    anh = services.dossiers.start("ONE", applicant={"name": "Đặng Thị Ánh"})
    for typed in ("dang thi anh", "ĐẶNG", "Thị Ánh", "  đặng   thị "):
        assert [x.code for x in services.search.find(AN, applicant=typed)[0]] == [anh.code], typed


def test_a_consulted_agencys_late_step_is_watched_by_both_heads(services, dirs, clock, dossiers):
    # the consultation is the other agency's step in our dossier: both heads see it late.
    p = (Process("p").start().user("consult", lane=f"official@{OTHER}", hours=2).end().chain("start", "consult", "end"))
    write_procedure(dirs[0], "CON", p, agency=AGENCY)
    services.procedures.sync()
    services.procedures.publish("CON")
    d = services.dossiers.start("CON")  # Thu 09:00 + 2 working hours: due Thu 11:00
    clock.set(datetime(2026, 11, 26, 14, 0, tzinfo=VN))
    assert d.code in [t.dossier_code for t in services.watchlist.late(HEAD).overdue_steps]
    assert d.code in [t.dossier_code for t in services.watchlist.late(OTHER_HEAD).overdue_steps]
    assert dossiers["ONE"].code not in [t.dossier_code for t in services.watchlist.late(OTHER_HEAD).overdue_steps]


def test_an_agency_that_worked_on_a_dossier_finds_it(services, dirs, dossiers):
    p = (Process("p").start().user("consult", lane=f"official@{OTHER}").end().chain("start", "consult", "end"))
    write_procedure(dirs[0], "CON", p, agency=AGENCY)
    services.procedures.sync()
    services.procedures.publish("CON")
    d = services.dossiers.start("CON", applicant={"name": "Phạm Cường"})
    assert [x.code for x in services.search.find(OTHER_AN, applicant="cường")[0]] == [d.code]
