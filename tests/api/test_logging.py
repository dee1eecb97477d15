"""Structured logs (issue 14): one JSON line per request, context on engine lines, times in the
province's zone with their offset, SpiffWorkflow's per-task chatter at DEBUG."""
from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta

import pytest

from engine import logs
from tests.support.bpmn import Process, write_procedure

OFFSET_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$")


@pytest.fixture
def log_lines():
    """Configure the JSON logs into a buffer; give back a function parsing every line so far."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    spiff_level = logging.getLogger("spiff").level
    buffer = io.StringIO()

    def configure(level="INFO"):
        logs.configure(level, "json", stream=buffer)

    def lines():
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    configure()
    lines.configure = configure
    yield lines
    root.handlers, root.level = saved[0], saved[1]
    logging.getLogger("spiff").setLevel(spiff_level)
    for name in ("spiff.task", "spiff.workflow"):
        logging.getLogger(name).filters.clear()
    logs.clear()


def test_one_request_logs_a_json_access_line_with_request_id_user_and_dossier(api, log_lines):
    dossier = api.register()
    task = api.task_of("desk", dossier["code"])
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {"complete": True}},
                 headers={"X-Request-Id": "req-log-1"})
    assert r.status_code == 200
    mine = [line for line in log_lines() if line.get("request_id") == "req-log-1"]
    [access] = [line for line in mine if line["logger"] == "motcua.access"]
    assert access["user"] == "desk"
    assert access["dossier"] == dossier["code"] and access["element"] == "receive"
    assert access["status"] == 200 and access["method"] == "POST"
    assert access["route"] == "/api/tasks/<task_id>/complete" or access["route"].endswith("/complete")
    assert isinstance(access["duration_ms"], float) and access["duration_ms"] >= 0
    assert access["level"] == "info" and OFFSET_TIME.match(access["time"])
    # SpiffWorkflow's "State changed to ..." lines are DEBUG: none at INFO.
    assert not [line for line in log_lines() if line["logger"].startswith("spiff")]


def test_spiff_chatter_appears_at_debug_with_its_element_and_the_dossier(api, log_lines):
    log_lines.configure("DEBUG")
    dossier = api.register()
    spiff = [line for line in log_lines() if line["logger"] == "spiff.task"]
    assert spiff and all(line["level"] == "debug" for line in spiff)
    changed = [line for line in spiff if line["event"].startswith("State changed to")]
    assert changed and {line.get("dossier") for line in changed} == {dossier["code"]}
    assert "receive" in {line.get("element") for line in changed}


def test_a_timer_failure_is_an_error_line_with_the_incident_id(services, dirs, clock, log_lines):
    broken = (Process("p").start().timer("wait", "deadline(working_hours=1)").script("boom", "x = 1 / 0").end()
              .chain("start", "wait", "boom", "end"))
    write_procedure(dirs[0], "BROKEN", broken)
    services.procedures.sync()
    services.procedures.publish("BROKEN")
    bad = services.dossiers.start("BROKEN")
    ok = services.dossiers.start("BROKEN")
    clock.advance(timedelta(hours=2))
    services.timers.fire_due()
    errors = [line for line in log_lines() if line["level"] == "error"]
    assert len(errors) == 2
    with services.ctx.uow(write=False) as uow:
        incidents = {i.dossier_id: i.id for i in uow.incidents.open()}
    by_dossier = {line["dossier"]: line for line in errors}
    for d in (bad, ok):  # each line names its own dossier: one dossier's context never leaks into the next
        line = by_dossier[d.code]
        assert line["incident"] == incidents[d.id] and line["element"] == "boom"
        assert line["incident_kind"] == "timer" and "ZeroDivisionError" in line["event"]
