"""A dossier's path for the web page: its version's diagram with done, current and late steps (N-2, N-7)."""
from datetime import timedelta

import pytest

from engine.domain.access import Official
from engine.services.dossier_path import diagram_file
from engine.services.errors import NotFound
from tests.engine.services.test_dossiers import publish
from tests.support.bpmn import sequential

OWN = Official("cv", "000.00.12.H15", frozenset({"official"}))
OTHER = Official("khac", "000.00.99.H15", frozenset({"official"}))
CONTROL = Official("ks", "000.00.01.H15", frozenset({"control_office"}))


def test_path_marks_done_current_and_late_steps(services, dirs, clock):
    publish(services, dirs, "P", sequential(3, hours=8))
    d = services.dossiers.start("P")
    [first] = d.current_tasks
    clock.advance(timedelta(days=3))  # 8 working hours are long past: the first step ends late
    done = services.dossiers.complete_task(first.task_id, {}, "cv")
    [second] = done.current_tasks
    path = services.dossier_paths.path(OWN, d.id)
    assert (path.completed, path.current, path.late) == (["task_0"], ["task_1"], ["task_0"])
    assert path.process_id == "seq" and 'id="task_1"' in path.diagram and path.diagram_file.endswith(".bpmn")
    assert [(e.element_id, e.who, e.timeliness) for e in path.sheet] == [("task_0", "cv", "late"),
                                                                          ("task_1", None, None)]
    clock.advance(timedelta(days=3))  # the second one is now open and past due
    assert services.dossier_paths.path(CONTROL, d.id).late == ["task_0", "task_1"]


def test_path_follows_the_api_visibility(services, dirs):
    publish(services, dirs, "P", sequential(1))
    d = services.dossiers.start("P")
    with pytest.raises(NotFound):
        services.dossier_paths.path(OTHER, d.id)


def test_diagram_file_picks_the_file_that_defines_the_process():
    sources = {"a.bpmn": '<bpmn:process id="other"/>', "b.bpmn": "<bpmn:process id='main' isExecutable='true'>",
               "forms/x.json": "{}"}
    assert diagram_file(sources, "main")[0] == "b.bpmn"
    with pytest.raises(NotFound):
        diagram_file(sources, "missing")
