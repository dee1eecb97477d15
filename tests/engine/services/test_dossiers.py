"""Dossiers: start, the ready-task table, completing tasks, failures and concurrency."""
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from engine.persistence.models import Dossier
from engine.services.errors import Conflict, InvalidInput, NotFound, ProcessFailure
from tests.conftest import VN
from tests.support.bpmn import Process, sequential, write_procedure

FORM = {
    "type": "object",
    "required": ["decision", "opinion"],
    "properties": {"decision": {"enum": ["approve", "refuse"]}, "opinion": {"type": "string", "minLength": 3},
                   "count": {"type": "integer", "minimum": 0}},
}


def publish(services, dirs, code, process, **meta):
    processes, forms = dirs
    write_procedure(processes, code, process, forms_dir=forms, forms=meta.pop("forms", None), **meta)
    [entry] = [e for e in services.procedures.sync() if e.folder == code]
    assert entry.outcome == "created", entry.problems
    services.procedures.publish(code)


def test_dossier_code_is_agency_date_sequence(services, dirs):
    publish(services, dirs, "P", sequential(1))
    publish(services, dirs, "Q", sequential(1), agency="000.00.12.H20")
    codes = [services.dossiers.start("P").code, services.dossiers.start("P").code, services.dossiers.start("Q").code]
    # N-1: per agency, per receipt day
    assert codes == ["000.00.12.H15-261126-0001", "000.00.12.H15-261126-0002", "000.00.12.H20-261126-0001"]


def test_receipt_outside_working_hours_starts_at_next_working_hour(services, dirs, clock):
    publish(services, dirs, "P", sequential(1), statutory_days=3)
    clock.set(datetime(2026, 11, 27, 17, 30, tzinfo=VN))  # Friday evening
    d = services.dossiers.start("P")
    assert d.started_at == datetime(2026, 11, 30, 7, 0, tzinfo=VN)
    # 3 working days = Mon 30 Nov, Tue 1, Wed 2 Dec used up -> Wed 2 Dec 17:00. Appointment
    # arithmetic (issue 9): this was Thu 3 Dec 07:00, the same working instant named the next day.
    assert d.due_at == datetime(2026, 12, 2, 17, 0, tzinfo=VN)
    assert d.code.endswith("-261127-0001")  # the receipt date stays the day it arrived


def test_ready_task_rows_carry_role_agency_and_working_time_due(services, dirs, clock):
    p = (Process("p").start().user("receive", "Tiếp nhận", lane="Một cửa [one_stop_officer]", hours=8)
         .user("consult", "Xin ý kiến", lane="Sở [official@{consulted}]", days=2).end()
         .chain("start", "receive", "consult", "end"))
    publish(services, dirs, "P", p)
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    d = services.dossiers.start("P", data={"consulted": "000.00.12.H20"})
    [t] = d.current_tasks
    assert (t.name, t.candidate_role, t.candidate_agency) == ("Tiếp nhận", "one_stop_officer", "000.00.12.H15")
    assert t.due_at == datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    clock.advance(timedelta(hours=1))
    done = services.dossiers.complete_task(t.task_id, {}, "desk-1")
    assert (done.version, done.completed_task_id) == (2, t.task_id)
    [t2] = done.current_tasks
    assert (t2.candidate_role, t2.candidate_agency) == ("official", "000.00.12.H20")
    assert t2.due_at == datetime(2026, 11, 30, 16, 0, tzinfo=VN)


def test_inbox_is_read_from_the_table_without_workflow_state(services, dirs):
    publish(services, dirs, "P", sequential(2))
    d = services.dossiers.start("P")
    with services.ctx.uow() as uow:  # break the stored state: listing must not need it
        uow.session.execute(update(Dossier).where(Dossier.id == d.id).values(state="not json"))
        uow.commit()
    tasks, total = services.dossiers.list_tasks(candidate_of={"000.00.12.H15": {"official"}})
    assert total == 1 and tasks[0].dossier_code == d.code
    tasks, total = services.dossiers.list_tasks(candidate_of={"000.00.12.H15": {"approver"}})
    assert total == 0


def test_form_data_is_validated_and_every_failing_field_named(services, dirs):
    publish(services, dirs, "P", sequential(1, form="appraise.json"), forms={"appraise.json": FORM})
    d = services.dossiers.start("P")
    task = d.current_tasks[0]
    with pytest.raises(InvalidInput) as info:
        services.dossiers.complete_task(task.task_id, {"opinion": "x", "count": -1}, "u")
    fields = dict(info.value.problems)
    assert set(fields) == {"decision", "opinion", "count"}
    assert fields["decision"] == "is required"
    # nothing changed
    assert services.dossiers.get(d.id).current_tasks[0].task_id == task.task_id
    view = services.dossiers.complete_task(task.task_id, {"decision": "approve", "opinion": "đủ điều kiện"}, "u")
    assert view.status == "processed" and view.current_tasks == []
    assert services.dossiers.get(d.id).timeline[0].who == "u"


def test_unknown_and_completed_tasks(services, dirs):
    publish(services, dirs, "P", sequential(2))
    d = services.dossiers.start("P")
    task = d.current_tasks[0]
    services.dossiers.complete_task(task.task_id, {}, "u")
    with pytest.raises(Conflict, match="already completed"):
        services.dossiers.complete_task(task.task_id, {}, "u")
    with pytest.raises(NotFound):
        services.dossiers.complete_task("00000000-0000-0000-0000-000000000000", {}, "u")


def test_failing_script_is_an_incident_and_nothing_is_saved(services, dirs):
    p = Process("p").start().user("t").script("boom", "result = data_that_does_not_exist").end().chain("start", "t", "boom", "end")
    publish(services, dirs, "P", p)
    d = services.dossiers.start("P")
    task = d.current_tasks[0]
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.complete_task(task.task_id, {}, "u")
    assert info.value.extra["element_id"] == "boom"
    after = services.dossiers.get(d.id)
    assert after.version == d.version and after.current_tasks[0].task_id == task.task_id
    assert after.timeline[0].done_at is None
    [incident] = after.incidents
    assert incident["element_id"] == "boom" and incident["kind"] == "task"


def test_start_data_reaches_the_procedure(services, dirs):
    p = (Process("p").start().script("copy", "greeting = 'Kính gửi ' + applicant['name']").user("t").end()
         .chain("start", "copy", "t", "end"))
    publish(services, dirs, "P", p)
    d = services.dossiers.start("P", applicant={"name": "Trần Thị B"})
    detail = services.dossiers.get_task(d.current_tasks[0].task_id)
    assert detail.data["greeting"] == "Kính gửi Trần Thị B"
    assert detail.data["dossier_code"] == d.code


def test_concurrent_completions_exactly_one_wins(services, dirs):
    publish(services, dirs, "P", sequential(2))
    for _ in range(5):
        d = services.dossiers.start("P")
        task_id = d.current_tasks[0].task_id
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def complete(who: str) -> None:
            barrier.wait()
            try:
                services.dossiers.complete_task(task_id, {"by": who}, who)
                outcomes.append("ok")
            except Conflict:
                outcomes.append("conflict")

        threads = [threading.Thread(target=complete, args=(w,)) for w in ("a", "b")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["conflict", "ok"]
        view = services.dossiers.get(d.id)
        assert len(view.timeline) == 2 and view.timeline[0].done_at is not None
        assert view.version == 2  # one update, none lost


def test_concurrent_receipts_get_unique_consecutive_codes(services, dirs):
    # N-1: unique, never reused, safe under concurrent receipts (several API processes).
    publish(services, dirs, "P", sequential(1))
    barrier = threading.Barrier(6)
    codes: list[str] = []

    def receive() -> None:
        barrier.wait()
        for _ in range(3):
            codes.append(services.dossiers.start("P").code)

    threads = [threading.Thread(target=receive) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(codes) == [f"000.00.12.H15-261126-{n:04d}" for n in range(1, 19)]


def test_registration_walks_the_status_table_and_an_illegal_change_is_never_written(services, dirs):
    # N-8: registering = 1 submitted -> 2 accepted -> 4 processing; the last task done = 4 -> 9.
    publish(services, dirs, "P", sequential(1))
    d = services.dossiers.start("P")
    assert d.status == "processing"
    # A dossier withdrawn by the applicant (status 7, as the lifecycle will record it) cannot be
    # marked processed (9) by its last task: refused naming both statuses, nothing saved.
    with services.ctx.uow() as uow:
        uow.session.execute(update(Dossier).where(Dossier.id == d.id).values(status="withdrawn"))
        uow.commit()
    with pytest.raises(Conflict, match="has ended \\(status 7 withdrawn\\)"):
        services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u")
    view = services.dossiers.get(d.id)
    assert (view.status, view.version, view.completed_at) == ("withdrawn", 1, None)
    assert len(view.current_tasks) == 1


def test_a_result_on_the_last_allowed_day_is_on_time_not_early(services, dirs, clock):
    # N-7 with appointment arithmetic: received Tue 1 Dec 2026 07:00, 3 working days -> due
    # Thu 3 Dec 17:00. Processed Thu 16:00 is on the due day, by the due instant: on time. When the
    # due instant was named Fri 4 Dec 07:00, the same result counted as early.
    publish(services, dirs, "P", sequential(1), statutory_days=3)
    clock.set(datetime(2026, 12, 1, 7, 0, tzinfo=VN))
    d = services.dossiers.start("P")
    assert d.due_at == datetime(2026, 12, 3, 17, 0, tzinfo=VN)
    clock.set(datetime(2026, 12, 3, 16, 0, tzinfo=VN))
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u")
    view = services.dossiers.get(d.id)
    assert (view.status, view.timeliness) == ("processed", "on_time")
