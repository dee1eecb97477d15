"""Over the API, a script that runs out of budget or was tampered with: 422 naming the element,
nothing saved, nothing leaked (issue 7)."""
import copy

from sqlalchemy import func, select, update

from engine.execution.sandbox import ScriptLimits
from engine.persistence.models import Dossier, Procedure, ProcedureVersion
from tests.support.bpmn import Process, write_procedure

TIGHT = ScriptLimits(timeout_ms=200, memory_mb=48)


def publish(api, dirs, code, process):
    write_procedure(dirs[0], code, process)
    api.services.procedures.sync()
    api.services.procedures.publish(code)


def dossiers(api):
    with api.services.ctx.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Dossier))


def test_a_runaway_script_after_a_task_answers_422_and_saves_nothing(api, dirs):
    api.services.ctx.script_engine.environment.limits = TIGHT
    publish(api, dirs, "R", Process("p").start().user("receive", lane="one_stop_officer")
            .script("spin", "while True:\n    pass").user("after", lane="one_stop_officer").end()
            .chain("start", "receive", "spin", "after", "end"))
    d = api.register(procedure_code="R")
    task = d["current_tasks"][0]
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {}})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    assert "spin" in r.json["detail"] and "200 ms" in r.json["detail"]
    after = api.get("desk", f"/api/dossiers/{d['id']}").json
    assert after["version"] == d["version"]
    assert [t["task_id"] for t in after["current_tasks"]] == [task["task_id"]]  # still to do


def test_a_runaway_script_at_registration_answers_422_and_creates_no_dossier(api, dirs):
    api.services.ctx.script_engine.environment.limits = TIGHT
    publish(api, dirs, "R", Process("p").start().script("spin", "x = 'x' * 10 ** 10").user("u", lane="one_stop_officer")
            .end().chain("start", "spin", "u", "end"))
    before = dossiers(api)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "R", "applicant": {"name": "Nguyễn Văn An"}})
    assert r.status_code == 422 and "spin" in r.json["detail"] and "48 MiB" in r.json["detail"]
    assert dossiers(api) == before


def test_a_stored_version_tampered_to_copy_the_environment_leaks_nothing(api, dirs, monkeypatch):
    monkeypatch.setenv("MOTCUA_SECRET_KEY", "s3cret-that-must-not-leak")
    publish(api, dirs, "S", Process("p").start().script("copy", "note = 'ok'").user("u", lane="one_stop_officer")
            .end().chain("start", "copy", "u", "end"))
    with api.services.ctx.uow() as uow:  # someone with database access edits the stored spec
        version = uow.session.scalars(select(ProcedureVersion).join(Procedure)
                                      .where(Procedure.code == "S")).one()
        spec = copy.deepcopy(version.spec)
        spec["spec"]["task_specs"]["copy"]["script"] = "import os\nenv = dict(os.environ)"
        uow.session.execute(update(ProcedureVersion).where(ProcedureVersion.id == version.id).values(spec=spec))
        uow.commit()
    before = dossiers(api)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "S", "applicant": {"name": "Nguyễn Văn An"}})
    assert r.status_code == 422 and "copy" in r.json["detail"] and "imports are not allowed" in r.json["detail"]
    assert "s3cret" not in r.get_data(as_text=True)
    assert dossiers(api) == before


def test_a_script_whose_result_cannot_be_stored_answers_422_and_saves_nothing(api, dirs):
    # 10**5000 made the save a 500 (Python refuses to print such an integer as JSON).
    publish(api, dirs, "B", Process("p").start().user("receive", lane="one_stop_officer")
            .script("big", "x = 10 ** 5000").user("after", lane="one_stop_officer").end()
            .chain("start", "receive", "big", "after", "end"))
    d = api.register(procedure_code="B")
    task = d["current_tasks"][0]
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {}})
    assert r.status_code == 422 and r.json["element_id"] == "big"
    assert "x: integer out of range" in r.json["detail"]
    assert api.get("desk", f"/api/dossiers/{d['id']}").json["version"] == d["version"]


def test_a_formless_task_cannot_overwrite_the_data_a_dossier_starts_with(api, dirs):
    # Before, {"dossier_code": "FAKE"} on a form-less task replaced the code every later script,
    # condition and timer reads (a message was already refused the same fields).
    publish(api, dirs, "F", Process("p").start().user("receive", lane="one_stop_officer")
            .script("s", "seen = dossier_code").user("after", lane="one_stop_officer").end()
            .chain("start", "receive", "s", "after", "end"))
    d = api.register(procedure_code="F")
    task = d["current_tasks"][0]
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete",
                 {"data": {"dossier_code": "FAKE", "due_at": "2000-01-01T00:00:00+07:00", "note": "ok"}})
    assert r.status_code == 422
    assert r.json["errors"] == [{"field": f, "problem": "is set at registration and cannot be changed by a task"}
                                for f in ("dossier_code", "due_at")]
    assert api.get("desk", f"/api/dossiers/{d['id']}").json["version"] == d["version"]
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {"note": "ok"}})
    assert r.status_code == 200
    after = api.get("desk", f"/api/tasks/{r.json['current_tasks'][0]['task_id']}").json
    assert after["data"]["seen"] == d["code"]
