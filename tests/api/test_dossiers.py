"""Registering dossiers at the desk, their status and timeline, attachments."""
import io
from datetime import timedelta

import pytest

from tests.api.conftest import AGENCY

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4e00000000049454e44ae426082")


def test_desk_registers_a_dossier(api):
    d = api.register(applicant={"name": "Nguyễn Văn An", "id_number": "079123456789", "email": "an@example.vn"},
                     data={"business_name": "Tạp hóa An"})
    assert d["code"] == f"{AGENCY}-261126-0001"  # N-1
    assert d["status"] == "processing" and d["channel"] == "desk" and d["procedure_version"] == 1
    assert d["due_at"] == "2026-12-03T09:00:00+07:00"  # 5 working days from Thu 26 Nov 09:00
    assert [t["element_id"] for t in d["current_tasks"]] == ["receive"]
    assert d["applicant"]["id_number"] == "079123456789"


def test_postal_dossier_received_earlier(api, clock, app):
    published = clock.now()
    clock.advance(timedelta(days=1))
    api.refresh_tokens(app)
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"}, "channel": "postal",
                                          "received_at": (published + timedelta(hours=2)).isoformat()})
    # a past reception time is a back-dated entry, never silent: it needs the reason
    assert r.status_code == 422 and r.json["errors"] == [{"field": "reason", "problem": "required with a past time (R-9.3)"}]
    d = api.register(channel="postal", received_at=(published + timedelta(hours=2)).isoformat(),
                     reason="arrived by post on Thursday")
    assert d["channel"] == "postal" and d["code"].endswith("-261126-0001")
    assert d["received_at"] == "2026-11-26T11:00:00+07:00"
    # received before the procedure was in effect: no version applies
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"}, "channel": "postal",
                                          "received_at": (published - timedelta(hours=1)).isoformat(),
                                          "reason": "arrived by post"})
    assert r.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"procedure_code": "P"}, "applicant"),
        ({"procedure_code": "P", "applicant": {"name": ""}}, "applicant.name"),
        ({"procedure_code": "P", "applicant": {"name": "A", "email": "not-mail"}}, "applicant.email"),
        ({"procedure_code": "P", "applicant": {"name": "A"}, "channel": "online"}, "channel"),
        ({"procedure_code": "P", "applicant": {"name": "A"}, "received_at": "2026-11-26T09:00"}, "received_at"),
        ({"procedure_code": "P", "applicant": {"name": "A"}, "data": []}, "data"),
    ],
)
def test_bad_registrations_name_the_field(api, body, field):
    r = api.post("desk", "/api/dossiers", body)
    assert r.status_code == 400 and field in [e["field"] for e in r.json["errors"]], r.json


def test_a_dossier_cannot_be_received_in_the_future(api):
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"},
                                          "received_at": "2030-01-01T00:00:00+07:00"})
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "received_at"


def test_only_the_desk_registers_and_unknown_procedures_are_404(api):
    assert api.post("an", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "A"}}).status_code == 403
    r = api.post("desk", "/api/dossiers", {"procedure_code": "NOPE", "applicant": {"name": "A"}})
    assert r.status_code == 404 and r.json["type"] == "urn:motcua:problem:not-found"


def test_dossier_timeline_who_received_due_done(api, clock):
    d = api.register()
    receive = api.task_of("desk", d["code"])
    clock.advance(timedelta(hours=1))
    api.post("desk", f"/api/tasks/{receive['task_id']}/complete", {"data": {"complete": True}})
    view = api.get("an", f"/api/dossiers/{d['id']}").json
    first, second = view["timeline"]
    assert (first["element_id"], first["who"], first["timeliness"]) == ("receive", "desk", "early")
    assert first["received_at"] == "2026-11-26T09:00:00+07:00" and first["done_at"] == "2026-11-26T10:00:00+07:00"
    assert first["due_at"] == "2026-11-27T09:00:00+07:00"  # 8 working hours
    assert second["done_at"] is None and second["role"] == "official"
    assert [e["kind"] for e in view["events"] if e["kind"] != "status"] == ["received", "notice.received"]
    assert [e["detail"]["status_code"] for e in view["events"] if e["kind"] == "status"] == [1, 2, 4]  # N-8


def test_dossiers_of_other_agencies_do_not_exist_for_the_caller(api):
    d = api.register()
    assert api.get("other", f"/api/dossiers/{d['id']}").status_code == 404
    assert api.get("control", f"/api/dossiers/{d['id']}").status_code == 200
    assert api.get("an", "/api/dossiers/999999").status_code == 404


def upload(api, who, dossier_id, content, name="giay-de-nghi.pdf", mimetype="application/pdf"):
    import io

    return api.client.post(f"/api/dossiers/{dossier_id}/attachments", headers=api.h(who),
                           data={"file": (io.BytesIO(content), name, mimetype)}, content_type="multipart/form-data")


def test_attachments_upload_list_download(api):
    d = api.register()
    r = upload(api, "desk", d["id"], PDF)
    assert r.status_code == 201, r.json
    att = r.json
    assert att["content_type"] == "application/pdf" and att["size"] == len(PDF) and att["uploaded_by"] == "desk"
    assert upload(api, "an", d["id"], PNG, "ban-ve.png", "image/png").status_code == 201
    items = api.get("an", f"/api/dossiers/{d['id']}/attachments").json["items"]
    assert [i["filename"] for i in items] == ["giay-de-nghi.pdf", "ban-ve.png"]
    r = api.get("an", f"/api/dossiers/{d['id']}/attachments/{att['id']}")
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert "giay-de-nghi.pdf" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"  # a file is never sniffed into a page
    assert api.get("other", f"/api/dossiers/{d['id']}/attachments/{att['id']}").status_code == 404
    assert api.get("an", f"/api/dossiers/{d['id']}/attachments/999").status_code == 404


def test_attachment_type_is_checked_against_the_real_content(api):
    d = api.register()
    r = upload(api, "desk", d["id"], b"MZ\x90\x00 this is a windows program", "report.pdf", "application/pdf")
    assert r.status_code == 415 and r.json["type"] == "urn:motcua:problem:unsupported-media-type"
    r = upload(api, "desk", d["id"], PNG, "scan.pdf", "application/pdf")  # a PNG claiming to be a PDF
    assert r.status_code == 415 and "declared application/pdf" in r.json["detail"]
    assert upload(api, "desk", d["id"], b"plain text", "note.txt", "text/plain").status_code == 415
    r = api.post("desk", f"/api/dossiers/{d['id']}/attachments", {"file": "x"})  # JSON, not multipart
    assert r.status_code == 415
    r = api.client.post(f"/api/dossiers/{d['id']}/attachments", headers=api.h("desk"), data={},
                        content_type="multipart/form-data")
    assert r.status_code == 400
    assert api.get("desk", f"/api/dossiers/{d['id']}/attachments").json["items"] == []


def test_an_official_marks_the_result_file_and_nothing_else_is_one(api):
    """R-6.1: `is_result=true` marks the dossier's result (what an applicant may download after an
    online return); by default a file is a working document; any other value is a 422 on the field."""
    d = api.register()
    url = f"/api/dossiers/{d['id']}/attachments"
    plain = upload(api, "desk", d["id"], PDF)
    assert plain.status_code == 201 and plain.json["is_result"] is False
    marked = api.client.post(url, headers=api.h("desk"), content_type="multipart/form-data",
                             data={"file": (io.BytesIO(PDF), "ket-qua.pdf", "application/pdf"), "is_result": "true"})
    assert marked.status_code == 201 and marked.json["is_result"] is True
    for bad in ("yes", "1", ""):
        r = api.client.post(url, headers=api.h("desk"), content_type="multipart/form-data",
                            data={"file": (io.BytesIO(PDF), "x.pdf", "application/pdf"), "is_result": bad})
        assert r.status_code == 422 and r.json["errors"][0]["field"] == "is_result", (bad, r.json)
    items = api.get("desk", url).json["items"]
    assert [(i["filename"], i["is_result"]) for i in items] == [("giay-de-nghi.pdf", False), ("ket-qua.pdf", True)]


def test_attachment_size_limit(api, app):
    d = api.register()
    api.services.attachments.max_bytes = 1000
    r = upload(api, "desk", d["id"], PDF + b"0" * 2000)
    assert r.status_code == 413 and r.json["type"] == "urn:motcua:problem:too-large"
    app.config["MAX_CONTENT_LENGTH"] = 5000  # the whole request, refused before it is read
    r = upload(api, "desk", d["id"], PDF + b"0" * 6000)
    assert r.status_code == 413 and r.headers["Content-Type"] == "application/problem+json"


def test_procedures_in_effect(api):
    r = api.get("an", "/api/procedures")
    assert r.status_code == 200
    [p] = r.json["items"]
    assert (p["code"], p["version"], p["statutory_days"], p["agency_id"]) == ("P", 1, 5, AGENCY)


def test_an_attachment_upload_with_an_unnamed_part_is_a_4xx_naming_it(api):
    # The kind the fuzzer found on draft upload: a part without a name (None to Werkzeug) next to the file.
    d = api.register()
    body = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf'
            b'\r\n\r\n%PDF-1.4\r\n--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n')
    r = api.client.post(f"/api/dossiers/{d['id']}/attachments", data=body, headers=api.h("desk"),
                        content_type="multipart/form-data; boundary=b")
    assert r.status_code == 400 and r.json["errors"] == [{"field": "(unnamed part)", "problem": "unexpected part"}]
