"""The way endpoints are declared (api/endpoints.py on flask-smorest, issue 10 "One API framework"):
the caller is checked before anything is parsed, webargs' failures are our problem+json, query
strings are strict, and a second kind of principal plugs in without touching other routes."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask, g, request
from marshmallow import Schema, fields

from api import json_body, openapi, problems
from api.access import Access, PrincipalKind
from api.endpoints import Blueprint
from api.problems import ApiProblem

PROBLEM_JSON = "application/problem+json"


def fields_of(r) -> dict[str, str]:
    return {e["field"]: e["problem"] for e in r.json.get("errors", [])}


# ---------------------------------------------------------------- through the real API


def test_an_unknown_query_parameter_is_400_naming_it(api):
    r = api.get("an", "/api/tasks?colour=red")
    assert r.status_code == 400 and r.mimetype == PROBLEM_JSON
    assert fields_of(r) == {"colour": "unknown field"}


def test_a_repeated_query_parameter_is_400_not_the_first_value(api):
    r = api.get("an", "/api/tasks?page=1&page=2")
    assert r.status_code == 400 and fields_of(r) == {"page": "repeated"}


def test_query_text_the_database_cannot_hold_is_422(api):
    r = api.get("an", "/api/tasks?dossier=a%00b")
    assert r.status_code == 422 and "dossier" in fields_of(r)


def test_path_text_the_database_cannot_hold_is_not_found(api):
    r = api.get("an", "/api/tasks/a%00b")
    assert r.status_code == 404 and r.json["type"] == "urn:motcua:problem:not-found"


def test_the_caller_is_checked_before_the_query_or_body(api):
    assert api.client.get("/api/tasks?colour=red").status_code == 401
    r = api.client.post("/api/dossiers", json={"nonsense": 1})
    assert r.status_code == 401 and r.json["type"] == "urn:motcua:problem:unauthenticated"


def test_a_body_failing_its_schema_is_our_problem_not_webargs_422(api):
    r = api.post("desk", "/api/dossiers", {"procedure_code": "", "applicant": {"name": "A"}, "colour": "red"})
    assert r.status_code == 400 and r.mimetype == PROBLEM_JSON
    assert r.json["type"] == "urn:motcua:problem:malformed-request"
    assert fields_of(r) == {"procedure_code": "Length must be between 1 and 64.", "colour": "unknown field"}
    assert "code" not in r.json and "status" in r.json  # not flask-smorest's {code, status, message, errors}


def test_every_documented_error_is_a_problem(api):
    doc = api.client.get("/api/openapi.json").json
    # flask-smorest's error body is never answered, nor its X-Pagination header or hashed ETags
    assert not {"Error", "PaginationMetadata"} & set(doc["components"]["schemas"])
    assert not {"headers", "responses", "parameters"} & set(doc["components"])
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            for status, answer in op["responses"].items():
                if int(status) >= 400 and not (path == "/api/health" and status == "503"):
                    assert list(answer["content"]) == [PROBLEM_JSON], (method, path, status)
            assert op["operationId"] and op["tags"], (method, path)
            if path.startswith("/api/public/track/") or path == "/api/public/procedures":  # anyone (issue 10)
                assert "security" not in op, (method, path)
            elif path.startswith("/api/public/"):  # the applicants' (issue 10)
                assert op["security"] == [{"citizen": []}] and "401" in op["responses"], (method, path)
            elif path not in {"/api/health", "/api/auth/login"}:
                assert op["security"] == [{"bearer": []}] and "401" in op["responses"], (method, path)
    assert {t["name"] for t in doc["tags"]} == {"auth", "tasks", "dossiers", "lifecycle", "records", "procedures",
                                               "system", "admin", "reassignments", "reports", "public",
                                               "feedback", "public_feedback"}
    assert set(doc["components"]["securitySchemes"]) == {"bearer", "citizen"}


# ---------------------------------------------------------------- a second kind of principal


def _visitor(access: Access) -> None:
    """A stand-in for a second audience: a key in a header of its own."""
    if request.headers.get("X-Visitor") != "v-1":
        raise ApiProblem("unauthenticated", "send X-Visitor")
    g.principal, g.actor = SimpleNamespace(name="v-1"), "visitor:v-1"


VISITOR = PrincipalKind("visitor", "visitorKey", _visitor, {"type": "apiKey", "in": "header", "name": "X-Visitor"})


class NoteSchema(Schema):
    text = fields.String(required=True)


visitors = Blueprint("visitors", __name__, url_prefix="/api/visit", principal=VISITOR, description="Visitors")


@visitors.post("/notes")
@visitors.arguments(NoteSchema)
@visitors.response(201, NoteSchema)
def add_note(body: dict) -> dict:
    """Leave a note"""
    return {"text": f"{g.actor}: {body['text']}"}


@visitors.get("/hello")
@visitors.access(None)
@visitors.response(200, NoteSchema)
def hello() -> dict:
    """Anyone"""
    return {"text": "xin chào"}


@pytest.fixture
def visitor_app():
    app = Flask("visitor-test")
    app.extensions["motcua"] = SimpleNamespace(settings=SimpleNamespace(max_json_depth=8))
    problems.register(app)
    json_body.register(app, 4096)
    openapi.install(app, [visitors])
    return app


def test_a_second_principal_kind_authenticates_its_own_blueprint(visitor_app):
    client = visitor_app.test_client()
    r = client.post("/api/visit/notes", json={"text": "hi"}, headers={"Authorization": "Bearer anything"})
    assert r.status_code == 401 and r.json["detail"] == "send X-Visitor"
    r = client.post("/api/visit/notes", json={"text": "hi"}, headers={"X-Visitor": "v-1"})
    assert r.status_code == 201 and r.json == {"text": "visitor:v-1: hi"}
    r = client.post("/api/visit/notes", json={"text": "hi", "x": 1}, headers={"X-Visitor": "v-1"})
    assert r.status_code == 400 and fields_of(r) == {"x": "unknown field"}
    assert client.get("/api/visit/hello").json == {"text": "xin chào"}


def test_a_second_principal_kind_brings_its_security_scheme(visitor_app):
    doc = visitor_app.test_client().get("/api/openapi.json").json
    assert doc["components"]["securitySchemes"] == {"visitorKey": VISITOR.scheme}
    notes = doc["paths"]["/api/visit/notes"]["post"]
    assert notes["security"] == [{"visitorKey": []}] and notes["tags"] == ["visitors"]
    assert {"400", "401", "403", "413", "415", "422", "500"} <= set(notes["responses"])
    hello_op = doc["paths"]["/api/visit/hello"]["get"]
    assert "security" not in hello_op and "401" not in hello_op["responses"]


def test_smorest_pagination_and_etags_are_refused_for_ours():
    # one contract each: api/paging.py (page/per_page) and version numbers with @bp.if_match
    with pytest.raises(TypeError, match="api/paging.py"):
        visitors.paginate()
    with pytest.raises(TypeError, match="if_match"):
        visitors.etag(lambda: None)


def test_every_schema_has_its_own_name_in_the_document(services):
    # apispec renames a second schema class of the same name ("Submit1") with only a warning: the
    # document's clients would then see a name that changes with import order.
    import warnings

    from api.app import create_app
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        create_app(services, start_scheduler=False).test_client().get("/api/openapi.json")
    assert not [str(w.message) for w in caught if "Multiple schemas resolved" in str(w.message)]
