"""The applicants' API (/api/public, issue 10): identity, submit online, track (R-2, R-7.1, R-8.1)."""
from __future__ import annotations

from datetime import datetime

import pytest

from api.citizen_tokens import CitizenTokenService
from engine.domain.applicant import Applicant
from tests.api.conftest import AGENCY
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure

AN = Applicant("001085012345", "Nguyễn Văn An")
BINH = Applicant("079190054321", "Trần Thị Bình")
REGISTRATION = {"type": "object", "required": ["business_name"], "additionalProperties": False,
                "properties": {"business_name": {"type": "string", "minLength": 3},
                               "capital_vnd": {"type": "integer", "minimum": 0}}}


def online_procedure() -> Process:
    """Registration is the message start `nộp hồ sơ` with its form; then appraisal and approval."""
    p = Process("onl").message_start("start", "nộp hồ sơ")
    p.message("nộp hồ sơ", form="registration.json")
    return (p.user("appraise", "Thẩm định", lane="Chuyên viên [official]", hours=16)
            .user("approve", "Phê duyệt", lane="Lãnh đạo [approver]", hours=4)
            .end().chain("start", "appraise", "approve", "end"))


@pytest.fixture
def public(api, app, services, dirs):
    write_procedure(dirs[0], "ONL", online_procedure(), forms_dir=dirs[1],
                    forms={"registration.json": REGISTRATION}, statutory_days=5)
    [entry] = [e for e in services.procedures.sync() if e.folder == "ONL"]
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("ONL")
    return api


def citizen(app, services, who: Applicant = AN) -> dict[str, str]:
    token, _ = app.extensions["motcua_citizen_tokens"].issue(who, services.clock.now())
    return {"Authorization": f"Bearer {token}"}


def submit(public, app, services, who: Applicant = AN, **body):
    payload = {"procedure_code": "ONL", "data": {"business_name": "Quán phở Hà Nội"}, **body}
    return public.client.post("/api/public/dossiers", json=payload, headers=citizen(app, services, who))


# ------------------------------------------------------------------ identity

def test_an_applicants_token_never_grants_an_officials_action_and_vice_versa(public, app, services):
    """Both ways 403: the token is valid, but for the other audience (R-8.1)."""
    as_citizen = citizen(app, services)
    for method, url in (("get", "/api/tasks"), ("post", "/api/dossiers"), ("get", "/api/auth/me")):
        answer = getattr(public.client, method)(url, headers=as_citizen, json={} if method == "post" else None)
        assert answer.status_code == 403, (url, answer.json)
        assert answer.json["type"] == "urn:motcua:problem:forbidden"
    for url in ("/api/public/dossiers", "/api/public/dossiers/X"):
        answer = public.get("desk", url)
        assert answer.status_code == 403, answer.json
        assert "official's token" in answer.json["detail"]
    assert public.client.get("/api/public/dossiers").status_code == 401
    forged = CitizenTokenService(app.extensions["motcua_tokens"].settings.__class__(secret_key="another-" + "k" * 40))
    token, _ = forged.issue(AN, services.clock.now())
    assert public.client.get("/api/public/dossiers", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_expired_applicant_token_is_refused(public, app, services, clock):
    headers = citizen(app, services)
    clock.advance(hours=9)  # tokens last 8 hours
    answer = public.client.get("/api/public/dossiers", headers=headers)
    assert answer.status_code == 401 and "expired" in answer.json["detail"]


def test_a_token_whose_id_number_is_not_exactly_12_digits_is_refused(public, app, services):
    """11 or 13 digits, or 12 and a newline (`$` let that one in: found by the breaker)."""
    import jwt
    s = app.extensions["motcua_tokens"].settings
    now = int(services.clock.now().timestamp())
    for id_number in ("00108501234", "0010850123456", AN.id_number + "\n"):
        claims = {"iss": s.issuer, "aud": "motcua-public", "sub": id_number, "citizen_id": id_number,
                  "name": AN.name, "scope": "citizen", "iat": now, "exp": now + 3600}
        token = jwt.encode(claims, s.secret_key, algorithm="HS256")
        answer = public.client.get("/api/public/dossiers", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401 and "12 digits" in answer.json["detail"], (id_number, answer.json)


# ------------------------------------------------------------------ submit online

def test_submitted_on_saturday_evening_counts_from_monday_morning(public, app, services, clock):
    clock.set(datetime(2026, 11, 28, 19, 30, tzinfo=VN))  # Saturday 28 Nov 2026, 19:30
    answer = submit(public, app, services, contact={"phone": "0912345678"}, digitally_signed=True)
    assert answer.status_code == 201, answer.json
    d = answer.json
    assert answer.headers["Location"] == f"/api/public/dossiers/{d['code']}"
    assert d["code"].startswith(f"{AGENCY}-261128-")  # N-1: its code at submission, dated the day of receipt
    assert (d["channel"], d["channel_code"]) == ("online", 2)  # N-8 channel 2
    assert (d["status"], d["status_code"]) == ("processing", 4)  # no reception step drawn: received at once
    assert d["received_at"] == "2026-11-28T19:30:00+07:00"
    # outside working hours the count starts at the next working time, Monday 30 Nov 07:00;
    # 5 working days (Mon 30 Nov … Fri 4 Dec, 8 h each) end on Friday 4 Dec at 17:00.
    assert d["started_at"] == "2026-11-30T07:00:00+07:00"
    assert d["due_at"] == "2026-12-04T17:00:00+07:00"
    # Name and ID number are the identity's; the signature flag and contact are recorded.
    assert d["applicant"] == {"name": AN.name, "id_number": AN.id_number, "phone": "0912345678",
                              "digitally_signed": True}
    assert [(h["status"], h["status_code"]) for h in d["history"]] == [("new", 1), ("accepted", 2), ("processing", 4)]
    assert all(h["at"] == "2026-11-28T19:30:00+07:00" for h in d["history"])
    kinds = [n["kind"] for n in d["notices"]]
    assert kinds == ["submitted", "received"]
    assert d["notices"][1]["detail"]["appointment"].startswith("2026-12-04T17:00:00")
    # The officials see the same dossier, from the online channel.
    public.refresh_tokens(app)
    [row] = public.get("an", f"/api/tasks?dossier={d['code']}").json["items"]
    assert row["element_id"] == "appraise"


def test_submission_is_checked_against_the_registration_form(public, app, services):
    answer = submit(public, app, services, data={"business_name": "X", "capital_vnd": -1, "extra": 1})
    assert answer.status_code == 422, answer.json
    fields = {e["field"] for e in answer.json["errors"]}
    assert {"data.business_name", "data.capital_vnd"} <= fields
    assert public.get("an", "/api/tasks").json["total"] == 0  # nothing half-written
    unknown = submit(public, app, services, procedure_code="NONE")
    assert unknown.status_code == 404
    bad_contact = submit(public, app, services, contact={"fax": "1"})
    assert bad_contact.status_code == 400 and bad_contact.json["errors"][0]["field"].startswith("contact")
    named = submit(public, app, services, applicant={"name": "Someone else"})
    assert named.status_code == 400  # the name is the token's, never the body's


# ------------------------------------------------------------------ track

def test_a_strangers_lookup_by_code_shows_nothing_personal(public, app, services):
    d = submit(public, app, services, contact={"phone": "0912345678", "address": "12 Hàng Bông"}).json
    answer = public.client.get(f"/api/public/track/{d['code']}")  # no token at all
    assert answer.status_code == 200, answer.json
    assert set(answer.json) == {"code", "procedure_code", "procedure_name", "status", "status_code",
                                "received_at", "due_at"}
    assert (answer.json["status"], answer.json["status_code"]) == ("processing", 4)
    assert answer.json["procedure_name"] == "Thủ tục thử nghiệm ONL"
    text = answer.get_data(as_text=True)
    for personal in (AN.name, AN.id_number, "0912345678", "Hàng Bông", "Quán phở"):
        assert personal not in text
    assert public.client.get("/api/public/track/000.00.12.H15-261126-9999").status_code == 404


def test_lookups_are_limited_per_client_address(public, app, services):
    code = submit(public, app, services).json["code"]
    answers = [public.client.get(f"/api/public/track/{code}").status_code for _ in range(31)]
    assert answers[:30] == [200] * 30  # LOOKUP_RULE: 30 per 10 minutes
    last = public.client.get(f"/api/public/track/{code}")
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1


def test_an_applicant_sees_only_their_own_dossiers(public, app, services):
    mine = submit(public, app, services).json
    theirs = submit(public, app, services, BINH).json
    listed = public.client.get("/api/public/dossiers", headers=citizen(app, services)).json
    assert (listed["total"], [d["code"] for d in listed["items"]]) == (1, [mine["code"]])
    assert public.client.get(f"/api/public/dossiers/{mine['code']}",
                             headers=citizen(app, services)).status_code == 200
    other = public.client.get(f"/api/public/dossiers/{theirs['code']}", headers=citizen(app, services))
    assert other.status_code == 404  # another applicant's dossier does not exist for them
    # The name is a check: the same ID number under another name is not the owner.
    impostor = Applicant(AN.id_number, "Lê Văn Cường")
    assert public.client.get(f"/api/public/dossiers/{mine['code']}",
                             headers=citizen(app, services, impostor)).status_code == 404
    assert public.client.get("/api/public/dossiers", headers=citizen(app, services, impostor)).json["total"] == 0
    # Case, spacing and Unicode form of the name do not matter.
    same = Applicant(AN.id_number, "  nguyễn  văn AN ")
    assert public.client.get(f"/api/public/dossiers/{mine['code']}",
                             headers=citizen(app, services, same)).status_code == 200


def test_pages_of_my_dossiers_leave_out_another_name_before_they_are_cut(public, app, services, clock):
    """R-7.1: dossiers filed under my ID number with another name are not mine; they used to be left
    out after the page was cut (found by the breaker): a page of another's dossiers came back empty
    with a total that did not count mine."""
    mine = [submit(public, app, services).json["code"] for _ in range(3)]
    clock.advance(minutes=5)
    impostor = Applicant(AN.id_number, "Lê Văn Cường")
    for _ in range(2):  # newer: first in the unfiltered order
        assert submit(public, app, services, impostor).status_code == 201
    pages = [public.client.get(f"/api/public/dossiers?per_page=2&page={n}", headers=citizen(app, services)).json
             for n in (1, 2)]
    assert [p["total"] for p in pages] == [3, 3]
    assert [d["code"] for p in pages for d in p["items"]] == mine[::-1]  # newest first, all of mine


def test_the_same_submission_with_the_same_idempotency_key_files_one_dossier(public, app, services):
    """A double click, or a retry after a lost answer, sent with the same Idempotency-Key: one dossier
    (found by the breaker: each repeat filed another dossier, with its own code and notices)."""
    key = {"Idempotency-Key": "3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"}
    payload = {"procedure_code": "ONL", "data": {"business_name": "Quán phở Hà Nội"}}
    first = public.client.post("/api/public/dossiers", json=payload, headers={**citizen(app, services), **key})
    again = public.client.post("/api/public/dossiers", json=payload, headers={**citizen(app, services), **key})
    assert (first.status_code, again.status_code) == (201, 201), again.json
    assert again.json["code"] == first.json["code"] and again.headers["Location"] == first.headers["Location"]
    listed = public.client.get("/api/public/dossiers", headers=citizen(app, services)).json
    assert listed["total"] == 1
    store = public.client.get("/api/public/store", headers=citizen(app, services)).json
    assert len(store["forms"]) == 1  # the data store's copy, once
    # Another submission under a used key is refused, naming the header; another applicant's key is theirs.
    other = public.client.post("/api/public/dossiers", json={**payload, "data": {"business_name": "Tiệm bánh"}},
                               headers={**citizen(app, services), **key})
    assert other.status_code == 422 and other.json["errors"][0]["field"] == "Idempotency-Key"
    theirs = public.client.post("/api/public/dossiers", json=payload, headers={**citizen(app, services, BINH), **key})
    assert theirs.status_code == 201 and theirs.json["code"] != first.json["code"]
    bad = public.client.post("/api/public/dossiers", json=payload,
                             headers={**citizen(app, services), "Idempotency-Key": "x" * 65})
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "Idempotency-Key"
    # Without a key two submissions are two dossiers, as two filings may well be meant.
    for _ in range(2):
        assert submit(public, app, services).status_code == 201
    assert public.client.get("/api/public/dossiers", headers=citizen(app, services)).json["total"] == 3


def test_a_submission_refused_keeps_nothing_under_its_key(public, app, services):
    key = {"Idempotency-Key": "retry-after-fixing"}
    bad = public.client.post("/api/public/dossiers", json={"procedure_code": "ONL", "data": {"business_name": "X"}},
                             headers={**citizen(app, services), **key})
    assert bad.status_code == 422
    fixed = public.client.post("/api/public/dossiers", json={"procedure_code": "ONL", "data": {"business_name": "Xôi"}},
                               headers={**citizen(app, services), **key})
    assert fixed.status_code == 201, fixed.json


@pytest.mark.parametrize("round_", range(2))
def test_racing_submissions_with_one_key_file_one_dossier(public, app, services, round_):
    """Four at once with one key: whichever commits first files the dossier; the others, whether
    they find its key before starting or collide with it at their commit, answer that dossier."""
    import threading

    headers = {**citizen(app, services), "Idempotency-Key": f"race-{round_}"}
    payload = {"procedure_code": "ONL", "data": {"business_name": "Quán phở Hà Nội"}}
    barrier, answers = threading.Barrier(4), []

    def run():
        client = app.test_client()
        barrier.wait()
        r = client.post("/api/public/dossiers", json=payload, headers=headers)
        answers.append((r.status_code, (r.json or {}).get("code")))

    threads = [threading.Thread(target=run) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert {status for status, _ in answers} == {201}, answers
    assert len({code for _, code in answers}) == 1
    assert public.client.get("/api/public/dossiers", headers=citizen(app, services)).json["total"] == 1
