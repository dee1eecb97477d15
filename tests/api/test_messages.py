"""POST /api/dossiers/{id}/messages/{name}: a message the dossier waits for (fee paid, applicant
supplemented), its payload checked, who may send it, and the answers when it cannot be taken."""
import pytest

from tests.support.bpmn import Process, write_procedure

FEE_FORM = {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer", "minimum": 1}},
            "additionalProperties": False}


@pytest.fixture
def fee(api, dirs):
    p = (Process("fee").start().receive("wait_fee", "fee paid")
         .user("issue", "Cấp giấy", lane="Chuyên viên [official]").end().chain("start", "wait_fee", "issue", "end"))
    p.message("fee paid", form="fee-paid.json")
    write_procedure(dirs[0], "FEE", p, forms_dir=dirs[1], forms={"fee-paid.json": FEE_FORM})
    assert {e.folder: e.outcome for e in api.services.procedures.sync()}["FEE"] == "created"
    api.services.procedures.publish("FEE")
    return api.register(procedure_code="FEE")


def url(dossier, name="fee%20paid"):
    return f"/api/dossiers/{dossier['id']}/messages/{name}"


def test_the_desk_delivers_a_message_and_the_dossier_runs_on(api, fee):
    r = api.post("desk", url(fee), {"payload": {"amount": 100000}}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.json
    assert (r.json["message"], r.json["caught_by"], r.json["version"]) == ("fee paid", ["wait_fee"], 2)
    assert r.headers["ETag"] == '"2"'
    assert [t["element_id"] for t in r.json["current_tasks"]] == ["issue"]
    events = api.get("desk", f"/api/dossiers/{fee['id']}").json["events"]
    assert [e for e in events if e["kind"] == "message"][0]["actor"] == "desk"


def test_a_message_the_dossier_does_not_wait_for_is_409_naming_what_it_waits_for(api, fee):
    r = api.post("desk", url(fee, "applicant%20supplemented"), {"payload": {}})
    assert r.status_code == 409
    assert r.json["waiting_for"] == ["fee paid"]
    assert api.post("desk", url(fee), {"payload": {"amount": 1}}).status_code == 200
    again = api.post("desk", url(fee), {"payload": {"amount": 1}})
    assert again.status_code == 409 and again.json["waiting_for"] == []


def test_a_bad_payload_is_422_naming_the_fields(api, fee):
    r = api.post("desk", url(fee), {"payload": {"amount": 0, "extra": 1}})
    assert r.status_code == 422
    assert {e["field"] for e in r.json["errors"]} == {"amount", "extra"}  # the unknown field is named
    r = api.post("desk", url(fee), {"payload": {"amount": 1, "due_at": "2030-01-01T00:00:00+07:00"}})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "due_at"
    assert api.post("desk", url(fee), {"payload": "fee"}).status_code == 400  # not an object


def test_who_may_deliver(api, fee):
    assert api.post("other", url(fee), {"payload": {"amount": 1}}).status_code == 404  # another agency
    assert api.post("control", url(fee), {"payload": {"amount": 1}}).status_code == 403  # oversight only
    assert api.post("desk", "/api/dossiers/999999/messages/fee%20paid", {"payload": {"amount": 1}}).status_code == 404
    assert api.post("desk", url(fee), {"payload": {"amount": 1}}, headers={"If-Match": '"7"'}).status_code == 409
    assert api.post("an", url(fee), {"payload": {"amount": 1}}).status_code == 200


def test_the_endpoint_is_in_the_openapi_document(api):
    doc = api.client.get("/api/openapi.json").json
    op = doc["paths"]["/api/dossiers/{dossier_id}/messages/{message}"]["post"]
    assert {"200", "404", "409", "422"} <= set(op["responses"])


def test_registration_names_a_start_message_only_for_a_procedure_started_by_one(api):
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"},
                                            "start_message": "fee paid"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "start_message"
