"""`motcua timers recalculate` saves each dossier through the one write path (dossier_store.save, with
its compare-and-set on the dossier's version): a change committed between its read and its write
(here an apology with a new appointment, N-6) is never overwritten; the dossier is read again and
recalculated on top of it. A second run moves nothing (idempotent)."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.persistence.repositories import DossierRepository
from engine.persistence.rows import DueBasisRow
from tests.conftest import VN
from tests.engine.services.test_timers import SHIPPED, escalation, publish, timers
from tests.support.bpmn import Process

HEAD = Official("head", "000.00.12.H15", frozenset({"agency_head"}))


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


def day_off(services, tmp_path, day: str):
    """The shipped calendar, with `day` announced off (as the province does)."""
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(SHIPPED.read_text(encoding="utf-8")
                             + f'\n[[days_off]]\ndate = {day}\nreason = "Nghỉ do tỉnh công bố"\n', encoding="utf-8")
    return calendar_file


def recalculated_events(view):
    return [e["detail"] for e in view.events if e["kind"] == "deadlines_recalculated"]


def appointment_only() -> Process:
    """No step deadline, no timer: only the dossier's appointment depends on the calendar."""
    return Process("p").start().user("receive", lane="one_stop_officer").end().chain("start", "receive", "end")


@pytest.mark.parametrize("with_deadlines", [True, False], ids=["step and timer deadlines", "appointment only"])
def test_a_concurrent_apology_is_kept_and_the_rest_recalculated_on_top_of_it(services, dirs, clock, tmp_path,
                                                                             monkeypatch, with_deadlines):
    # "receive": 8 working hours, boundary timer "late" on it; or no deadline of its own
    publish(services, dirs, escalation(8) if with_deadlines else appointment_only())
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=VN))  # Thursday
    d = services.dossiers.start("P")
    # 5 statutory working days from Thu 3 Dec 15:00: Fri 4, Mon 7, Tue 8, Wed 9, Thu 10 -> Thu 10 Dec 15:00;
    # the step and its timer: 8 working hours (Thu 2 h, Fri 07:00-11:30 4.5 h, 13:30-15:00 1.5 h) -> Fri 15:00.
    assert d.due_at == datetime(2026, 12, 10, 15, 0, tzinfo=VN)
    if with_deadlines:
        assert timers(services, d.id)[0].due_at == datetime(2026, 12, 4, 15, 0, tzinfo=VN)

    with services.ctx.uow(write=False) as uow:  # what recalculate reads ...
        stale = uow.dossiers.load(d.id)
    # ... before the head's apology commits: new appointment Wed 16 Dec 17:00 (N-6; a working day
    # and more before Thu 10 Dec 15:00).
    new_due = datetime(2026, 12, 16, 17, 0, tzinfo=VN)
    apologized = services.lifecycle.apologize(HEAD, d.id, new_due, "cần xác minh thực địa")
    assert apologized.version == d.version + 1

    # Friday 4 December is announced off; recalculate works from its stale read the first time.
    services.ctx.calendars.__init__(day_off(services, tmp_path, "2026-12-04"))
    replays = {"load": 1}
    real_load, real_open = DossierRepository.load, DossierRepository.open_with_due_basis

    def load(self, dossier_id=None, code=None):
        if dossier_id == d.id and replays["load"]:
            replays["load"] -= 1
            return stale
        return real_load(self, dossier_id, code)

    monkeypatch.setattr(DossierRepository, "load", load)
    stale_basis = DueBasisRow(stale.id, stale.due_basis, stale.due_at, stale.started_at)
    monkeypatch.setattr(DossierRepository, "open_with_due_basis",
                        lambda self: [stale_basis if r.dossier_id == d.id else r for r in real_open(self)])
    report = services.timers.recalculate()
    monkeypatch.undo()

    view = services.dossiers.get(d.id)
    # The apology stands: the appointment in force is still Wed 16 Dec 17:00 (not the statutory one);
    # the statutory appointment moves a day: Mon 7, Tue 8, Wed 9, Thu 10, Fri 11 -> Fri 11 Dec 15:00.
    assert view.due_at == new_due and view.reappointment["reason"] == "cần xác minh thực địa"
    assert replays["load"] == 0 and report.conflicts == 1  # the stale save was refused, then read again
    assert view.original_due_at == datetime(2026, 12, 11, 15, 0, tzinfo=VN)
    if with_deadlines:
        # The step and its timer: Thu 2 h, (Fri off), Mon 07:00-11:30 4.5 h, 13:30-15:00 1.5 h -> Mon 7 Dec 15:00.
        assert timers(services, d.id)[0].due_at == datetime(2026, 12, 7, 15, 0, tzinfo=VN)
        assert view.current_tasks[0].due_at == datetime(2026, 12, 7, 15, 0, tzinfo=VN)
        assert (report.timers_moved, report.tasks_moved, report.dossiers_moved) == (1, 1, 0)
        assert view.version == apologized.version + 1  # one save on top of the apology's
        [detail] = recalculated_events(view)
        assert set(detail["timers"].values()) == {datetime(2026, 12, 7, 15, 0, tzinfo=VN).isoformat()}
    else:  # nothing of it moves: the appointment in force is the apology's
        assert (report.timers_moved, report.tasks_moved, report.dossiers_moved) == (0, 0, 0)
        assert view.version == apologized.version and recalculated_events(view) == []

    again = services.timers.recalculate()  # idempotent: nothing moves, nothing is written
    assert (again.timers_moved, again.tasks_moved, again.dossiers_moved, again.conflicts) == (0, 0, 0, 0)
    after = services.dossiers.get(d.id)
    assert after.version == view.version and recalculated_events(after) == recalculated_events(view)


def test_a_moved_appointment_is_saved_with_its_event_and_the_workflow_data(services, dirs, clock, tmp_path):
    publish(services, dirs, escalation(8))
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P")  # due Thu 10 Dec 15:00 (above)
    services.ctx.calendars.__init__(day_off(services, tmp_path, "2026-12-04"))
    report = services.timers.recalculate()
    assert (report.timers_moved, report.tasks_moved, report.dossiers_moved, report.conflicts) == (1, 1, 1, 0)
    view = services.dossiers.get(d.id)
    assert view.due_at == datetime(2026, 12, 11, 15, 0, tzinfo=VN) and view.version == d.version + 1
    [detail] = recalculated_events(view)
    assert (detail["due_at"], detail["started_at"]) == ("2026-12-11T15:00:00+07:00", "2026-12-03T15:00:00+07:00")
    data = services.dossiers.get_task(view.current_tasks[0].task_id).data
    assert data["due_at"] == "2026-12-11T15:00:00+07:00"  # the diagram reads the moved appointment
