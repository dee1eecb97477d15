"""The deadline basis value (issue 9): due instants worked out by hand on the shipped calendar.

N-10 hours: 07:00-11:30 and 13:30-17:00 (8 working hours a day), Monday to Friday."""
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import WorkingCalendar
from engine.domain.deadline import DeadlineBasis, DeadlineError, Reappointment, ReappointmentRefused

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.load()


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def test_a_basis_stored_before_pauses_existed_reads_and_writes_back_unchanged():
    # received online Fri 4 Dec 2026 17:30 -> the count starts Mon 7 Dec 07:00;
    # 3 working days = Mon, Tue, Wed used up -> Wed 9 Dec 17:00 (appointment arithmetic).
    stored = {"from": "2026-12-04T17:30:00+07:00", "working_days": 3}
    basis = DeadlineBasis.from_json(stored)
    assert basis.started(CAL) == at(2026, 12, 7, 7)
    assert basis.due(CAL) == at(2026, 12, 9, 17)
    assert basis.to_json() == stored
    # 8 working hours from Thu 26 Nov 15:00 = Thu 15-17 (2) + Fri 07-11:30 (4.5) + 13:30-15 (1.5).
    hours = DeadlineBasis.from_json({"from": "2026-11-26T15:00:00+07:00", "working_hours": 8})
    assert hours.due(CAL) == at(2026, 11, 27, 15)


def test_crossing_tet_2026():
    # N-10: Thu 12 Feb 2026 07:00 + 3 days: Thu 12, Fri 13, (Tết 14-22 Feb off), Mon 23 Feb.
    assert DeadlineBasis(at(2026, 2, 12, 7), working_days=3).due(CAL) == at(2026, 2, 23, 17)


def test_pauses_are_not_counted_and_round_trip():
    # N-4: Tue 1 Dec 2026 07:00 + 3 days is Thu 3 Dec 17:00; with Wed 2 Dec paused all day the
    # count uses Tue, Thu and Fri -> Fri 4 Dec 17:00 (moved by exactly the 8 paused hours).
    plain = DeadlineBasis(at(2026, 12, 1, 7), working_days=3)
    paused = DeadlineBasis(at(2026, 12, 1, 7), working_days=3, pauses=[(at(2026, 12, 2, 7), at(2026, 12, 2, 17))])
    assert plain.due(CAL) == at(2026, 12, 3, 17)
    assert paused.due(CAL) == at(2026, 12, 4, 17)
    assert paused.to_json()["pauses"] == [["2026-12-02T07:00:00+07:00", "2026-12-02T17:00:00+07:00"]]
    assert DeadlineBasis.from_json(paused.to_json()) == paused
    # In hours: Mon 7 Dec 07:00 + 10 h paused Mon 13:30 - Tue 09:00 (3.5 + 2 = 5.5 h):
    # Mon 07:00-11:30 (4.5), Tue 09:00-11:30 (2.5 -> 7), Tue 13:30-16:30 (3 -> 10) -> Tue 16:30.
    h = DeadlineBasis(at(2026, 12, 7, 7), working_hours=10, pauses=((at(2026, 12, 7, 13, 30), at(2026, 12, 8, 9)),))
    assert h.due(CAL) == at(2026, 12, 8, 16, 30)


def test_one_reappointment_then_refused():
    # N-6: due Thu 3 Dec 2026 17:00 (Tue 1 Dec 07:00 + 3 days). Asked Tue 1 Dec 16:00: + 1 working
    # day = Wed 2 Dec 16:00, not after the due instant, so in time.
    basis = DeadlineBasis(at(2026, 12, 1, 7), working_days=3)
    moved = basis.reappoint(CAL, at(2026, 12, 8, 17), "  chờ ý kiến cơ quan phối hợp ", at(2026, 12, 1, 16))
    assert moved.reappointment == Reappointment(at(2026, 12, 8, 17), "chờ ý kiến cơ quan phối hợp", at(2026, 12, 1, 16))
    assert moved.due(CAL) == at(2026, 12, 8, 17)
    assert moved.statutory_due(CAL) == at(2026, 12, 3, 17)  # the original appointment stays known
    assert DeadlineBasis.from_json(moved.to_json()) == moved
    with pytest.raises(ReappointmentRefused, match="only once"):
        moved.reappoint(CAL, at(2026, 12, 10, 17), "again", at(2026, 12, 2, 9))


def test_reappointment_must_come_a_working_day_early_and_move_the_date_later():
    basis = DeadlineBasis(at(2026, 12, 1, 7), working_days=3)  # due Thu 3 Dec 17:00
    # Wed 2 Dec 17:00 + 1 day = Thu 3 Dec 17:00: exactly 1 working day before, accepted.
    assert basis.reappoint(CAL, at(2026, 12, 8, 17), "r", at(2026, 12, 2, 17)).reappointment is not None
    # Thu 3 Dec 09:00 + 1 day = Fri 4 Dec 09:00, past the due instant: refused, naming it.
    with pytest.raises(ReappointmentRefused, match="2026-12-03T17:00:00"):
        basis.reappoint(CAL, at(2026, 12, 8, 17), "r", at(2026, 12, 3, 9))
    with pytest.raises(ReappointmentRefused, match="later than the current"):
        basis.reappoint(CAL, at(2026, 12, 3, 17), "r", at(2026, 12, 1, 9))
    with pytest.raises(ReappointmentRefused, match="reason"):
        basis.reappoint(CAL, at(2026, 12, 8, 17), "  ", at(2026, 12, 1, 9))


@pytest.mark.parametrize("kwargs, problem", [
    ({"working_hours": 8, "working_days": 1}, "exactly one"),
    ({}, "exactly one"),
    ({"working_hours": -1}, "working_hours"),
    ({"working_hours": float("nan")}, "working_hours"),
    ({"working_hours": True}, "working_hours"),
    ({"working_days": 1.5}, "working_days"),
    ({"working_days": 1, "pauses": [(at(2026, 12, 2, 9), at(2026, 12, 2, 8))]}, "ends before it starts"),
])
def test_bad_bases_are_refused(kwargs, problem):
    with pytest.raises(DeadlineError, match=problem):
        DeadlineBasis(at(2026, 12, 1, 7), **kwargs)


@pytest.mark.parametrize("data, problem", [
    ({"working_days": 1}, "'from'"),
    ([], "'from'"),
    ({"from": "yesterday", "working_days": 1}, "not an ISO"),
    ({"from": "2026-12-01T07:00", "working_days": 1}, "no offset"),
    ({"from": "2026-12-01T07:00+07:00", "working_days": 1, "pauses": ["x"]}, "pairs"),
    ({"from": "2026-12-01T07:00+07:00", "working_days": 1, "reappointment": {"due": "x"}}, "reappointment"),
])
def test_bad_json_is_refused_naming_the_key(data, problem):
    with pytest.raises(DeadlineError, match=problem):
        DeadlineBasis.from_json(data)


def test_whole_days_read_back_as_float_stay_days():
    assert DeadlineBasis.from_json({"from": "2026-12-01T07:00+07:00", "working_days": 3.0}).working_days == 3


# ---------------------------------------------------------------- a cut-off hour (issue 11)

@pytest.mark.parametrize("received, started, due", [
    # Decree 23/2015 Art. 7.1 (certification, 0 days): the same working day, by its end...
    (at(2026, 2, 12, 10), at(2026, 2, 12, 10), at(2026, 2, 12, 17)),
    # ...received exactly at 15:00 is not after it: still Thu 12 Feb, by 17:00.
    (at(2026, 2, 12, 15), at(2026, 2, 12, 15), at(2026, 2, 12, 17)),
    # ...after 15:00: the next working day. Fri 13 Feb 15:30 -> Sat 14 - Sun 22 Feb off (weekend,
    # Tết 16-20 Feb, weekend) -> the count starts Mon 23 Feb 07:00 and ends that day at 17:00.
    (at(2026, 2, 13, 15, 30), at(2026, 2, 23, 7), at(2026, 2, 23, 17)),
    # A Saturday morning (before 15:00 but no working day): the next working time, Mon 7 Dec 2026.
    (at(2026, 12, 5, 9), at(2026, 12, 7, 7), at(2026, 12, 7, 17)),
])
def test_a_cutoff_hour_with_zero_days_is_the_same_or_the_next_working_day(received, started, due):
    basis = DeadlineBasis(received, working_days=0, cutoff_hour=15)
    assert (basis.started(CAL), basis.due(CAL)) == (started, due)
    assert DeadlineBasis.from_json(basis.to_json()) == basis and basis.to_json()["cutoff_hour"] == 15


def test_a_cutoff_hour_moves_a_count_of_days_to_the_next_working_day():
    # Decree 63/2024 Art. 7.2 (newborn routing, 3 days): Thu 12 Feb 2026 16:00 is after 15:00, so the
    # count starts Fri 13 Feb 07:00: Fri 13, (Tết), Mon 23, Tue 24 -> Tue 24 Feb 17:00. Without the
    # cut-off it would count 24 h from Thu 16:00: Thu 16-17 (1) + Fri (8) + Mon (8) = 17, Tue 07:00-11:30
    # (4.5) + 13:30-16:00 (2.5) = 24 -> Tue 24 Feb 16:00.
    assert DeadlineBasis(at(2026, 2, 12, 16), working_days=3, cutoff_hour=15).due(CAL) == at(2026, 2, 24, 17)
    assert DeadlineBasis(at(2026, 2, 12, 16), working_days=3).due(CAL) == at(2026, 2, 24, 16)
    # Before the cut-off nothing changes: Thu 12 Feb 10:00 + 3 days -> Tue 24 Feb 10:00.
    assert DeadlineBasis(at(2026, 2, 12, 10), working_days=3, cutoff_hour=15).due(CAL) == at(2026, 2, 24, 10)


def test_a_cutoff_hour_pause_moves_the_same_day_appointment():
    # N-4 with 0 days: Tue 1 Dec 2026 09:00, due 17:00; paused 10:00-11:00 (1 h) -> Wed 2 Dec 07:00 + 1 h
    # -> 08:00 (17:00 plus one working hour crosses the night).
    basis = DeadlineBasis(at(2026, 12, 1, 9), working_days=0, cutoff_hour=15,
                          pauses=((at(2026, 12, 1, 10), at(2026, 12, 1, 11)),))
    assert basis.due(CAL) == at(2026, 12, 2, 8)


@pytest.mark.parametrize("bad", [24, -1, 1.5, True, "15"])
def test_a_cutoff_hour_is_a_whole_hour(bad):
    with pytest.raises(DeadlineError, match="cutoff_hour"):
        DeadlineBasis(at(2026, 12, 1, 9), working_days=0, cutoff_hour=bad)


@pytest.mark.parametrize("asked, named", [
    (at(2026, 12, 6, 10), at(2026, 12, 4, 17)),  # Sunday 10:00: no work since Friday 17:00
    (at(2026, 12, 7, 7), at(2026, 12, 4, 17)),  # Monday 07:00 ends nothing new: Friday 17:00
    (at(2026, 12, 7, 12), at(2026, 12, 7, 11, 30)),  # Monday lunch: the morning's end
    (at(2026, 12, 7, 23, 59), at(2026, 12, 7, 17)),  # Monday night: the day's end
    (at(2026, 12, 7, 9, 15), at(2026, 12, 7, 9, 15)),  # a working instant stays as asked
])
def test_a_new_appointment_is_named_as_the_working_instant_it_is(asked, named):
    # N-6 with the appointment arithmetic (issue 9): the same instant is never named two ways. An
    # apology's new appointment outside working hours named a day the desk is closed on the slip
    # (Sunday 6 Dec); it is the working instant it stands for: the end of the working time before it.
    # The dossier was received Thu 26 Nov 09:00 with 5 working days: due Thu 3 Dec 09:00.
    basis = DeadlineBasis(at(2026, 11, 26, 9), working_days=5)
    moved = basis.reappoint(CAL, asked, "chờ ý kiến", at(2026, 12, 1, 9))
    assert moved.due(CAL) == named and moved.reappointment.due == named


def test_a_new_appointment_that_is_the_same_working_instant_is_not_later():
    # Counted from Thu 26 Nov 17:00 (the end of a working period, a working instant), 6 working days
    # end at the same position Fri 4 Dec 17:00. Saturday 5 Dec 10:00 is that same working instant,
    # so it does not move the appointment: refused as not later (N-6).
    basis = DeadlineBasis(at(2026, 11, 26, 17), working_days=6)
    assert basis.due(CAL) == at(2026, 12, 4, 17)
    with pytest.raises(ReappointmentRefused, match="later than the current one"):
        basis.reappoint(CAL, at(2026, 12, 5, 10), "x", at(2026, 12, 1, 9))


def test_a_pause_after_the_reappointment_moves_the_new_appointment_too():
    # N-4: while the applicant supplements, the appointment in force moves by exactly the paused
    # working time; after an apology (N-6) the appointment in force is the new one. Due Thu 3 Dec
    # 17:00 (Tue 1 Dec 07:00 + 3 days), re-appointed on Tue 1 Dec 16:00 to Tue 8 Dec 17:00; the
    # applicant then holds the dossier Wed 2 Dec 09:00 -> Thu 3 Dec 09:00 (8 working hours paused):
    # the new appointment moves 8 working hours on, to Wed 9 Dec 17:00; the statutory one to Fri 4 Dec 17:00.
    basis = DeadlineBasis(at(2026, 12, 1, 7), working_days=3)
    moved = basis.reappoint(CAL, at(2026, 12, 8, 17), "chờ ý kiến", at(2026, 12, 1, 16))
    paused = replace(moved, pauses=((at(2026, 12, 2, 9), at(2026, 12, 3, 9)),))
    assert paused.statutory_due(CAL) == at(2026, 12, 4, 17)
    assert paused.due(CAL) == at(2026, 12, 9, 17)
    assert DeadlineBasis.from_json(paused.to_json()).due(CAL) == at(2026, 12, 9, 17)
    # A pause that ended before the apology was known when the new date was chosen: it does not move it.
    before = replace(DeadlineBasis(at(2026, 12, 1, 7), working_days=3,
                                   pauses=((at(2026, 12, 1, 8), at(2026, 12, 1, 9)),)), reappointment=None)
    chosen = before.reappoint(CAL, at(2026, 12, 8, 17), "chờ", at(2026, 12, 1, 16))
    assert chosen.due(CAL) == at(2026, 12, 8, 17)


def test_a_new_appointment_beyond_the_calendars_years_is_refused():
    # The calendar counts 1900-2400: a new appointment in 8999 was accepted, then every list that
    # counts working hours to it (late dossiers, GET /api/dossiers/late) failed with a 500.
    basis = DeadlineBasis(at(2026, 11, 26, 9), working_days=5)
    with pytest.raises(ReappointmentRefused, match="cannot be counted"):
        basis.reappoint(CAL, datetime(8999, 12, 31, 17, tzinfo=VN), "x", at(2026, 12, 1, 9))
