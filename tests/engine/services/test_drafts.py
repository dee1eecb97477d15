"""Analysts' drafts and the control office's review: roles, states, decisions, the effective-from
switch, back-dated corrections, repeal and late setups (issue 12; R-1.2, R-1.3, R-8.5)."""
from datetime import date, datetime, timedelta

import pytest

from engine.domain.access import Official
from engine.domain.procedure_version import Decision, ProcedureRepealed
from engine.services.errors import Conflict, Forbidden, InvalidInput
from tests.conftest import VN
from tests.support.bpmn import Process, metadata, sequential

AGENCY = "000.00.12.H15"
ANALYST = Official("ana", AGENCY, frozenset({"analyst"}))
OTHER_ANALYST = Official("oanh", "000.00.12.H20", frozenset({"analyst"}))
CONTROL = Official("kiem", "000.00.00.H00", frozenset({"control_office"}))
OFFICIAL = Official("an", AGENCY, frozenset({"official", "agency_head", "admin"}))
DECISION = Decision("1234/QĐ-UBND", date(2026, 11, 26))  # the clock's day (Thursday 26 Nov 2026)


def files(code: str = "P", steps: int = 2, **meta) -> dict[str, bytes]:
    return {"procedure.toml": metadata(code, **meta).encode(), f"{code}.bpmn": sequential(steps).xml()}


def published(services, steps: int = 2, **kw):
    outcome = services.drafts.push(ANALYST, "P", files(steps=steps), {})
    assert outcome.outcome in ("created", "replaced"), outcome.report.text()
    services.drafts.submit(ANALYST, "P")
    return services.drafts.publish(CONTROL, "P", None, DECISION, **kw)


def test_only_analysts_of_the_agency_upload_and_only_the_control_office_publishes(services):
    for who in (OFFICIAL, CONTROL):
        with pytest.raises(Forbidden, match="only an analyst"):
            services.drafts.push(who, "P", files(), {})
    with pytest.raises(Forbidden, match="analyst of agency 000.00.12.H15"):
        services.drafts.push(OTHER_ANALYST, "P", files(), {})
    assert services.drafts.push(ANALYST, "P", files(), {}).outcome == "created"
    with pytest.raises(Forbidden):
        services.drafts.submit(OTHER_ANALYST, "P")
    services.drafts.submit(ANALYST, "P")
    for who in (ANALYST, OFFICIAL):
        with pytest.raises(Forbidden, match="only the control office"):
            services.drafts.publish(who, "P", None, DECISION)
        with pytest.raises(Forbidden, match="only the control office"):
            services.drafts.repeal(who, "P", DECISION)


def test_a_draft_is_replaced_until_submitted_then_published_with_its_decision(services, clock):
    first = services.drafts.push(ANALYST, "P", files(steps=2), {})
    assert (first.outcome, first.version) == ("created", 1)
    again = services.drafts.push(ANALYST, "P", files(steps=3), {})
    assert (again.outcome, again.version) == ("replaced", 1)  # same number: a draft is not a version yet
    assert services.drafts.push(ANALYST, "P", files(steps=3), {}).outcome == "unchanged"
    with pytest.raises(Conflict, match="no submitted version"):
        services.drafts.publish(CONTROL, "P", None, DECISION)
    services.drafts.submit(ANALYST, "P")
    with pytest.raises(Conflict, match="under review"):
        services.drafts.push(ANALYST, "P", files(steps=4), {})
    v = services.drafts.publish(CONTROL, "P", None, DECISION)
    assert (v.state, v.number, v.published_by) == ("published", 1, "kiem")
    with pytest.raises(Conflict, match="a published version cannot be submitted"):
        services.drafts.submit(ANALYST, "P", 1)
    # the next upload is a new draft beside the published version
    assert services.drafts.push(ANALYST, "P", files(steps=4), {}).version == 2
    events = [(e.actor, e.action, e.version, e.decision_number) for e in services.drafts.history(CONTROL, "P")]
    assert events == [("ana", "upload", 1, None), ("ana", "upload", 1, None), ("ana", "submit", 1, None),
                      ("kiem", "publish", 1, "1234/QĐ-UBND"), ("ana", "upload", 2, None)]


def test_the_control_office_returns_a_submitted_draft_with_remarks(services):
    services.drafts.push(ANALYST, "P", files(), {})
    services.drafts.submit(ANALYST, "P")
    with pytest.raises(InvalidInput):
        services.drafts.return_draft(CONTROL, "P", None, "  ")
    assert services.drafts.return_draft(CONTROL, "P", None, "thiếu biểu mẫu").state == "draft"
    assert services.drafts.push(ANALYST, "P", files(steps=3), {}).outcome == "replaced"
    [*_, returned, _] = services.drafts.history(ANALYST, "P")
    assert returned.action == "return" and returned.detail == {"remarks": "thiếu biểu mẫu"}


def test_an_invalid_upload_stores_nothing_and_reports_located_problems(services):
    bad = files()
    bad["P.bpmn"] = bad["P.bpmn"].replace(b'name="official"', b'name="nobody"')
    outcome = services.drafts.push(ANALYST, "P", bad, {})
    assert outcome.outcome == "refused" and outcome.version is None
    assert any(p.element_id == "task_0" and p.line and "nobody" in p.message for p in outcome.report.errors)
    with pytest.raises(Exception):
        services.procedures.versions("P")


def test_the_decision_is_checked(services, clock):
    services.drafts.push(ANALYST, "P", files(), {})
    services.drafts.submit(ANALYST, "P")
    with pytest.raises(InvalidInput) as err:
        services.drafts.publish(CONTROL, "P", None, Decision(" ", date(2026, 11, 27)))
    assert {f for f, _ in err.value.problems} == {"decision_number", "decision_date", "effective_from"}
    with pytest.raises(InvalidInput, match="not acceptable") as err:
        services.drafts.publish(CONTROL, "P", None, Decision("1/QĐ", date(2026, 11, 20)),
                                effective_from=datetime(2026, 11, 19, 9, tzinfo=VN), reason="sửa lỗi")
    assert err.value.problems[0][0] == "effective_from"


def test_effective_from_switch_keeps_running_dossiers_on_their_version(services, clock):
    # a dossier uses the version in effect at its receipt and stays on it.
    published(services, steps=2)
    old = services.dossiers.start("P")
    services.drafts.push(ANALYST, "P", files(steps=3), {})
    services.drafts.submit(ANALYST, "P")
    switch = datetime(2026, 11, 27, 7, 0, tzinfo=VN)
    services.drafts.publish(CONTROL, "P", None, DECISION, effective_from=switch)
    assert services.dossiers.start("P").procedure_version == 1  # before the switch
    clock.set(switch)
    assert services.dossiers.start("P").procedure_version == 2
    assert services.dossiers.get(old.id).procedure_version == 1


def test_a_back_dated_version_needs_a_reason_and_serves_postal_dossiers_received_since(services, clock):
    published(services, steps=2)
    before = services.dossiers.start("P")  # received now, on version 1
    services.drafts.push(ANALYST, "P", files(steps=3), {})
    services.drafts.submit(ANALYST, "P")
    clock.advance(timedelta(hours=2))
    past = clock.now() - timedelta(hours=3)
    with pytest.raises(InvalidInput, match="needs a reason"):
        services.drafts.publish(CONTROL, "P", None, DECISION, effective_from=past)
    v = services.drafts.publish(CONTROL, "P", None, DECISION, effective_from=past, reason="đính chính")
    assert v.effective_from == past
    postal = services.dossiers.start("P", channel="postal", received_at=past + timedelta(minutes=30),
                                     back_entry_reason="arrived by post, entered later")
    assert postal.procedure_version == 2
    assert services.dossiers.get(before.id).procedure_version == 1
    [*_, event] = services.drafts.history(CONTROL, "P")
    assert event.detail == {"effective_from": past.isoformat(), "backdated": True, "reason": "đính chính"}


def test_repeal_refuses_new_dossiers_from_its_instant_naming_the_decision(services, clock):
    published(services)
    running = services.dossiers.start("P")
    repeal = Decision("99/QĐ-UBND", date(2026, 11, 26))
    services.drafts.repeal(CONTROL, "P", repeal, effective_from=datetime(2026, 11, 26, 14, tzinfo=VN))
    clock.set(datetime(2026, 11, 26, 13, tzinfo=VN))  # (a reception time is never in the future)
    assert services.dossiers.start("P").procedure_version == 1
    clock.set(datetime(2026, 11, 26, 14, tzinfo=VN))
    with pytest.raises(ProcedureRepealed, match="repealed by decision 99/QĐ-UBND of 2026-11-26"):
        services.dossiers.start("P")
    assert services.procedures.in_effect() == []  # not in the catalogue any more
    # running dossiers finish on their version
    task = services.dossiers.get(running.id).current_tasks[0]
    services.dossiers.complete_task(task.task_id, {}, "an")
    assert services.dossiers.get(running.id).current_tasks[0].element_id == "task_1"


def test_a_version_announced_after_a_repeal_is_offered_again(services, clock):
    published(services)
    services.drafts.repeal(CONTROL, "P", DECISION)
    services.drafts.push(ANALYST, "P", files(steps=3), {})
    services.drafts.submit(ANALYST, "P")
    clock.advance(timedelta(hours=1))
    services.drafts.publish(CONTROL, "P", None, Decision("5/QĐ-UBND", date(2026, 11, 26)))
    assert services.dossiers.start("P").procedure_version == 2


def test_late_setups_against_three_working_days_from_the_decision(services, clock):
    # Decision of Thursday 26 Nov 2026; 3 working days: Fri 27, Mon 30, Tue 1 Dec -> due Tue 1 Dec 17:00.
    # With 5 (Đắk Nông): + Wed 2, Thu 3 -> due Thu 3 Dec 17:00.
    services.drafts.push(ANALYST, "P", files(), {})
    services.drafts.submit(ANALYST, "P")
    clock.set(datetime(2026, 12, 1, 16, 59, tzinfo=VN))
    assert services.drafts.late_setups() == []  # nothing names a decision yet
    services.drafts.publish(CONTROL, "P", None, DECISION)  # on time
    services.drafts.push(ANALYST, "Q", files("Q"), {})
    services.drafts.submit(ANALYST, "Q")
    clock.set(datetime(2026, 12, 2, 9, tzinfo=VN))
    services.drafts.publish(CONTROL, "Q", None, DECISION)  # a day late
    [late] = services.drafts.late_setups()
    assert (late.code, late.due_at, late.published_at) == ("Q", datetime(2026, 12, 1, 17, tzinfo=VN),
                                                           datetime(2026, 12, 2, 9, tzinfo=VN))
    assert services.drafts.late_setups(working_days=5) == []


def test_a_submitted_version_whose_decision_is_known_is_flagged_late_before_it_is_published(services, clock):
    services.drafts.push(ANALYST, "P", files(), {})
    services.drafts.submit(ANALYST, "P", decision=DECISION)
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=VN))
    assert services.drafts.late_setups() == []  # due Tue 1 Dec 17:00 (see above)
    clock.set(datetime(2026, 12, 1, 17, 1, tzinfo=VN))
    [late] = services.drafts.late_setups()
    assert late.pending and late.state == "submitted"


def test_the_diff_names_running_dossiers_that_wait_on_removed_elements(services):
    # The door to migrating running dossiers: who could not move onto the new version as is.
    published(services, steps=2)
    running = services.dossiers.start("P")  # waits on task_0
    shorter = (Process("seq").start().user("task_1", "Step 1", lane="official", hours=8).end()
               .chain("start", "task_1", "end"))
    services.drafts.push(ANALYST, "P", {"procedure.toml": metadata("P").encode(), "P.bpmn": shorter.xml()}, {})
    diff = services.drafts.diff(CONTROL, "P")
    assert (diff.old_version, diff.new_version) == (1, 2)
    assert [e["id"] for e in diff.elements_removed] == ["task_0"]
    assert diff.running_on_removed == {"task_0": [running.code]}
    assert f"! 1 running dossier(s) wait on removed task_0: {running.code}" in diff.text()
    with pytest.raises(Forbidden):
        services.drafts.diff(OFFICIAL, "P")


@pytest.mark.postgres_only
def test_two_uploads_racing_for_the_next_draft_number_never_fail_with_a_database_error(services, monkeypatch):
    # Two analysts upload different drafts of a published procedure at the same moment: both read
    # "version 1 is the newest" and both take number 2. One of them must get its draft (created), the
    # other a clear answer (replaced: it replaces the first, or Conflict): never a unique-constraint
    # error from the database (a 500). SQLite queues writers (BEGIN IMMEDIATE), so only PostgreSQL
    # can interleave them; the barrier makes both reach the numbering before either inserts.
    import threading

    from engine.persistence.repositories import ProcedureRepository

    published(services)
    barrier = threading.Barrier(2, timeout=2)  # with the fix the second upload waits for the lock: the first goes on alone
    real = ProcedureRepository.next_number

    def in_step(self, procedure_id):
        n = real(self, procedure_id)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return n

    monkeypatch.setattr(ProcedureRepository, "next_number", in_step)
    outcomes, errors = [], []

    def upload(steps):
        try:
            outcomes.append(services.drafts.push(ANALYST, "P", files(steps=steps), {}).outcome)
        except Conflict as err:
            outcomes.append("conflict")
        except Exception as err:  # the fault: IntegrityError out of the service
            errors.append(repr(err))

    threads = [threading.Thread(target=upload, args=(n,)) for n in (3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and "created" in outcomes, (outcomes, errors)
    assert [v.number for v in services.drafts.versions(ANALYST, "P")] == [1, 2]
