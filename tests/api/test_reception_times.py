"""Each status change is stamped with the instant it happened (N-8), reception included: a paper
dossier registered at 08:00 and received by the desk's reception step at 10:30 was new (1) from
08:00 and accepted (2) and in processing (4) from 10:30, in the applicant's status history, the
officials' timeline and the national portal's outbox rows. The appointment still counts from the
reception time as entered, 08:00 (R-3.4), and the receipt slip names it."""
from __future__ import annotations

from datetime import datetime

import pytest

from engine.domain.applicant import Applicant
from tests.api.test_lifecycle_e2e import RECEPTION
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

AN = Applicant("001085012345", "Nguyễn Văn An")
REGISTERED = datetime(2026, 12, 1, 8, 0, tzinfo=VN)  # Tuesday 1 December 2026
RECEIVED = datetime(2026, 12, 1, 10, 30, tzinfo=VN)


def with_reception() -> Process:
    return (Process("r").start()
            .user("receive", "Tiếp nhận", lane="Một cửa [one_stop_officer]", form="reception.json",
                  lifecycle="reception")
            .user("appraise", "Thẩm định", lane="Chuyên viên [official]")
            .end().chain("start", "receive", "appraise", "end"))


@pytest.fixture
def desk(api, app, services, dirs, clock):
    write_procedure(dirs[0], "R", with_reception(), forms_dir=dirs[1], forms={"reception.json": RECEPTION},
                    statutory_days=3)
    [entry] = [e for e in services.procedures.sync() if e.folder == "R"]
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("R")
    return api


def at(clock, api, app, when: datetime) -> None:
    clock.set(when)
    api.refresh_tokens(app)


def applicant_view(api, app, services, code: str) -> dict:
    token, _ = app.extensions["motcua_citizen_tokens"].issue(AN, services.clock.now())
    answer = api.client.get(f"/api/public/dossiers/{code}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.json
    return answer.json


@pytest.mark.parametrize("channel", ["desk", "postal", "online"])
def test_reception_status_changes_are_stamped_when_the_reception_step_is_done(desk, app, services, clock, channel):
    api = desk
    at(clock, api, app, REGISTERED)
    if channel == "online":
        token, _ = app.extensions["motcua_citizen_tokens"].issue(AN, services.clock.now())
        answer = api.client.post("/api/public/dossiers", json={"procedure_code": "R", "data": {}},
                                 headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 201, answer.json
        with services.ctx.uow(write=False) as uow:
            row = uow.dossiers.load(code=answer.json["code"])
        d = {"id": row.id, "code": row.code, "status_code": answer.json["status_code"]}
    else:
        d = api.register(procedure_code="R", channel=channel,
                         applicant={"name": AN.name, "id_number": AN.id_number})
    assert d["status_code"] == 1  # waits for its reception step
    at(clock, api, app, RECEIVED)
    task = api.task_of("desk", d["code"])
    done = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {"outcome": "receive"}})
    assert done.status_code == 200, done.json

    history = [(h["status_code"], h["at"]) for h in applicant_view(api, app, services, d["code"])["history"]]
    assert history == [(1, "2026-12-01T08:00:00+07:00"), (2, "2026-12-01T10:30:00+07:00"),
                       (4, "2026-12-01T10:30:00+07:00")]
    view = api.get("desk", f"/api/dossiers/{d['id']}").json
    assert [(e["detail"]["status_code"], e["at"]) for e in view["events"] if e["kind"] == "status"] == history
    with services.ctx.uow(write=False) as uow:
        portal = [(r["payload"]["status_code"], r["payload"]["at"]) for r in uow.outbox.for_dossier(d["id"])
                  if r["topic"] == "portal"]
    assert portal == history
    [slip] = [e for e in view["events"] if e["kind"] == "notice.received"]
    assert slip["at"] == "2026-12-01T10:30:00+07:00"  # the slip was issued at reception

    # a paper dossier is received when handed in (08:00), an online one when announced
    # valid (10:30). 3 working days from Tue 08:00 end Fri 4 Dec 08:00 (Tue, Wed, Thu 8 h each);
    # from Tue 10:30 they end Fri 4 Dec 10:30.
    received = "2026-12-01T10:30:00+07:00" if channel == "online" else "2026-12-01T08:00:00+07:00"
    due = "2026-12-04T10:30:00+07:00" if channel == "online" else "2026-12-04T08:00:00+07:00"
    assert (view["started_at"], view["due_at"]) == (received, due)
    receipt = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt").json
    assert (receipt["received_at"], receipt["appointment"]) == (received, due)
