"""/api/admin (accounts R-8, R-8.3; incidents R-9.1) and /api/reassignments (R-4.1): administrators
only, an agency administrator for its own agency; problems name the field."""
from datetime import datetime

import pytest

from engine.services.timers import backoff
from tests.api.conftest import AGENCY, OTHER, PASSWORD, make_token
from tests.conftest import VN
from tests.engine.services.test_incidents import fails_until
from tests.support.bpmn import write_procedure

ADMINS = {"root": ("000.00.00.H00", ["admin"]), "qt15": (AGENCY, ["agency_admin"]), "qt20": (OTHER, ["agency_admin"])}


@pytest.fixture
def admin_api(api, app, services):
    for name, (agency, roles) in ADMINS.items():
        services.accounts.add(name, agency, roles, password=PASSWORD)
        api.tokens[name] = make_token(app, services, name)
    return api


def put(api, who, url, json):
    return api.client.put(url, json=json, headers=api.h(who))


def fields(response):
    return [(e["field"], e["problem"]) for e in response.json.get("errors", [])]


def test_only_administrators_reach_the_accounts_and_incidents(admin_api):
    for who in ("head", "an", "control"):
        assert admin_api.get(who, "/api/admin/users").status_code == 403
        assert admin_api.get(who, "/api/admin/incidents").status_code == 403
        assert admin_api.get(who, "/api/admin/users/an").status_code == 403
        assert admin_api.post(who, "/api/admin/users/binh/disable").status_code == 403
    assert admin_api.client.get("/api/admin/users").status_code == 401


def test_an_agency_administrator_administers_its_own_agency_only(admin_api):
    names = [a["username"] for a in admin_api.get("qt15", "/api/admin/users").json["items"]]
    assert "an" in names and "other" not in names and "root" not in names
    assert admin_api.get("qt15", f"/api/admin/users?agency={OTHER}").status_code == 403
    assert admin_api.get("qt15", "/api/admin/users/other").status_code == 404  # as other agencies' dossiers
    assert admin_api.post("qt15", "/api/admin/users/other/disable").status_code == 404
    assert admin_api.post("qt15", "/api/admin/users/control/reset-password", {}).status_code == 404  # H00
    r = admin_api.post("qt15", "/api/admin/users", {"username": "dung", "agency_id": AGENCY, "roles": ["admin"]})
    assert r.status_code == 403 and "cannot grant admin" in r.json["detail"]
    r = admin_api.post("qt15", "/api/admin/users", {"username": "dung", "agency_id": OTHER, "roles": ["official"]})
    assert r.status_code == 403
    assert [a["username"] for a in admin_api.get("root", f"/api/admin/users?agency={OTHER}").json["items"]] == [
        "other", "other_head", "qt20"]
    r = admin_api.get("root", f"/api/admin/users?agency={OTHER}&per_page=2&page=2").json  # api/paging.py
    assert ([a["username"] for a in r["items"]], r["total"], r["page"], r["per_page"]) == (["qt20"], 3, 2, 2)


def test_account_changes_answer_the_account_in_the_provinces_time_and_are_audited(admin_api, services):
    r = admin_api.post("qt15", "/api/admin/users", {"username": "dung", "agency_id": AGENCY, "roles": ["official"]})
    assert r.status_code == 201 and r.json["account"]["must_change_password"] and len(r.json["password"]) >= 10
    assert r.json["account"]["created_at"].endswith("+07:00")
    r = put(admin_api, "qt15", "/api/admin/users/dung/roles", {"roles": ["official", "approver"]})
    assert r.status_code == 200 and r.json["roles"] == ["approver", "official"]
    r = admin_api.post("qt15", "/api/admin/users/dung/reset-password", {"password": "mật-khẩu-mới-đủ-dài"})
    assert r.status_code == 200 and r.json["password"] == "mật-khẩu-mới-đủ-dài"
    r = admin_api.post("qt15", "/api/admin/users/dung/unlock", headers={"X-Request-Id": "req-unlock-1"})
    assert r.status_code == 200 and r.json == {"username": "dung", "failed_logins": 0}
    with services.ctx.uow(write=False) as uow:
        records = [(x.action, x.actor, x.outcome) for x in uow.audit.for_request("req-unlock-1")]
    assert sorted(records) == [("POST /api/admin/users/<username>/unlock", "qt15", 200),
                               ("account.unlock", "qt15", 200)]  # the request and what it changed


def test_disabling_an_official_ends_the_sessions_and_the_head_reassigns_the_tasks(admin_api):
    dossier = admin_api.register()
    task = admin_api.task_of("desk", dossier["code"])
    assert admin_api.post("desk", f"/api/tasks/{task['task_id']}/claim").status_code == 200
    r = admin_api.post("qt15", "/api/admin/users/desk/disable")
    assert r.status_code == 200 and not r.json["active"]
    assert [t["task_id"] for t in r.json["claimed_tasks"]] == [task["task_id"]]
    assert admin_api.get("desk", "/api/tasks").status_code == 401
    assert admin_api.post("qt15", "/api/reassignments", {"from": "desk", "to": "an"}).status_code == 403
    r = admin_api.post("head", "/api/reassignments", {"from": "desk", "to": "an"})
    assert r.status_code == 422 and fields(r) == [("to", "does not hold the role one_stop_officer the tasks need")]
    r = admin_api.post("head", "/api/reassignments", {"from": "desk", "to": "other"})
    assert r.status_code == 422 and ("to", f"is not in {AGENCY}") in fields(r)
    assert admin_api.post("other_head", "/api/reassignments", {"from": "desk", "to": "an"}).status_code == 404
    r = admin_api.post("qt15", "/api/admin/users", {"username": "desk2", "agency_id": AGENCY,
                                                   "roles": ["one_stop_officer"]})
    assert r.status_code == 201
    r = admin_api.post("head", "/api/reassignments", {"from": "desk", "to": "desk2"})
    assert r.status_code == 200 and [t["assignee"] for t in r.json["moved"]] == ["desk2"]


def test_invalid_input_is_422_naming_the_field(admin_api):
    r = put(admin_api, "qt15", "/api/admin/users/an/roles", {"roles": ["boss"]})
    assert r.status_code == 422 and fields(r)[0][0] == "roles"
    r = admin_api.post("qt15", "/api/admin/users/an/reset-password", {"password": "short"})
    assert r.status_code == 422 and fields(r)[0][0] == "password"
    r = admin_api.get("root", "/api/admin/users?role=boss")
    assert r.status_code == 422 and fields(r)[0][0] == "role"
    r = admin_api.get("root", "/api/admin/incidents?older_than=soon")
    assert r.status_code == 422 and fields(r)[0][0] == "older_than"
    r = admin_api.post("root", "/api/admin/users", {"username": "bad name", "agency_id": AGENCY, "roles": ["official"]})
    assert r.status_code == 422 and fields(r)[0][0] == "username"
    assert admin_api.post("qt15", "/api/admin/users/qt15/disable").status_code == 403  # not one's own


@pytest.fixture
def incident(admin_api, app, services, dirs, clock):
    """A dossier of AGENCY whose timer step failed twice (10:30, 10:31); it can go through from 10:32."""
    write_procedure(dirs[0], "F", fails_until("2026-11-26T10:32"))
    services.procedures.sync()
    services.procedures.publish("F")
    d = services.dossiers.start("F")
    clock.set(datetime(2026, 11, 26, 10, 30, tzinfo=VN))
    services.timers.fire_due()
    clock.advance(backoff(1))
    services.timers.fire_due()
    admin_api.refresh_tokens(app)
    return d


def test_incidents_list_show_retry_and_resolve(admin_api, incident, clock):
    page = admin_api.get("qt15", "/api/admin/incidents?older_than=1m").json
    [item] = page["items"]
    assert (page["total"], item["dossier_code"], item["kind"], item["attempt"]) == (1, incident.code, "timer", 2)
    assert (item["since"], item["next_retry_at"]) == ("2026-11-26T10:30:00+07:00", "2026-11-26T10:33:00+07:00")
    assert admin_api.get("qt20", "/api/admin/incidents").json["total"] == 0
    assert admin_api.get("qt20", f"/api/admin/incidents/{item['id']}").status_code == 404
    assert admin_api.post("qt20", f"/api/admin/incidents/{item['id']}/retry").status_code == 404
    detail = admin_api.get("qt15", f"/api/admin/incidents/{item['id']}").json
    assert [a["attempt"] for a in detail["attempts"]] == [1, 2] and detail["timers"][0]["element_id"] == "wait"
    dossier = admin_api.get("head", f"/api/dossiers/{incident.id}").json
    assert [i["id"] for i in dossier["incidents"]] == [a["id"] for a in detail["attempts"]]  # on its dossier
    r = admin_api.post("qt15", f"/api/admin/incidents/{item['id']}/resolve", {"note": " "})
    assert r.status_code == 422 and fields(r)[0][0] == "note"
    clock.set(datetime(2026, 11, 26, 10, 32, tzinfo=VN))
    r = admin_api.post("qt15", f"/api/admin/incidents/{item['id']}/retry")
    assert r.status_code == 200 and (r.json["outcome"], r.json["incident"]) == ("fired", None)
    assert admin_api.post("qt15", f"/api/admin/incidents/{item['id']}/resolve", {"note": "x"}).status_code == 409
    assert admin_api.get("root", "/api/admin/incidents/99999").status_code == 404
