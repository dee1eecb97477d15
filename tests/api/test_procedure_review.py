"""The review over HTTP: upload drafts (files or a zip), report, diff, submit, publish with the
decision, repeal, late setups, catalogue; every corpus file and hostile script gets a report and
never a 5xx (issue 12; R-1.1 … R-1.4, R-8.4)."""
import io
import json
import zipfile
from datetime import timedelta

import pytest

from tests.api.conftest import APPRAISAL, RECEPTION, make_token, three_steps
from tests.engine.services.test_draft_uploads import CORPUS, LOCATED, corpus_files
from tests.security.test_script_escapes import ESCAPES, script_process
from tests.support.bpmn import metadata

DECISION = {"decision_number": "1234/QĐ-UBND", "decision_date": "2026-11-26"}  # the clock's day


@pytest.fixture
def review(api, app, services):
    services.accounts.add("ana", "000.00.12.H15", ["analyst"], password="mật-khẩu-đủ-dài-1")
    services.accounts.add("oanh", "000.00.12.H20", ["analyst"], password="mật-khẩu-đủ-dài-1")
    for name in ("ana", "oanh"):
        api.tokens[name] = make_token(app, services, name)
    return api


def parts(files: dict[str, bytes]) -> dict:
    return {"files": [(io.BytesIO(data), name) for name, data in files.items()]}


def upload(api, who: str, code: str, files: dict[str, bytes] | None = None, archive: bytes | None = None):
    data = parts(files) if files is not None else {"archive": (io.BytesIO(archive), f"{code}.zip")}
    return api.client.post(f"/api/procedures/{code}/draft", headers=api.h(who), data=data,
                           content_type="multipart/form-data")


def p_files(process=None, **meta) -> dict[str, bytes]:
    return {"procedure.toml": metadata("P", **meta).encode(), "P.bpmn": (process or three_steps()).xml(),
            "reception.json": json.dumps(RECEPTION).encode(), "forms/appraisal.json": json.dumps(APPRAISAL).encode()}


def test_the_whole_review_over_http_with_the_effective_from_switch(review, clock):
    api = review
    r = upload(api, "desk", "P", p_files())
    assert r.status_code == 403 and r.json["type"] == "urn:motcua:problem:forbidden"
    assert upload(api, "oanh", "P", p_files()).status_code == 403  # another agency's analyst
    r = upload(api, "ana", "P", p_files(statutory_days=4))
    assert r.status_code == 201 and (r.json["outcome"], r.json["version"]) == ("created", 2), r.json
    assert r.headers["Location"] == "/api/procedures/P/versions/2" and r.json["report"]["valid"]
    r = upload(api, "ana", "P", p_files(statutory_days=6))
    assert (r.status_code, r.json["outcome"], r.json["version"]) == (201, "replaced", 2)
    assert upload(api, "ana", "P", p_files(statutory_days=6)).status_code == 200  # unchanged

    report = api.get("control", "/api/procedures/P/versions/2/report")
    assert report.status_code == 200 and report.json["errors"] == 0
    diff = api.get("ana", "/api/procedures/P/versions/2/diff")
    assert diff.json["metadata"] == {"statutory_days": {"old": 5, "new": 6}}
    text = api.get("ana", "/api/procedures/P/versions/2/diff?format=text")
    assert text.mimetype == "text/plain" and "~ procedure.toml statutory_days: 5 -> 6" in text.get_data(as_text=True)
    assert api.get("desk", "/api/procedures/P/versions/2/diff").status_code == 403

    assert api.post("ana", "/api/procedures/P/versions/2/publish", DECISION).status_code == 403
    assert api.post("control", "/api/procedures/P/versions/2/publish", DECISION).status_code == 409  # not submitted
    assert api.post("ana", "/api/procedures/P/versions/2/submit", {}).json["state"] == "submitted"
    assert upload(api, "ana", "P", p_files(statutory_days=7)).status_code == 409  # under review

    old = api.register()  # version 1, in effect now
    switch = clock.now() + timedelta(hours=1)
    r = api.post("control", "/api/procedures/P/versions/2/publish", {**DECISION, "effective_from": switch.isoformat()})
    assert r.status_code == 200 and (r.json["state"], r.json["decision_number"]) == ("published", "1234/QĐ-UBND")
    assert api.register()["procedure_version"] == 1  # before the switch
    clock.set(switch)
    assert api.register()["procedure_version"] == 2
    assert api.get("desk", f"/api/dossiers/{old['id']}").json["procedure_version"] == 1
    events = api.get("control", "/api/procedures/P/history").json["items"]
    assert [(e["actor"], e["action"], e["decision_number"]) for e in events][-3:] == [
        ("ana", "upload", None), ("ana", "submit", None), ("control", "publish", "1234/QĐ-UBND")]
    [entry] = api.get("desk", "/api/procedures/catalogue").json["items"]
    assert (entry["code"], entry["version"], entry["statutory_days"], entry["decision_number"]) == ("P", 2, 6, "1234/QĐ-UBND")


def test_a_back_dated_publication_needs_a_reason(review, clock):
    api = review
    upload(api, "ana", "P", p_files(statutory_days=6))
    api.post("ana", "/api/procedures/P/versions/2/submit", {})
    past = (clock.now() - timedelta(hours=1)).isoformat()
    r = api.post("control", "/api/procedures/P/versions/2/publish", {**DECISION, "effective_from": past})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "reason"
    r = api.post("control", "/api/procedures/P/versions/2/publish", {**DECISION, "effective_from": past,
                                                                      "reason": "đính chính"})
    assert r.status_code == 200 and r.json["backdate_reason"] == "đính chính"


def test_a_repeal_refuses_a_new_dossier_naming_the_decision(review):
    api = review
    running = api.register()
    assert api.post("ana", "/api/procedures/P/repeal", {"decision_number": "9/QĐ-UBND",
                                                         "decision_date": "2026-11-26"}).status_code == 403
    r = api.post("control", "/api/procedures/P/repeal", {"decision_number": "9/QĐ-UBND", "decision_date": "2026-11-26"})
    assert r.status_code == 200 and r.json["repealed_by"] == "control"
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}})
    assert r.status_code == 409 and r.json["type"] == "urn:motcua:problem:procedure-repealed"
    assert r.json["decision_number"] == "9/QĐ-UBND" and "repealed by decision 9/QĐ-UBND" in r.json["detail"]
    assert api.get("desk", f"/api/dossiers/{running['id']}").status_code == 200  # it finishes on its version
    assert api.get("desk", "/api/procedures/catalogue").json["items"] == []


def test_a_late_setup_is_flagged(review, clock):
    # Decision of Thursday 26 Nov 2026: due Tuesday 1 Dec 2026 17:00 (3 working days); published Wed 2 Dec.
    api = review
    upload(api, "ana", "P", p_files(statutory_days=6))
    api.post("ana", "/api/procedures/P/versions/2/submit", {})
    clock.advance(timedelta(days=6))  # Wednesday 2 Dec 09:00
    api.refresh_tokens(api.client.application)
    api.post("control", "/api/procedures/P/versions/2/publish", DECISION)
    [late] = api.get("control", "/api/procedures/late").json["items"]
    assert (late["code"], late["version"], late["due_at"]) == ("P", 2, "2026-12-01T17:00:00+07:00")
    assert api.get("control", "/api/procedures/late?days=5").json["items"] == []
    assert api.get("ana", "/api/procedures/late").status_code == 403


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.bpmn")), ids=lambda p: p.name)
def test_every_corpus_file_gets_a_report_and_never_a_5xx(review, path):
    code, files = corpus_files(path)
    r = upload(review, "ana", code, files)
    assert r.status_code in (201, 422), r.json
    report = r.json["report"]
    assert report["problems"] and all(p["severity"] in ("error", "warning") for p in report["problems"])
    if path.name in LOCATED:
        line, element, severity, words = LOCATED[path.name]
        assert any((p["line"], p["element_id"], p["severity"]) == (line, element, severity) and words in p["message"]
                   for p in report["problems"])
    if r.status_code == 422:
        assert r.json["errors"][0]["field"].startswith(path.name) and r.json["errors"][0]["problem"].startswith("error:")


@pytest.mark.parametrize("script", ESCAPES.values(), ids=ESCAPES.keys())
def test_a_hostile_script_uploaded_is_refused_and_located(review, script):
    files = {"procedure.toml": metadata("EVIL").encode(), "EVIL.bpmn": script_process(script).xml()}
    r = upload(review, "ana", "EVIL", files)
    assert r.status_code == 422 and not r.json["report"]["valid"]
    assert any(e["field"].startswith("EVIL.bpmn:") and e["field"].endswith("[s]") for e in r.json["errors"]), r.json


def test_a_zip_upload_and_the_ones_refused(review):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in p_files(statutory_days=6).items():
            z.writestr("P/" + (name if name.startswith("forms/") or not name.endswith(".json") else "forms/" + name), data)
    r = upload(review, "ana", "P", archive=buffer.getvalue())
    assert r.status_code == 201 and r.json["version"] == 2, r.json
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as z:
        z.writestr("../../P.bpmn", b"<x/>")
    r = upload(review, "ana", "P", archive=slip.getvalue())
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "../../P.bpmn"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("P.bpmn", b"\0" * (3 * 1024 * 1024))
    r = upload(review, "ana", "P", archive=bomb.getvalue())
    assert r.status_code == 413 and "zip bomb" in r.json["errors"][0]["problem"]
    r = review.client.post("/api/procedures/P/draft", headers=review.h("ana"), json={"files": []})
    assert r.status_code == 415


def test_validate_without_storing(review):
    r = review.client.post("/api/procedures/validate", headers=review.h("control"),
                           data=parts(p_files(statutory_days=6)), content_type="multipart/form-data")
    assert r.status_code == 200 and r.json["valid"] and r.json["code"] == "P"
    r = review.client.post("/api/procedures/validate", headers=review.h("desk"),
                           data=parts(p_files()), content_type="multipart/form-data")
    assert r.status_code == 403
    assert review.get("ana", "/api/procedures/P/versions").json["items"][0]["state"] == "published"


def test_a_multipart_part_without_a_name_is_a_422_naming_it(review):
    # Found by the fuzzer: Werkzeug keys a part without a name as None, which failed the sorting (500).
    body = b'--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n'
    r = review.client.post("/api/procedures/P/draft", data=body, content_type="multipart/form-data; boundary=b",
                           headers=review.h("ana"))
    assert r.status_code == 422 and r.json["errors"] == [{"field": "(unnamed part)", "problem": "unexpected part"}]


@pytest.mark.parametrize("number", [2**31, 2**63, 2**64], ids=["2^31", "2^63", "2^64"])
@pytest.mark.parametrize("action", ["report", "diff"])
def test_version_numbers_beyond_their_column_are_not_found_never_a_500(review, number, action):
    # Found by the fuzzer on PostgreSQL: versions are INTEGER (to 2**31-1); SQLite overflows past 2**63-1.
    assert upload(review, "ana", "P", p_files()).status_code == 200
    r = review.get("ana", f"/api/procedures/P/versions/{number}/{action}")
    assert r.status_code == 404, r.json
    assert review.get("ana", f"/api/procedures/P/versions/{2**31 - 1}/{action}").status_code == 404


def test_every_integer_in_a_path_is_bounded_in_the_document(review):
    doc = review.client.get("/api/openapi.json").json
    integers = {(path, p["name"]): p["schema"] for path, ops in doc["paths"].items() for op in ops.values()
                if isinstance(op, dict) for p in op.get("parameters", [])
                if p.get("in") == "path" and p["schema"].get("type") == "integer"}
    assert integers[("/api/procedures/{code}/versions/{number}/diff", "number")]["maximum"] == 2**31 - 1
    assert integers[("/api/dossiers/{dossier_id}", "dossier_id")]["maximum"] == 2**63 - 1
    assert all(schema.get("minimum") == 1 and "maximum" in schema for schema in integers.values()), integers
