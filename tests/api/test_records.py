"""GET /api/dossiers/{id}/records/{kind} (N-2): HTML or JSON, the dossier view's visibility, 404 naming why."""
from datetime import timedelta

from tests.support.lifecycle import change


def test_receipt_slip_as_json_and_as_html(api):
    d = api.register(applicant={"name": "Nguyễn Văn An"})  # Thu 26 Nov 2026 09:00; P: 5 working days
    r = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt")
    assert r.status_code == 200 and r.mimetype == "application/json"
    # 5 working days from Thu 26 Nov 09:00: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 Dec 09:00.
    assert (r.json["dossier_code"], r.json["appointment"]) == (d["code"], "2026-12-03T09:00:00+07:00")
    assert r.json["appointment"] == d["due_at"]
    page = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt", headers={
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})  # a browser
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    html = page.get_data().decode("utf-8")
    assert f"Mã hồ sơ: {d['code']}" in html and "Ngày hẹn trả kết quả: 03/12/2026 09:00" in html
    assert "script-src" not in page.headers["Content-Security-Policy"] and "default-src 'none'" in page.headers[
        "Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store" and "Accept" in page.headers["Vary"]
    assert api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=html").mimetype == "text/html"
    assert api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=json",
                   headers={"Accept": "text/html"}).mimetype == "application/json"


def test_control_sheet_and_visibility(api, clock):
    d = api.register()
    task = api.task_of("desk", d["code"])
    api.post("desk", f"/api/tasks/{task['task_id']}/claim")
    clock.advance(timedelta(hours=1))
    assert api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {"complete": True}}).status_code == 200
    r = api.get("head", f"/api/dossiers/{d['id']}/records/control")
    assert r.status_code == 200
    first = r.json["steps"][0]
    # Reception: received 09:00, 8 working hours -> Fri 27 Nov 09:00; done 10:00: early (N-7).
    assert (first["name"], first["who"]["username"], first["due_at"], first["done_at"], first["timeliness"]) == (
        "Tiếp nhận hồ sơ", "desk", "2026-11-27T09:00:00+07:00", "2026-11-26T10:00:00+07:00", "early")
    assert api.get("control", f"/api/dossiers/{d['id']}/records/control").status_code == 200  # oversight
    hidden = api.get("other", f"/api/dossiers/{d['id']}/records/control")
    assert hidden.status_code == 404 and hidden.json["detail"] == f"dossier {d['id']} does not exist"


def test_a_record_that_does_not_apply_is_404_naming_why(api):
    d = api.register()
    r = api.get("desk", f"/api/dossiers/{d['id']}/records/apology?format=html")
    assert r.status_code == 404 and r.mimetype == "application/problem+json"
    assert "never re-appointed" in r.json["detail"]
    r = api.get("desk", f"/api/dossiers/{d['id']}/records/receipts")
    assert r.status_code == 404 and "kinds: receipt, supplement" in r.json["detail"]
    r = api.get("desk", f"/api/dossiers/{d['id']}/records/receipt?format=pdf")
    assert r.status_code in (400, 422) and r.json["errors"][0]["field"].endswith("format")
    assert api.get("desk", "/api/dossiers/999/records/control").status_code == 404


def test_stop_notice_escapes_what_was_typed(api):
    d = api.register(applicant={"name": "<b>Lê</b> Thị Hoa"})
    change(api.services, d["id"], lambda x, now, cal: x.stop(now, "<script>alert(1)</script>", cal))
    html = api.get("desk", f"/api/dossiers/{d['id']}/records/stop?format=html").get_data().decode("utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;Lê&lt;/b&gt; Thị Hoa" in html
