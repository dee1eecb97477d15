"""`motcua timers recalculate` in batches (engine/services/recalculation.py, issue 15): several dossiers
per transaction, yet each saved through the one write path with its compare-and-set and one
deadlines_recalculated event; a batch is all or nothing, so a run interrupted half way leaves whole
dossiers moved and a second run moves exactly the rest; a dossier that cannot be saved is reported
and stops no one."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.persistence.repositories import DossierRepository
from engine.services import recalculation
from tests.conftest import VN
from tests.engine.services.test_recalculate import day_off, recalculated_events
from tests.engine.services.test_timers import escalation, publish, timers

HEAD = Official("head", "000.00.12.H15", frozenset({"agency_head"}))
# Started Thursday 3 Dec 2026 15:00: appointment 5 working days later, Thu 10 Dec 15:00; the step and
# its timer 8 working hours later, Fri 4 Dec 15:00 (worked out in test_recalculate.py). With Friday
# 4 Dec announced off: the appointment Fri 11 Dec 15:00, the step and timer Mon 7 Dec 15:00.
MOVED_DUE = datetime(2026, 12, 11, 15, 0, tzinfo=VN)
MOVED_STEP = datetime(2026, 12, 7, 15, 0, tzinfo=VN)


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


@pytest.fixture
def five(services, dirs, clock, tmp_path):
    """Five dossiers whose appointment, step and timer Friday 4 Dec's announcement moves."""
    publish(services, dirs, escalation(8))
    clock.set(datetime(2026, 12, 3, 15, 0, tzinfo=VN))
    started = [services.dossiers.start("P") for _ in range(5)]
    services.ctx.calendars.__init__(day_off(services, tmp_path, "2026-12-04"))
    return started


def moved_once(services, d):
    view = services.dossiers.get(d.id)
    return (view.due_at == MOVED_DUE and timers(services, d.id)[0].due_at == MOVED_STEP
            and view.current_tasks[0].due_at == MOVED_STEP and len(recalculated_events(view)) == 1
            and view.version == d.version + 1)


def unmoved(services, d):
    view = services.dossiers.get(d.id)
    return view.due_at == d.due_at and view.version == d.version and recalculated_events(view) == []


def test_batches_move_every_dossier_once_with_its_event_and_report_progress(services, five):
    seen = []
    report = services.timers.recalculate(batch=2, progress=lambda r: seen.append((r.done, r.candidates, r.saved)))
    assert (report.dossiers_moved, report.tasks_moved, report.timers_moved, report.saved) == (5, 5, 5, 5)
    assert seen == [(0, 5, 0), (2, 5, 2), (4, 5, 4), (5, 5, 5)]  # batches of 2, 2 and 1
    assert all(moved_once(services, d) for d in five)
    again = services.timers.recalculate(batch=2)
    assert (again.candidates, again.saved) == (0, 0)


def test_a_concurrent_change_in_a_batch_rolls_it_back_and_each_dossier_is_redone_once(services, five, monkeypatch):
    # The second dossier's apology commits after the batch read it: its save is refused; the
    # batch's first dossier, already saved in the same transaction, must not be saved twice.
    target = five[1]
    with services.ctx.uow(write=False) as uow:
        stale = uow.dossiers.load(target.id)
    new_due = datetime(2026, 12, 16, 17, 0, tzinfo=VN)  # N-6: a new appointment, a working day ahead
    services.lifecycle.apologize(HEAD, target.id, new_due, "cần xác minh thực địa")
    replays = {"load": 1}
    real_load = DossierRepository.load

    def load(self, dossier_id=None, code=None):
        if dossier_id == target.id and replays["load"]:
            replays["load"] -= 1
            return stale
        return real_load(self, dossier_id, code)

    monkeypatch.setattr(DossierRepository, "load", load)
    report = services.timers.recalculate(batch=3)
    assert report.conflicts == 1 and replays["load"] == 0 and report.saved == 5 and report.failed == []
    assert all(moved_once(services, d) for d in five if d is not target)
    view = services.dossiers.get(target.id)
    # the apology stands; its step and timer moved on top of it, in one save with one event
    assert view.due_at == new_due and timers(services, target.id)[0].due_at == MOVED_STEP
    assert len(recalculated_events(view)) == 1 and view.version == target.version + 2


def test_a_run_interrupted_half_way_leaves_whole_batches_and_a_second_run_moves_exactly_the_rest(
        services, five, monkeypatch):
    real_move, calls = recalculation._move, {"n": 0}

    def dies_on_the_fourth(ctx, uow, dossier_id, now):
        calls["n"] += 1
        if calls["n"] == 4:  # in the second batch, after its first dossier was saved (not committed)
            raise KeyboardInterrupt
        return real_move(ctx, uow, dossier_id, now)

    monkeypatch.setattr(recalculation, "_move", dies_on_the_fourth)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        services.timers.recalculate(batch=2, progress=lambda r: seen.append((r.done, r.saved)))
    assert seen[-1] == (2, 2)  # what an operator was last told: 2 done, 2 saved
    assert [moved_once(services, d) for d in five] == [True, True, False, False, False]
    assert all(unmoved(services, d) for d in five[2:])  # the interrupted batch left nothing behind
    monkeypatch.undo()

    report = services.timers.recalculate(batch=2)
    assert (report.candidates, report.saved, report.dossiers_moved) == (3, 3, 3)
    assert all(moved_once(services, d) for d in five)


def test_a_dossier_that_cannot_be_saved_is_reported_and_the_others_move(services, five, monkeypatch):
    real_move, broken = recalculation._move, five[2].id

    def move(ctx, uow, dossier_id, now):
        if dossier_id == broken:
            raise RuntimeError("state unreadable")
        return real_move(ctx, uow, dossier_id, now)

    monkeypatch.setattr(recalculation, "_move", move)
    report = services.timers.recalculate(batch=5)
    assert report.failed == [(broken, "RuntimeError: state unreadable")] and report.saved == 4
    assert all(moved_once(services, d) for d in five if d.id != broken)
    assert unmoved(services, five[2])
    monkeypatch.undo()
    report = services.timers.recalculate()  # after the fault is fixed: that one alone
    assert (report.candidates, report.saved, report.failed) == (1, 1, [])
    assert all(moved_once(services, d) for d in five)


def test_a_timer_held_by_a_supplement_pause_is_compared_but_nothing_is_saved(services, dirs, clock):
    # N-4: the held timer differs from its basis, so the dossier is a candidate; save would hold it
    # again, so nothing moves: no save (the batch cannot take one back), no event, same version.
    from tests.engine.services.test_lifecycle import SUPPLEMENT_FORM, complete, consult_while_supplementing
    from tests.support.bpmn import publish_procedure
    publish_procedure(services, "P", consult_while_supplementing(), forms={"supplement.json": SUPPLEMENT_FORM},
                      statutory_days=5)
    d = services.dossiers.start("P")
    clock.set(datetime(2026, 11, 26, 10, 0, tzinfo=VN))
    complete(services, d.id, "ask", {"missing": ["Bản sao CCCD"], "reason": "thiếu giấy tờ"})
    paused = services.dossiers.get(d.id)
    report = services.timers.recalculate(batch=5)
    assert (report.candidates, report.saved, report.timers_moved) == (1, 0, 0)
    view = services.dossiers.get(d.id)
    assert view.version == paused.version and recalculated_events(view) == []
