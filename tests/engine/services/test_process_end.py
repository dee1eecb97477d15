"""A dossier ends when its process ends: nothing still waiting keeps it open or fires on it later
(BPMN 2.0 §10.3.5: event sub-processes listen only while their parent runs; a terminate end event
ends every path). Rows are removed, the status is processed, the sweep ignores it."""
from datetime import timedelta

import pytest

from tests.support.bpmn import Process, publish_procedure


pytestmark = pytest.mark.usefixtures("rows_match_the_state")  # tests/engine/services/conftest.py


def rows(services, dossier_id):
    with services.ctx.uow(write=False) as uow:
        return ([t.element_id for t in uow.timers.for_dossier(dossier_id)],
                [t.element_id for t in uow.tasks.for_dossier(dossier_id)])


def finished(services, dossier_id, clock):
    view = services.dossiers.get(dossier_id)
    assert (view.status, view.current_tasks) == ("processed", [])
    assert view.completed_at == clock.now()
    assert rows(services, dossier_id) == ([], [])
    clock.advance(timedelta(days=30))
    assert services.timers.fire_due().fired == []
    assert services.dossiers.get(dossier_id).events == view.events  # nothing fired on it afterwards


def complete(services, dossier_id, element):
    [task] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return services.dossiers.complete_task(task.task_id, {}, "someone")


def with_reminder_subprocess() -> Process:
    inner = (Process("esp").timer_start("remind_after", "deadline(working_days=3)", interrupting=False)
             .user("remind", lane="agency_head").end("esp_end").chain("remind_after", "remind", "esp_end"))
    return Process("p").start().user("appraise").end().chain("start", "appraise", "end").event_subprocess("esp", inner)


def test_an_event_subprocess_timer_still_waiting_does_not_keep_the_dossier_open(services, dirs, clock):
    publish_procedure(services, "P", with_reminder_subprocess())
    d = services.dossiers.start("P")
    assert rows(services, d.id) == (["remind_after"], ["appraise"])
    done = complete(services, d.id, "appraise")
    assert done.status == "processed"
    finished(services, d.id, clock)


def test_an_event_subprocess_already_triggered_is_awaited(services, dirs, clock):
    publish_procedure(services, "P", with_reminder_subprocess())
    d = services.dossiers.start("P")
    clock.advance(timedelta(days=7))
    assert services.timers.fire_due().fired == [d.code]
    assert sorted(rows(services, d.id)[1]) == ["appraise", "remind"]
    assert complete(services, d.id, "appraise").status == "processing"  # the reminder path still runs
    assert complete(services, d.id, "remind").status == "processed"
    finished(services, d.id, clock)


def test_terminate_end_event_ends_a_task_and_its_boundary_timer_still_waiting(services, dirs, clock):
    p = (Process("p").start().parallel("split").user("decide").user("verify")
         .boundary_timer("verify_late", "verify", "deadline(working_days=2)", interrupting=False)
         .user("chase").terminate("stop").end("verified").end("chased")
         .chain("start", "split", "decide", "stop").chain("split", "verify", "verified")
         .chain("verify_late", "chase", "chased"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    assert rows(services, d.id) == (["verify_late"], ["decide", "verify"])
    assert complete(services, d.id, "decide").status == "processed"
    finished(services, d.id, clock)


def test_a_dossier_that_could_never_move_again_is_an_incident_not_a_silent_wait(services, dirs):
    from engine.services.errors import ProcessFailure
    from tests.engine.execution.test_dossier_workflow import exclusive_choice_joined_by_a_parallel_gateway
    publish_procedure(services, "P", exclusive_choice_joined_by_a_parallel_gateway())
    d = services.dossiers.start("P", data={"x": 1})
    with pytest.raises(ProcessFailure):
        complete(services, d.id, "a")
    view = services.dossiers.get(d.id)
    assert [t.element_id for t in view.current_tasks] == ["a"]  # nothing saved: the task is still there
    assert [(i["element_id"], "never come" in i["error"]) for i in view.incidents] == [("join", True)]
