"""Incidents for operators: one line per failing step, retry now through the sweep's own path,
resolve with a note; an agency administrator sees its own agency's (R-8.3, R-9.1)."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessFailure
from engine.services.incidents import parse_age
from engine.services.timers import backoff
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

H15, H20 = "000.00.12.H15", "000.00.12.H20"
ROOT = Official("cli:root", "", frozenset({"admin"}))
QT15 = Official("qt15", H15, frozenset({"agency_admin"}))
QT20 = Official("qt20", H20, frozenset({"agency_admin"}))
AN = Official("an", H15, frozenset({"official"}))


def fails_until(instant: str) -> Process:
    """A timer 1 working hour after receipt, then a script that divides by zero before `instant`
    (the operator's fix arriving is modelled by time passing)."""
    return (Process("p").start().timer("wait", "deadline(working_hours=1)")
            .script("boom", f"x = 1 / (1 if now() >= '{instant}' else 0)").user("next", lane="official").end()
            .chain("start", "wait", "boom", "next", "end"))


def publish(services, dirs, process, code, agency=H15):
    write_procedure(dirs[0], code, process, agency=agency)
    services.procedures.sync()
    services.procedures.publish(code)


@pytest.fixture
def failing(services, dirs, clock):
    """Dossiers A (H15) and B (H20) received at 09:00, their timers due at 10:00 (1 working hour);
    the sweep at 10:30 and 10:31 fails both; their step can go through from 10:32."""
    publish(services, dirs, fails_until("2026-11-26T10:32"), "A")
    publish(services, dirs, fails_until("2026-11-26T10:32"), "B", agency=H20)
    a, b = services.dossiers.start("A"), services.dossiers.start("B")
    clock.set(datetime(2026, 11, 26, 10, 30, tzinfo=VN))
    assert sorted(services.timers.fire_due().failed) == sorted([a.code, b.code])
    clock.advance(backoff(1))
    assert sorted(services.timers.fire_due().failed) == sorted([a.code, b.code])  # next attempt 10:33
    return a, b


def other_problems(services, dossier_id, n):
    """`n` open task problems of other steps in the dossier, older than its timer's (09:00)."""
    with services.ctx.uow() as uow:
        for i in range(n):
            uow.incidents.add(dossier_id=dossier_id, element_id=f"step-{i}", kind="task", error="boom",
                              occurred_at=datetime(2026, 11, 26, 9, 0, tzinfo=VN), attempt=1)
        uow.commit()


def audit(services):
    with services.ctx.uow(write=False) as uow:
        return uow.audit.recent(1)[0]


def test_one_line_per_failing_step_with_its_first_occurrence_and_next_retry(services, failing, clock):
    a, b = failing
    items, total = services.incidents.list(ROOT)
    assert total == 2 and [i.dossier_code for i in items] == [a.code, b.code]
    first = items[0]
    assert (first.kind, first.element_id, first.attempt) == ("timer", "boom", 2)
    assert first.since == datetime(2026, 11, 26, 10, 30, tzinfo=VN)  # the first attempt, not the latest
    assert first.occurred_at == clock.now() and "ZeroDivisionError" in first.error
    assert first.next_retry_at == clock.now() + backoff(2)
    detail = services.incidents.show(ROOT, first.id)
    assert [x.attempt for x in detail.attempts] == [1, 2]
    assert [(t.element_id, t.attempts) for t in detail.timers] == [("wait", 2)]
    assert detail.dossier_status == a.status


def test_filters_by_agency_procedure_and_age(services, failing, clock):
    a, b = failing
    assert [i.dossier_code for i in services.incidents.list(ROOT, agency=H20)[0]] == [b.code]
    assert [i.dossier_code for i in services.incidents.list(ROOT, procedure="A")[0]] == [a.code]
    assert services.incidents.list(ROOT, older_than=parse_age("1m"))[1] == 2  # open since 10:30, now 10:31
    assert services.incidents.list(ROOT, older_than=parse_age("2m"))[1] == 0
    with pytest.raises(InvalidInput) as err:
        parse_age("two hours")
    assert err.value.problems[0][0] == "older_than"


def test_an_agency_administrator_sees_its_own_agencys_incidents_only(services, failing):
    a, b = failing
    assert [i.dossier_code for i in services.incidents.list(QT15)[0]] == [a.code]
    b_id = services.incidents.list(QT20)[0][0].id
    with pytest.raises(NotFound):
        services.incidents.show(QT15, b_id)
    with pytest.raises(NotFound):
        services.incidents.retry(QT15, b_id)
    with pytest.raises(Forbidden):
        services.incidents.list(QT15, agency=H20)
    with pytest.raises(Forbidden):
        services.incidents.list(AN)


def test_retry_now_fires_the_timer_before_its_backoff_through_the_sweeps_path(services, failing, clock):
    a, _ = failing
    clock.set(datetime(2026, 11, 26, 10, 32, tzinfo=VN))
    [item] = services.incidents.list(ROOT, procedure="A")[0]
    assert item.next_retry_at > clock.now() and services.timers.fire_due().fired == []  # the sweep waits
    result = services.incidents.retry(ROOT, item.id, "r-1")
    assert (result.outcome, result.incident) == ("fired", None)
    view = services.dossiers.get(a.id)
    assert [t.element_id for t in view.current_tasks] == ["next"]
    assert all(i["resolved_at"] is not None for i in view.incidents)
    assert services.incidents.list(ROOT, procedure="A")[1] == 0
    record = audit(services)
    assert (record.actor, record.action, record.target, record.request_id) == (
        "cli:root", "incident.retry", f"incidents/{item.id}", "r-1")
    with pytest.raises(Conflict, match="resolved already"):
        services.incidents.retry(ROOT, item.id)


def test_a_retry_that_fails_again_is_one_more_attempt(services, failing, clock):
    clock.set(datetime(2026, 11, 26, 10, 31, 30, tzinfo=VN))  # before 10:32: the step still fails
    [item] = services.incidents.list(ROOT, procedure="A")[0]
    result = services.incidents.retry(ROOT, item.id)
    assert result.outcome == "failed"
    assert (result.incident.attempt, result.incident.next_retry_at) == (3, clock.now() + backoff(3))
    assert services.incidents.list(ROOT, procedure="A")[1] == 1  # still one line


def test_resolve_closes_every_attempt_with_who_and_why(services, failing, clock):
    _, b = failing
    [item] = services.incidents.list(ROOT, agency=H20)[0]
    with pytest.raises(InvalidInput) as err:
        services.incidents.resolve(QT20, item.id, "  ")
    assert err.value.problems[0][0] == "note"
    resolved = services.incidents.resolve(QT20, item.id, "dữ liệu đã sửa tay", "r-2")
    assert (resolved.resolved_at, resolved.resolved_by, resolved.note) == (clock.now(), "qt20", "dữ liệu đã sửa tay")
    assert [a.resolved_at for a in services.incidents.show(ROOT, item.id).attempts] == [clock.now()] * 2
    assert services.incidents.list(ROOT, agency=H20)[1] == 0
    assert services.dossiers.get(b.id).incidents[-1]["id"] == item.id  # visible on its dossier, closed
    record = audit(services)
    assert (record.actor, record.action, record.detail["note"]) == ("qt20", "incident.resolve", "dữ liệu đã sửa tay")
    with pytest.raises(Conflict):
        services.incidents.resolve(QT20, item.id, "again")


def test_a_task_incident_is_retried_by_the_official_not_by_the_operator(services, dirs):
    failing_after_task = (Process("p").start().user("receive", lane="official").script("boom", "x = 1 / 0").end()
                          .chain("start", "receive", "boom", "end"))
    publish(services, dirs, failing_after_task, "T")
    services.accounts.add("an", H15, ["official"], password="mật-khẩu-đủ-dài-1")
    d = services.dossiers.start("T")
    with pytest.raises(ProcessFailure):
        services.tasks.complete(AN, d.current_tasks[0].task_id, {})
    [item] = services.incidents.list(ROOT)[0]
    assert (item.kind, item.element_id, item.next_retry_at) == ("task", "boom", None)
    with pytest.raises(Conflict, match="doing the action again"):
        services.incidents.retry(ROOT, item.id)


def test_open_incidents_by_dossier_for_the_overdue_lists(services, failing):
    a, b = failing
    found = services.incidents.open_by_dossier([a.id, b.id, 999])
    assert sorted(found) == [a.id, b.id] and [i.attempt for i in found[a.id]] == [2]
    assert services.incidents.open_by_dossier([]) == {}


def test_every_open_problem_of_a_dossier_reaches_the_lists(services, failing):
    a, _ = failing
    other_problems(services, a.id, 110)  # with the timer's, 111: past the guessed cap of 10 × 1 + 100
    assert len(services.incidents.open_by_dossier([a.id])[a.id]) == 111


def test_a_failed_retry_reports_its_problem_among_many_older_ones(services, failing, clock):
    # The retried timer's problem is picked from the dossier's open problems: 50 older ones of other
    # steps used to fill the first (and only) page read, so the retry reported no open problem.
    a, _ = failing
    other_problems(services, a.id, 50)
    clock.set(datetime(2026, 11, 26, 10, 31, 30, tzinfo=VN))  # before 10:32: the step still fails
    [item] = [i for i in services.incidents.list(ROOT, procedure="A", limit=100)[0] if i.kind == "timer"]
    result = services.incidents.retry(ROOT, item.id)
    assert (result.outcome, result.incident.element_id, result.incident.attempt) == ("failed", "boom", 3)
