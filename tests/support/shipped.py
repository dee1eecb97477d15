"""A shipped procedure of processes/ driven through the HTTP API (issue 11): the folder loaded with
the shipped forms and published, accounts of its agencies, an API client whose clock the test moves."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from api.app import create_app
from api.config import ApiSettings
from engine.procedures.library import load_procedure
from tests.api.conftest import PASSWORD, Api, make_token

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[2]


def at(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def iso(y, mo, d, h=0, mi=0) -> str:
    return at(y, mo, d, h, mi).isoformat()


class ProcedureApi(Api):
    """The API client with the helpers every procedure test needs: move the clock, complete the one
    ready task of an element (for the caller's agency), read the dossier."""

    def __init__(self, app, services, users: dict[str, tuple[str, list[str]]], clock):
        for name, (agency, roles) in users.items():
            services.accounts.add(name, agency, roles, password=PASSWORD)
        super().__init__(app.test_client(), services, {n: make_token(app, services, n) for n in users})
        self.app, self.users, self.clock = app, users, clock

    def at(self, when: datetime) -> None:
        self.clock.set(when)
        self.refresh_tokens(self.app)  # tokens last a working day; the tests move the clock by weeks

    def view(self, dossier: dict, who: str = "desk") -> dict:
        r = self.get(who, f"/api/dossiers/{dossier['id']}")
        assert r.status_code == 200, r.json
        return r.json

    def task(self, who: str, dossier: dict, element: str) -> dict:
        agency = self.users[who][0]
        tasks = [t for t in self.view(dossier, who)["current_tasks"]
                 if t["element_id"] == element and t["candidate_agency"] == agency]
        assert len(tasks) == 1, (element, self.view(dossier, who)["current_tasks"])
        return tasks[0]

    def complete(self, who: str, dossier: dict, element: str, data: dict | None = None, expect: int = 200) -> dict:
        task = self.task(who, dossier, element)
        r = self.post(who, f"/api/tasks/{task['task_id']}/complete", {"data": data or {}})
        assert r.status_code == expect, r.json
        return r.json


def shipped_procedure_api(services, clock, code: str, users: dict[str, tuple[str, list[str]]]) -> ProcedureApi:
    """processes/<code> with the shipped forms/, published in effect from Mon 5 Jan 2026 08:00 (before
    every date the tests use), and the API with `users` ({name: (agency, roles)}) signed in."""
    clock.set(at(2026, 1, 5, 8))
    services.procedures.add_version(load_procedure(ROOT / "processes" / code, ROOT / "forms"))
    services.procedures.publish(code)
    app = create_app(services, ApiSettings(secret_key="test-secret-" + "x" * 40), start_scheduler=False)
    app.config["TESTING"] = True
    return ProcedureApi(app, services, users, clock)


def status_codes(view: dict) -> list[int]:
    """The national status codes (N-8) of every status change, in order."""
    return [e["detail"]["status_code"] for e in view["events"] if e["kind"] == "status"]
