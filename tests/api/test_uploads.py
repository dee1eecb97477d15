"""The multipart rules shared by every one-file upload (api/uploads.py): officials'
POST /api/dossiers/{id}/attachments and applicants' POST /api/public/dossiers/{code}/attachments.
Found breaking R-6.1's is_result: the public upload sorted the part names itself, so a part without a
name beside another stray part was a 500; a field sent as a file part was silently ignored."""
from __future__ import annotations

import pytest

from engine.domain.applicant import Applicant

AN = Applicant("001085012345", "Nguyễn Văn An")
PDF_PART = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\nContent-Type: application/pdf'
            b'\r\n\r\n%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n\r\n')
UNNAMED = b'--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n'
STRAY = b'--b\r\nContent-Disposition: form-data; name="zz"\r\n\r\ny\r\n'
FLAG_AS_FILE = (b'--b\r\nContent-Disposition: form-data; name="is_result"; filename="flag.txt"\r\n'
                b'Content-Type: text/plain\r\n\r\ntrue\r\n')
END = b'--b--\r\n'


@pytest.fixture
def urls(api, app, services):
    d = api.register(applicant={"name": AN.name, "id_number": AN.id_number})
    token, _ = app.extensions["motcua_citizen_tokens"].issue(AN, services.clock.now())
    return {"official": (f"/api/dossiers/{d['id']}/attachments", api.h("desk")),
            "public": (f"/api/public/dossiers/{d['code']}/attachments", {"Authorization": f"Bearer {token}"})}


def post(api, target, body):
    url, headers = target
    return api.client.post(url, data=body, headers=headers, content_type="multipart/form-data; boundary=b")


@pytest.mark.parametrize("who", ["official", "public"])
def test_stray_parts_named_or_not_are_a_400_naming_each(api, urls, who):
    r = post(api, urls[who], PDF_PART + UNNAMED + STRAY + END)
    assert r.status_code == 400, r.get_data(as_text=True)
    assert r.json["errors"] == [{"field": "(unnamed part)", "problem": "unexpected part"},
                                {"field": "zz", "problem": "unexpected part"}]


def test_is_result_sent_as_a_file_is_refused_not_read_as_false(api, urls):
    """`curl -F is_result=@flag.txt` sends a file part: the flag was ignored (stored as not the result)."""
    r = post(api, urls["official"], PDF_PART + FLAG_AS_FILE + END)
    assert r.status_code == 422 and r.json["errors"][0]["field"] == "is_result", r.get_data(as_text=True)
    assert api.get("desk", urls["official"][0]).json["items"] == []


def test_an_applicant_cannot_mark_their_own_file_as_the_result(api, urls):
    r = post(api, urls["public"], PDF_PART + b'--b\r\nContent-Disposition: form-data; name="is_result"\r\n\r\ntrue\r\n' + END)
    assert r.status_code == 400 and r.json["errors"] == [{"field": "is_result", "problem": "unexpected part"}]


def test_the_audit_trail_says_who_marked_or_tried_to_mark_a_result(api, urls):
    """R-6.1 marks and R-8.5: the control office sees the dossier but does not decide it, so its
    mark is 403 and stores nothing; every attempt's record names the actor and the mark."""
    from sqlalchemy import select

    from engine.persistence.models import AuditRecord

    url, _ = urls["official"]
    flag = b'--b\r\nContent-Disposition: form-data; name="is_result"\r\n\r\ntrue\r\n'
    refused = api.client.post(url, data=PDF_PART + flag + END, headers=api.h("control"),
                              content_type="multipart/form-data; boundary=b")
    assert refused.status_code == 403, refused.get_data(as_text=True)
    assert post(api, urls["official"], PDF_PART + flag + END).status_code == 201
    assert post(api, urls["official"], PDF_PART + END).status_code == 201
    assert [(i["uploaded_by"], i["is_result"]) for i in api.get("desk", url).json["items"]] == [
        ("desk", True), ("desk", False)]
    with api.services.ctx.uow(write=False) as uow:
        records = uow.session.scalars(select(AuditRecord).where(AuditRecord.target == url)
                                      .order_by(AuditRecord.id)).all()
        assert [(r.actor, r.outcome, r.detail.get("is_result")) for r in records] == [
            ("control", 403, True), ("desk", 201, True), ("desk", 201, None)]


def test_the_mark_is_changed_after_the_upload_and_the_change_is_audited(api, urls):
    """PATCH /api/dossiers/{id}/attachments/{aid} {is_result}: the correction of a mark (R-6.1); the
    body is checked (400/422 naming is_result), the audit record carries the new mark."""
    from sqlalchemy import select

    from engine.persistence.models import AuditRecord

    url, _ = urls["official"]
    flag = b'--b\r\nContent-Disposition: form-data; name="is_result"\r\n\r\ntrue\r\n'
    aid = post(api, urls["official"], PDF_PART + flag + END).json["id"]
    target = f"{url}/{aid}"
    for bad in ({}, {"is_result": "yes"}, {"is_result": None}, {"is_result": True, "filename": "x"}):
        r = api.client.patch(target, json=bad, headers=api.h("desk"))
        assert r.status_code in (400, 422) and r.json["errors"][0]["field"] in ("is_result", "filename"), (bad, r.json)
    assert api.client.patch(target, json={"is_result": False}, headers=api.h("control")).status_code == 403
    done = api.client.patch(target, json={"is_result": False}, headers=api.h("chi"))
    assert done.status_code == 200 and done.json["is_result"] is False, done.json
    assert api.get("desk", url).json["items"][0]["is_result"] is False
    assert api.client.patch(f"{url}/{aid + 9}", json={"is_result": True}, headers=api.h("desk")).status_code == 404
    with api.services.ctx.uow(write=False) as uow:
        records = uow.session.scalars(select(AuditRecord).where(AuditRecord.target == target, AuditRecord.outcome < 500)
                                      .order_by(AuditRecord.id)).all()
        marks = [(r.actor, r.outcome, r.detail.get("is_result")) for r in records if r.outcome in (200, 403)]
    assert marks == [("control", 403, False), ("chi", 200, False)]
