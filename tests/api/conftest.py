"""API fixtures: the app on the test database, accounts per role, a 3-step procedure with forms."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.app import create_app
from api.config import ApiSettings
from tests.support.bpmn import Process, write_procedure

AGENCY = "000.00.12.H15"
OTHER = "000.00.12.H20"
PASSWORD = "mật-khẩu-đủ-dài-1"

RECEPTION = {"type": "object", "required": ["complete"], "properties": {"complete": {"type": "boolean"}}}
APPRAISAL = {
    "type": "object",
    "required": ["recommendation", "opinion"],
    "properties": {"recommendation": {"enum": ["approve", "refuse"]}, "opinion": {"type": "string", "minLength": 3},
                   "area_m2": {"type": "number", "exclusiveMinimum": 0}},
    "additionalProperties": False,
}


def three_steps() -> Process:
    return (Process("p").start()
            .user("receive", "Tiếp nhận hồ sơ", lane="Một cửa [one_stop_officer]", form="reception.json", hours=8)
            .user("appraise", "Thẩm định", lane="Chuyên viên [official]", form="appraisal.json", hours=16)
            .user("approve", "Phê duyệt", lane="Lãnh đạo [approver]", hours=4)
            .end().chain("start", "receive", "appraise", "approve", "end"))


@dataclass
class Api:
    client: object
    services: object
    tokens: dict[str, str]

    def refresh_tokens(self, app) -> None:
        """Tokens last a working day: tests that move the clock far ahead need new ones."""
        self.tokens = {name: make_token(app, self.services, name) for name in self.tokens}

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, url: str, **kw):
        return self.client.get(url, headers={**self.h(who), **kw.pop("headers", {})}, **kw)

    def post(self, who: str, url: str, json=None, **kw):
        return self.client.post(url, json=json, headers={**self.h(who), **kw.pop("headers", {})}, **kw)

    def register(self, who: str = "desk", **body):
        payload = {"procedure_code": "P", "applicant": {"name": "Nguyễn Văn An"}, **body}
        response = self.post(who, "/api/dossiers", payload)
        assert response.status_code == 201, response.json
        return response.json

    def task_of(self, who: str, dossier_code: str) -> dict:
        items = self.get(who, f"/api/tasks?dossier={dossier_code}").json["items"]
        assert len(items) == 1, items
        return items[0]


USERS = {
    "desk": (AGENCY, ["one_stop_officer"]),
    "head": (AGENCY, ["agency_head"]),
    "an": (AGENCY, ["official"]),
    "binh": (AGENCY, ["official"]),
    "chi": (AGENCY, ["approver"]),
    "other": (OTHER, ["official"]),
    "other_head": (OTHER, ["agency_head"]),
    "control": ("000.00.00.H00", ["control_office"]),
}


def make_token(app, services, username: str) -> str:
    official = services.accounts.official(username)
    token, _ = app.extensions["motcua_tokens"].issue(official, services.clock.now())
    return token


@pytest.fixture
def app(services, dirs):
    processes, forms = dirs
    write_procedure(processes, "P", three_steps(), forms_dir=forms,
                    forms={"reception.json": RECEPTION, "appraisal.json": APPRAISAL})
    [entry] = services.procedures.sync()
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("P")
    app = create_app(services, ApiSettings(secret_key="test-secret-" + "x" * 40), start_scheduler=False)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def api(app, services):
    for name, (agency, roles) in USERS.items():
        services.accounts.add(name, agency, roles, password=PASSWORD)
    tokens = {name: make_token(app, services, name) for name in USERS}
    return Api(app.test_client(), services, tokens)
