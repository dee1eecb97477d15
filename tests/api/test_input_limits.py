"""Bounded, valid input (issue 7): every JSON body is UTF-8, JSON, an object, within size and depth
limits, with finite numbers and 64-bit integers; numeric headers are range-checked. Each refusal is
a 4xx problem naming the field and the limit, and nothing of the request is saved."""
import io
import json

import pytest

from tests.api.test_tasks import advance_to_appraisal

PROBLEM = "urn:motcua:problem:"
APPRAISAL_OK = {"recommendation": "approve", "opinion": "Đủ điều kiện"}


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for i in range(depth):
        value = {"a": value} if i % 2 else [value]
    return value


def raw_post(api, who: str, url: str, body: bytes | str, content_type: str = "application/json", **headers):
    return api.client.post(url, data=body, content_type=content_type, headers={**api.h(who), **headers})


def fields(response) -> dict[str, str]:
    return {e["field"]: e["problem"] for e in response.json.get("errors", [])}


def assert_unchanged_and_completable(api, dossier, task):
    """The refused request saved nothing: the dossier reads and the task still completes."""
    after = api.get("an", f"/api/dossiers/{dossier['id']}")
    assert after.status_code == 200 and after.json["version"] == 2
    assert [t["task_id"] for t in after.json["current_tasks"]] == [task["task_id"]]
    r = api.post("an", f"/api/tasks/{task['task_id']}/complete", {"data": APPRAISAL_OK})
    assert r.status_code == 200, r.json


# ------------------------------------------------------------------ depth


@pytest.mark.parametrize("depth", [40, 600, 1000, 100_000])
def test_deeply_nested_completion_is_refused_and_the_dossier_stays_usable(api, depth):
    # Today: 600 levels are accepted and the dossier then answers 500 forever; 1,000 answer 500.
    d, task = advance_to_appraisal(api)
    body = json.dumps({"data": {**APPRAISAL_OK, "extra": nested(depth)}}) if depth < 900 else (
        '{"data": {"extra": ' + "[" * depth + "]" * depth + "}}")
    r = raw_post(api, "an", f"/api/tasks/{task['task_id']}/complete", body)
    assert r.status_code == 422, r.json
    assert r.json["type"] == PROBLEM + "invalid-data" and r.json["limit"] == 32
    assert "32" in r.json["detail"] and "MOTCUA_MAX_JSON_DEPTH" in r.json["detail"]
    [(field, problem)] = fields(r).items()
    # beyond what the parser itself can nest (about 900 levels) the path is not known: "body"
    assert field.startswith("data.extra") or (depth >= 900 and field == "body")
    assert "deeper than 32" in problem
    assert_unchanged_and_completable(api, d, task)


def test_nesting_up_to_the_limit_is_accepted(api):
    d, task = advance_to_appraisal(api)
    # the body object, "data" and 30 more containers make 32 levels, the default limit
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}, "data": {"x": nested(30)}})
    assert r.status_code == 201, r.json
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}, "data": {"x": nested(31)}})
    assert r.status_code == 422 and "data.x" in next(iter(fields(r)))


# ------------------------------------------------------------------ size


def test_a_body_over_the_json_limit_is_413_naming_it(api):
    d, task = advance_to_appraisal(api)
    big = {"data": {**APPRAISAL_OK, "blob": "x" * (1024 * 1024)}}  # just over 1 MiB once encoded
    r = api.post("an", f"/api/tasks/{task['task_id']}/complete", big)
    assert r.status_code == 413 and r.json["type"] == PROBLEM + "too-large"
    assert r.json["limit"] == 1024 * 1024 and "MOTCUA_MAX_JSON_BYTES" in r.json["detail"]
    # also when the client does not announce the length (chunked, which gunicorn and waitress
    # de-chunk and mark input_terminated): the read stops at the limit
    payload = json.dumps(big).encode()
    r = api.client.post(f"/api/tasks/{task['task_id']}/complete", input_stream=io.BytesIO(payload),
                        content_type="application/json", headers={**api.h("an"), "Transfer-Encoding": "chunked"},
                        environ_overrides={"wsgi.input_terminated": True})
    assert r.status_code == 413, r.json
    assert_unchanged_and_completable(api, d, task)


def test_task_data_over_the_data_limit_is_413_naming_it(api):
    # 19 MB of data was accepted before; the data limit (512 KiB) is below the body limit (1 MiB)
    d, task = advance_to_appraisal(api)
    r = api.post("an", f"/api/tasks/{task['task_id']}/complete",
                 {"data": {**APPRAISAL_OK, "blob": "x" * (600 * 1024)}})
    assert r.status_code == 413 and r.json["limit"] == 512 * 1024
    assert "MOTCUA_MAX_DATA_BYTES" in r.json["detail"]
    assert_unchanged_and_completable(api, d, task)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"},
                                            "data": {"blob": "x" * (600 * 1024)}})
    assert r.status_code == 413 and "data" in r.json["detail"]


# ------------------------------------------------------------------ numbers


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_non_finite_numbers_are_refused_naming_the_field(api, number):
    # Today: 500 on PostgreSQL; SQLite accepts and later serves non-standard JSON.
    d, task = advance_to_appraisal(api)
    body = '{"data": {"recommendation": "approve", "opinion": "Đủ điều kiện", "area_m2": %s}}' % number
    r = raw_post(api, "an", f"/api/tasks/{task['task_id']}/complete", body)
    assert r.status_code == 422 and r.json["type"] == PROBLEM + "invalid-data", r.json
    assert "finite" in fields(r)["data.area_m2"]
    assert_unchanged_and_completable(api, d, task)


@pytest.mark.parametrize("number", [str(2**63), str(-2**63 - 1), "9" * 5000], ids=["2^63", "-2^63-1", "5000-digits"])
def test_integers_beyond_64_bits_are_refused_naming_the_field(api, number):
    d, task = advance_to_appraisal(api)
    body = '{"data": {"recommendation": "approve", "opinion": "Đủ điều kiện", "area_m2": %s}}' % number
    r = raw_post(api, "an", f"/api/tasks/{task['task_id']}/complete", body)
    assert r.status_code == 422, r.json
    assert "64" in fields(r)["data.area_m2"]
    assert_unchanged_and_completable(api, d, task)


def test_64_bit_integers_and_ordinary_floats_are_kept_exactly(api):
    d, task = advance_to_appraisal(api)
    body = {"data": {**APPRAISAL_OK, "area_m2": 2**63 - 1}}
    r = api.post("an", f"/api/tasks/{task['task_id']}/complete", body)
    assert r.status_code == 200, r.json
    d2 = api.register(data={"n": -2**63, "x": 1.5e300})
    assert d2["code"]


@pytest.mark.parametrize("value", ["9" * 5000, str(2**31), "0", "-1"], ids=["5000-digits", "2^31", "0", "negative"])
def test_if_match_out_of_range_is_422_naming_the_header(api, value):
    d, task = advance_to_appraisal(api)
    r = api.post("an", f"/api/tasks/{task['task_id']}/claim", headers={"If-Match": f'"{value}"'})
    assert r.status_code in (400, 422), r.json
    assert "If-Match" in fields(r)
    leading_zeros = '"' + "0" * 5000 + '1"'  # still version 1
    assert api.post("an", f"/api/tasks/{task['task_id']}/claim", headers={"If-Match": leading_zeros}).status_code == 200


def test_numeric_query_parameters_with_huge_values_are_400(api):
    for bad in ("page=" + "9" * 5000, "per_page=1e400", "page=NaN", "page=" + str(2**64)):
        r = api.get("an", f"/api/tasks?{bad}")
        assert r.status_code == 400 and r.json["errors"], bad


@pytest.mark.parametrize("instant", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59Z"])
def test_instants_out_of_range_are_422_naming_the_field(api, instant):
    # Today the first two are 500: converting them to UTC overflows datetime.
    r = api.get("an", "/api/tasks", query_string={"due_before": instant})
    assert r.status_code == 422 and "out of range" in fields(r)["due_before"], r.json
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}, "channel": "postal",
                                            "received_at": instant})
    assert r.status_code == 422 and "out of range" in fields(r)["received_at"], r.json
    r = api.get("an", "/api/tasks", query_string={"due_before": instant, "page": "x"})
    assert r.status_code == 400  # a malformed value too: the request is malformed
    assert api.get("an", "/api/tasks", query_string={"due_before": "8999-12-31T00:00:00Z"}).status_code == 200


# ------------------------------------------------------------------ encoding, syntax, type


def test_a_body_that_is_not_utf8_says_so(api):
    r = raw_post(api, "desk", "/api/dossiers", b'{"procedure_code": "P", "applicant": {"name": "Nguy\xe1n"}}')
    assert r.status_code == 400 and r.json["type"] == PROBLEM + "body-not-utf8", r.json
    # 0xE1 starts a 3-byte sequence but "n" follows: byte 51 ('{"procedure_code": "P", ' is 24
    # bytes, '"applicant": {"name": "Nguy' 27 more)
    assert r.json["position"] == 51 and "UTF-8" in r.json["detail"]
    # Latin-1 declared: JSON is UTF-8 only (RFC 8259 §8.1)
    r = raw_post(api, "desk", "/api/dossiers", '{"procedure_code": "P"}'.encode("utf-16"))
    assert r.status_code == 400 and r.json["type"] == PROBLEM + "body-not-utf8"


def test_a_body_that_is_not_json_says_where(api):
    r = raw_post(api, "desk", "/api/dossiers", '{"procedure_code": "P",\n "applicant": {"name": }}')
    assert r.status_code == 400 and r.json["type"] == PROBLEM + "body-not-json", r.json
    # line 1 is 24 characters with its newline; ' "applicant": {"name": ' is 23 more: the "}" at 47
    assert (r.json["line"], r.json["column"], r.json["position"]) == (2, 24, 47)
    assert "line 2" in r.json["detail"]
    r = raw_post(api, "an", "/api/auth/login", "not json")
    assert r.status_code == 400 and r.json["type"] == PROBLEM + "body-not-json"


@pytest.mark.parametrize("body", ['[{"procedure_code": "P"}]', '"P"', "42", "null", ""])
def test_a_json_body_that_is_not_an_object_says_so(api, body):
    r = raw_post(api, "desk", "/api/dossiers", body)
    assert r.status_code == 400 and r.json["type"] == PROBLEM + "body-not-object", r.json
    assert "JSON object" in r.json["detail"]


def test_a_body_of_another_media_type_is_415(api):
    r = raw_post(api, "desk", "/api/dossiers", '{"procedure_code": "P"}', content_type="text/plain")
    assert r.status_code == 415 and "application/json" in r.json["detail"]


def test_text_the_database_cannot_store_is_named(api):
    d, task = advance_to_appraisal(api)
    r = api.post("an", f"/api/tasks/{task['task_id']}/complete",
                 {"data": {**APPRAISAL_OK, "opinion": "a\x00b"}})
    assert r.status_code == 422 and "data.opinion" in fields(r)
    r = raw_post(api, "an", f"/api/tasks/{task['task_id']}/complete",
                 '{"data": {"recommendation": "approve", "opinion": "\\ud800 lone"}}')
    assert r.status_code == 422 and "data.opinion" in fields(r)
    assert_unchanged_and_completable(api, d, task)


# ------------------------------------------------------------------ documented, configured once


def test_every_413_is_documented(api):
    doc = api.client.get("/api/openapi.json").json
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            if method.upper() in {"POST", "PUT", "PATCH", "DELETE"}:  # every body is read and limited
                assert {"400", "413", "422"} <= set(op["responses"]), (method, path)
            if "application/json" in op.get("requestBody", {}).get("content", {}):
                assert "415" in op["responses"], (method, path)
    types = doc["components"]["schemas"]["Problem"]["properties"]["type"]["enum"]
    assert {PROBLEM + c for c in ("body-not-utf8", "body-not-json", "body-not-object", "too-large")} <= set(types)


def test_the_upload_limit_is_read_once_from_the_engine_settings(services):
    # MOTCUA_MAX_UPLOAD_BYTES was parsed twice (engine and API settings) and could disagree
    from dataclasses import replace

    from api.app import create_app
    from api.config import ApiSettings

    small = replace(services, settings=replace(services.settings, max_upload_bytes=1000))
    app = create_app(small, ApiSettings(secret_key="s" * 48), start_scheduler=False)
    assert app.config["MAX_CONTENT_LENGTH"] == 1000 + 1024 * 1024  # the file plus multipart framing


def test_the_json_body_limit_comes_from_the_environment(monkeypatch):
    from api.config import ApiSettings

    monkeypatch.setenv("MOTCUA_SECRET_KEY", "s" * 48)
    monkeypatch.setenv("MOTCUA_MAX_JSON_BYTES", "4096")
    assert ApiSettings.from_env().max_json_bytes == 4096


def test_every_if_match_is_documented_and_range_checked(api):
    doc = api.client.get("/api/openapi.json").json
    with_if_match = {path for path, ops in doc["paths"].items()
                     if any(p.get("name") == "If-Match" for p in ops.get("post", {}).get("parameters", []))}
    assert "/api/dossiers/{dossier_id}/messages/{message}" in with_if_match
    assert "/api/tasks/{task_id}/complete" in with_if_match
    d = api.register()
    r = api.post("desk", f"/api/dossiers/{d['id']}/messages/fee%20paid", {"payload": {}},
                 headers={"If-Match": '"' + "9" * 5000 + '"'})
    assert r.status_code == 422 and "If-Match" in fields(r)
