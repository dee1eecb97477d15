"""Procedure versions: sync, publish, the version in effect, dossiers stay on their version (R-1)."""
from datetime import timedelta

import pytest

from engine.domain.access import Official
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.support.bpmn import Process, sequential, write_procedure

CONTROL = Official("kiemsoat", "000.00.00.H00", frozenset({"control_office"}))


def test_sync_creates_a_draft_and_is_a_no_op_when_unchanged(services, dirs):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(2))
    [entry] = services.procedures.sync()
    assert (entry.outcome, entry.version) == ("created", 1)
    [entry] = services.procedures.sync()
    assert (entry.outcome, entry.version) == ("unchanged", 1)
    [v] = services.procedures.versions("P")
    assert v.state == "draft" and v.metadata["code"] == "P"


def test_a_changed_file_makes_a_new_draft(services, dirs):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(2))
    services.procedures.sync()
    write_procedure(processes, "P", sequential(3))
    [entry] = services.procedures.sync()
    assert (entry.outcome, entry.version) == ("created", 2)
    assert [v.state for v in services.procedures.versions("P")] == ["draft", "draft"]


def test_invalid_folder_is_reported_not_loaded(services, dirs):
    processes, _ = dirs
    write_procedure(processes, "P", Process("p").start().user("t", lane="nobody").end().chain("start", "t", "end"))
    [entry] = services.procedures.sync()
    assert entry.outcome == "invalid" and entry.problems[0].element_id == "t"
    with pytest.raises(NotFound):
        services.procedures.versions("P")


def test_only_published_versions_in_effect_start_dossiers(services, dirs, clock):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(1))
    services.procedures.sync()
    with pytest.raises(NotFound, match="no published version"):
        services.dossiers.start("P")
    services.procedures.publish("P", effective_from=clock.now() + timedelta(days=1))
    with pytest.raises(NotFound):
        services.dossiers.start("P")
    clock.advance(timedelta(days=1))
    assert services.dossiers.start("P").procedure_version == 1


def test_dossier_runs_to_its_end_on_the_version_it_started_with(services, dirs, clock):
    # a dossier stays on its version even after a newer one is published.
    processes, _ = dirs
    write_procedure(processes, "P", sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    old = services.dossiers.start("P")
    write_procedure(processes, "P", sequential(3))
    services.procedures.sync()
    services.procedures.publish("P", effective_from=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=2))
    new = services.dossiers.start("P")
    assert (old.procedure_version, new.procedure_version) == (1, 2)
    for _ in range(2):
        task = services.dossiers.get(old.id).current_tasks[0]
        view = services.dossiers.complete_task(task.task_id, {}, "u")
    assert view.status == "processed" and len(services.dossiers.get(old.id).timeline) == 2  # the 2-step version
    assert [v.number for v in services.procedures.in_effect()] == [2]


def test_version_in_effect_is_chosen_by_receipt_time(services, dirs, clock):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(1))
    services.procedures.sync()
    services.procedures.publish("P")
    write_procedure(processes, "P", sequential(2))
    services.procedures.sync()
    switch = clock.now() + timedelta(days=2)
    services.procedures.publish("P", effective_from=switch)
    clock.advance(timedelta(days=3))
    # A postal dossier received before the switch but registered after it keeps the old version.
    late_registered = services.dossiers.start("P", received_at=switch - timedelta(hours=1),
                                              back_entry_reason="arrived by post")
    assert late_registered.procedure_version == 1
    assert services.dossiers.start("P").procedure_version == 2


def test_publish_rules(services, dirs, clock):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(1))
    services.procedures.sync()
    with pytest.raises(InvalidInput) as info:
        services.procedures.publish("P", effective_from=clock.now() - timedelta(hours=1))
    assert info.value.problems[0][0] == "effective_from"
    v = services.procedures.publish("P", actor="control-office")
    assert v.published_by == "control-office" and v.effective_from == clock.now()
    with pytest.raises(Conflict):
        services.procedures.publish("P", number=1)
    with pytest.raises(NotFound):
        services.procedures.publish("P")  # no draft left
    with pytest.raises(NotFound):
        services.procedures.publish("Q")


def test_retired_version_is_no_longer_offered(services, dirs):
    processes, _ = dirs
    write_procedure(processes, "P", sequential(1))
    services.procedures.sync()
    services.procedures.publish("P")
    d = services.dossiers.start("P")
    services.procedures.retire("P", 1, CONTROL)
    with pytest.raises(NotFound):
        services.dossiers.start("P")
    assert services.procedures.in_effect() == []
    # the running dossier finishes on it
    task = services.dossiers.get(d.id).current_tasks[0]
    assert services.dossiers.complete_task(task.task_id, {}, "u").status == "processed"


def test_only_the_control_office_retires_a_version_and_its_name_is_recorded(services, dirs):
    # publishing and taking a procedure out of service are the control office's: the
    # history names who did it (the CLI's `retire` acted as "cli", for anyone at the shell).
    write_procedure(dirs[0], "P", sequential(1))
    services.procedures.sync()
    services.procedures.publish("P")
    analyst = Official("phan_tich", "000.00.12.H15", frozenset({"analyst", "agency_head"}))
    with pytest.raises(Forbidden):
        services.procedures.retire("P", 1, analyst)
    assert services.procedures.retire("P", 1, CONTROL).state == "retired"
    [event] = [e for e in services.drafts.history(CONTROL, "P") if e.action == "retire"]
    assert event.actor == "kiemsoat"
