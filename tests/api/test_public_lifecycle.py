"""The applicant's whole journey through HTTP with an injected clock (issue 10): submit online on a
Saturday evening, track, supplement (the appointment moves by the paused working time, N-4), pay
(R-6.2), get the result online (R-6.1), rate it (R-7.3); another withdraws (status 7)."""
from __future__ import annotations

import io
from datetime import datetime

import pytest

from engine.domain.applicant import Applicant
from engine.services.payments import FakeGateway
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

AN = Applicant("001085012345", "Nguyễn Văn An")
BINH = Applicant("079190054321", "Trần Thị Bình")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# The forms of the steps: the lifecycle load check wants every field a step reads listed by a form.
FORMS = {
    "supplement.json": {"type": "object", "required": ["missing", "reason"], "properties": {
        "missing": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"}}},
    "fee.json": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer", "minimum": 0}}},
    "return.json": {"type": "object", "required": ["return_channel"], "properties": {
        "return_channel": {"enum": ["online", "postal", "desk"]}, "tracking_number": {"type": "string"}}},
}


def journey() -> Process:
    """Registration by message; appraisal may ask for a supplement; a fee; approval; return."""
    p = Process("onl").message_start("start", "nộp hồ sơ")
    return (p.user("appraise", "Thẩm định", lane="Chuyên viên [official]", form="supplement.json",
                    props={"lifecycle": "supplement_request"})
            .receive("wait_supplement", "supplement_received")
            .user("fee", "Thông báo phí", lane="Chuyên viên [official]", form="fee.json",
                  props={"lifecycle": "payment_request"})
            .receive("wait_fee", "fee_paid")
            .user("approve", "Phê duyệt", lane="Lãnh đạo [approver]")
            .user("hand_back", "Trả kết quả", lane="Một cửa [one_stop_officer]", form="return.json",
                  props={"lifecycle": "result_return"})
            .end().chain("start", "appraise", "wait_supplement", "fee", "wait_fee", "approve", "hand_back", "end"))


@pytest.fixture
def world(api, app, services, dirs, clock):
    write_procedure(dirs[0], "ONL", journey(), forms_dir=dirs[1], forms=FORMS, statutory_days=5)
    [entry] = [e for e in services.procedures.sync() if e.folder == "ONL"]
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("ONL")
    services.applicants.gateway = FakeGateway()
    return api


def at(clock, api, app, when: datetime) -> None:
    clock.set(when)
    api.refresh_tokens(app)


def as_(app, services, who: Applicant) -> dict[str, str]:
    token, _ = app.extensions["motcua_citizen_tokens"].issue(who, services.clock.now())
    return {"Authorization": f"Bearer {token}"}


def complete(api, who: str, code: str, data: dict) -> None:
    task = api.task_of(who, code)
    answer = api.post(who, f"/api/tasks/{task['task_id']}/complete", {"data": data})
    assert answer.status_code == 200, answer.json


def test_submit_track_supplement_pay_result_rate(world, app, services, clock):
    api, c = world, world.client
    at(clock, api, app, datetime(2026, 11, 28, 19, 30, tzinfo=VN))  # Saturday 28 Nov, 19:30
    d = c.post("/api/public/dossiers", json={"procedure_code": "ONL", "data": {"business_name": "Quán phở"}},
               headers=as_(app, services, AN)).json
    code = d["code"]
    # received on Saturday evening, the count starts Monday 30 Nov 07:00; 5 working days
    # (Mon-Fri, 8 h each) end Friday 4 Dec 17:00.
    assert (d["started_at"], d["due_at"]) == ("2026-11-30T07:00:00+07:00", "2026-12-04T17:00:00+07:00")
    assert c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN)).status_code == 409

    # Tuesday 1 Dec 09:00: appraisal asks for a supplement; the clock pauses (4 -> 5).
    at(clock, api, app, datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    complete(api, "an", code, {"missing": ["Bản sao hợp đồng thuê nhà"], "reason": "Thiếu hợp đồng thuê"})
    mine = c.get(f"/api/public/dossiers/{code}", headers=as_(app, services, AN)).json
    assert (mine["status"], mine["status_code"], mine["paused_since"]) == \
        ("supplement_requested", 5, "2026-12-01T09:00:00+07:00")
    [notice] = [n for n in mine["notices"] if n["kind"] == "supplement_requested"]
    assert notice["detail"]["missing"] == ["Bản sao hợp đồng thuê nhà"]
    public = c.get(f"/api/public/track/{code}").json
    assert (public["status"], public["status_code"]) == ("supplement_requested", 5)
    # Only the owner supplements: another applicant's attempt finds no such dossier.
    assert c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "hd.pdf")},
                  headers=as_(app, services, BINH)).status_code == 404
    assert c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, BINH)).status_code == 404

    # Wednesday 2 Dec 10:00: the applicant uploads the contract and submits the supplement (5 -> 4).
    at(clock, api, app, datetime(2026, 12, 2, 10, 0, tzinfo=VN))
    # Not before attaching something: an empty supplement would use the request up, and a second
    # request counts the dossier late (N-4; found by the breaker). The dossier stays waiting.
    empty = c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN))
    assert empty.status_code == 409 and "attach the missing parts" in empty.json["detail"]
    assert c.get(f"/api/public/dossiers/{code}", headers=as_(app, services, AN)).json["status_code"] == 5
    up = c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "hop-dong.pdf")},
                headers=as_(app, services, AN))
    assert up.status_code == 201, up.json
    assert up.json["uploaded_by"] == f"citizen:{AN.id_number}" and up.json["content_type"] == "application/pdf"
    fake = c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_bytes(b"MZ\x90\x00 not a pdf"), "x.pdf")},
                  headers=as_(app, services, AN))
    assert fake.status_code == 415  # the content is sniffed, as for officials' uploads (R-8.4)
    done = c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN))
    assert done.status_code == 200, done.json
    # N-4: the paused working time is Tue 1 Dec 09:00-11:30 (2.5 h) + 13:30-17:00 (3.5 h) + Wed 2 Dec
    # 07:00-10:00 (3 h) = 9 working hours. The appointment moves from Fri 4 Dec 17:00 (= Mon 7 Dec
    # 07:00) by 9 working hours: Mon 7 Dec 07:00-17:00 is 8 h, 1 h more is Tue 8 Dec 08:00.
    assert (done.json["status"], done.json["due_at"], done.json["paused_since"]) == \
        ("processing", "2026-12-08T08:00:00+07:00", None)
    assert c.get(f"/api/public/track/{code}").json["due_at"] == "2026-12-08T08:00:00+07:00"
    # Handling resumed: no more files from the applicant, and no second supplement without a request.
    assert c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "late.pdf")},
                  headers=as_(app, services, AN)).status_code == 409
    assert c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN)).status_code == 409

    # Wednesday 14:00 the fee is requested (4 -> 6); 15:00 the applicant pays online (6 -> 4).
    at(clock, api, app, datetime(2026, 12, 2, 14, 0, tzinfo=VN))
    complete(api, "an", code, {"amount": 100000})
    at(clock, api, app, datetime(2026, 12, 2, 15, 0, tzinfo=VN))
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, BINH)).status_code == 404
    paid = c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN))
    assert paid.status_code == 200, paid.json
    assert paid.json["status"] == "processing"
    assert (paid.json["fee"]["amount"], paid.json["fee"]["reference"], paid.json["fee"]["method"]) == \
        (100000, "FAKE-000001", "online")
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN)).status_code == 409
    assert len(services.applicants.gateway.charged) == 1  # never charged twice
    assert c.post(f"/api/public/dossiers/{code}/rating", json={"rating": "satisfied"},
                  headers=as_(app, services, AN)).status_code == 409  # still in handling: not rated yet

    # Thursday 3 Dec: approved, the result attached and returned online (4 -> 9 -> 10).
    at(clock, api, app, datetime(2026, 12, 3, 9, 0, tzinfo=VN))
    complete(api, "chi", code, {})
    official_file = api.post("desk", f"/api/dossiers/{d_id(api, code)}/attachments",
                             data={"file": (_pdf(b"%PDF-1.4\nGiay chung nhan\n%%EOF\n"), "ket-qua.pdf"),
                                   "is_result": "true"})
    assert official_file.status_code == 201 and official_file.json["is_result"] is True, official_file.json
    # An appraiser's working note: never the applicant's to download, even after the return.
    note = api.post("desk", f"/api/dossiers/{d_id(api, code)}/attachments",
                    data={"file": (_pdf(b"%PDF-1.4\nPhieu tham dinh noi bo\n%%EOF\n"), "tham-dinh.pdf")})
    assert note.status_code == 201 and note.json["is_result"] is False, note.json
    files = c.get(f"/api/public/dossiers/{code}/attachments", headers=as_(app, services, AN)).json["items"]
    assert [f["filename"] for f in files] == ["hop-dong.pdf"]  # the result only once returned online
    at(clock, api, app, datetime(2026, 12, 3, 10, 0, tzinfo=VN))
    complete(api, "desk", code, {"return_channel": "online"})
    files = c.get(f"/api/public/dossiers/{code}/attachments", headers=as_(app, services, AN)).json["items"]
    result = [f for f in files if f["filename"] == "ket-qua.pdf"]
    assert len(result) == 1
    assert "tham-dinh.pdf" not in [f["filename"] for f in files]  # officials' working documents stay inside
    assert c.get(f"/api/public/dossiers/{code}/attachments/{note.json['id']}",
                 headers=as_(app, services, AN)).status_code == 404
    got = c.get(f"/api/public/dossiers/{code}/attachments/{result[0]['id']}", headers=as_(app, services, AN))
    assert got.status_code == 200 and got.data.startswith(b"%PDF-1.4\nGiay chung nhan")
    assert "attachment" in got.headers["Content-Disposition"] and got.headers["X-Content-Type-Options"] == "nosniff"
    assert c.get(f"/api/public/dossiers/{code}/attachments/{result[0]['id']}",
                 headers=as_(app, services, BINH)).status_code == 404

    # The history, with times, from the status events (N-8).
    mine = c.get(f"/api/public/dossiers/{code}", headers=as_(app, services, AN)).json
    assert [(h["status_code"], h["at"][:16]) for h in mine["history"]] == [
        (1, "2026-11-28T19:30"), (2, "2026-11-28T19:30"), (4, "2026-11-28T19:30"),
        (5, "2026-12-01T09:00"), (4, "2026-12-02T10:00"), (6, "2026-12-02T14:00"), (4, "2026-12-02T15:00"),
        (9, "2026-12-03T10:00"), (10, "2026-12-03T10:00")]
    assert (mine["return_channel"], mine["outcome"]) == ("online", "result")

    # the data store keeps the form and the result; the form prefills a later submission.
    store = c.get("/api/public/store", headers=as_(app, services, AN)).json
    assert [(f["dossier_code"], f["data"]) for f in store["forms"]] == [(code, {"business_name": "Quán phở"})]
    assert [(r["dossier"]["code"], [f["filename"] for f in r["files"]]) for r in store["results"]] == \
        [(code, ["ket-qua.pdf"])]
    prefill = c.get("/api/public/store/prefill/ONL", headers=as_(app, services, AN))
    assert prefill.status_code == 200 and prefill.json["data"] == {"business_name": "Quán phở"}
    assert c.get("/api/public/store/prefill/ONL", headers=as_(app, services, BINH)).status_code == 404
    assert c.get("/api/public/store", headers=as_(app, services, BINH)).json == {"forms": [], "results": []}

    # one rating per finished dossier.
    rated = c.post(f"/api/public/dossiers/{code}/rating", json={"rating": "satisfied", "comment": "Nhanh, chu đáo"},
                   headers=as_(app, services, AN))
    assert rated.status_code == 201, rated.json
    assert (rated.json["rating"], rated.json["comment"]) == ("satisfied", "Nhanh, chu đáo")
    again = c.post(f"/api/public/dossiers/{code}/rating", json={"rating": "not_satisfied"},
                   headers=as_(app, services, AN))
    assert again.status_code == 409
    assert c.get(f"/api/public/dossiers/{code}", headers=as_(app, services, AN)).json["rating"]["rating"] == "satisfied"
    bad = c.post(f"/api/public/dossiers/{code}/rating", json={"rating": "great"}, headers=as_(app, services, AN))
    assert bad.status_code in (400, 422) and bad.json["errors"][0]["field"] == "rating"


def test_another_applicant_withdraws(world, app, services, clock):
    api, c = world, world.client
    code = c.post("/api/public/dossiers", json={"procedure_code": "ONL"}, headers=as_(app, services, BINH)).json["code"]
    assert c.post(f"/api/public/dossiers/{code}/withdrawal", json={}, headers=as_(app, services, AN)).status_code == 404
    clock.advance(hours=1)
    gone = c.post(f"/api/public/dossiers/{code}/withdrawal", json={"reason": "Nộp nhầm thủ tục"},
                  headers=as_(app, services, BINH))
    assert gone.status_code == 200, gone.json
    assert (gone.json["status"], gone.json["status_code"], gone.json["outcome"], gone.json["status_reason"]) == \
        ("withdrawn", 7, "withdrawn", "Nộp nhầm thủ tục")
    assert api.get("an", f"/api/tasks?dossier={code}").json["total"] == 0  # its handling ended
    assert c.post(f"/api/public/dossiers/{code}/withdrawal", json={},
                  headers=as_(app, services, BINH)).status_code == 409
    assert c.get(f"/api/public/track/{code}").json["status_code"] == 7


def test_a_result_cannot_be_withdrawn_and_payment_needs_a_gateway(world, app, services, clock):
    api, c = world, world.client
    code = c.post("/api/public/dossiers", json={"procedure_code": "ONL"}, headers=as_(app, services, AN)).json["code"]
    services.applicants.gateway = None
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN)).status_code == 503
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, BINH)).status_code == 404
    services.applicants.gateway = FakeGateway()
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN)).status_code == 409
    clock.advance(hours=1)
    api.refresh_tokens(app)
    complete(api, "an", code, {"missing": ["Giấy tờ"], "reason": "Thiếu"})
    c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "giay-to.pdf")}, headers=as_(app, services, AN))
    assert c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN)).status_code == 200
    complete(api, "an", code, {"amount": 50000})
    services.applicants.gateway.declines.add(code)
    declined = c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN))
    assert declined.status_code == 422 and "declined" in declined.json["detail"]
    services.applicants.gateway.declines.clear()
    assert c.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN)).status_code == 200
    complete(api, "chi", code, {})
    complete(api, "desk", code, {"return_channel": "desk"})  # processed and returned: a result exists
    late = c.post(f"/api/public/dossiers/{code}/withdrawal", json={}, headers=as_(app, services, AN))
    assert late.status_code == 409
    # An applicant cannot act as an official, e.g. deliver the message themselves.
    assert c.post(f"/api/dossiers/{d_id(api, code)}/messages/fee_paid", json={"payload": {}},
                  headers=as_(app, services, AN)).status_code == 403


def test_the_catalogue_shows_what_to_submit(world, app, services):
    items = world.client.get("/api/public/procedures").json["items"]
    onl = next(i for i in items if i["code"] == "ONL")
    assert (onl["statutory_days"], onl["name"], onl["registration_forms"]) == (5, "Thủ tục thử nghiệm ONL",
                                                                                {"nộp hồ sơ": {}})
    p = next(i for i in items if i["code"] == "P")  # started by a plain start event: no registration form
    assert p["registration_forms"] == {}


def d_id(api, code: str) -> int:
    """The dossier's id in the officials' API."""
    return api.services.dossiers.get(code=code).id


def _pdf(content: bytes = PDF) -> io.BytesIO:
    return io.BytesIO(content)


def _bytes(content: bytes) -> io.BytesIO:
    return io.BytesIO(content)


def test_a_file_sent_while_the_supplement_is_submitted_is_refused_not_attached_late(world, app, services, monkeypatch):
    """The applicant's files are taken while the dossier waits for them (status 5). Found by the
    breaker: the status was checked in one transaction and the file written in another, so a file
    racing the supplement's submission was attached after it, to a dossier back in handling whose
    officials had been told the supplement was complete. The check is now made in the file's own
    transaction, with the dossier's row held (no save of it can pass until the file is written)."""
    from engine.services.attachments import AttachmentService

    api, c = world, world.client
    code = c.post("/api/public/dossiers", json={"procedure_code": "ONL"}, headers=as_(app, services, AN)).json["code"]
    complete(api, "an", code, {"missing": ["Hợp đồng", "Giấy phép"], "reason": "Thiếu"})
    assert c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "hop-dong.pdf")},
                  headers=as_(app, services, AN)).status_code == 201
    upload, raced = AttachmentService.upload, []

    def supplement_first(self, *args, **kwargs):  # the supplement lands between the request's checks and its write
        if not raced:
            raced.append(c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN)).status_code)
        return upload(self, *args, **kwargs)

    monkeypatch.setattr(AttachmentService, "upload", supplement_first)
    late = c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (_pdf(), "giay-phep.pdf")},
                  headers=as_(app, services, AN))
    assert raced == [200]
    assert late.status_code == 409, late.json
    files = c.get(f"/api/public/dossiers/{code}/attachments", headers=as_(app, services, AN)).json["items"]
    assert [f["filename"] for f in files] == ["hop-dong.pdf"]
