"""The inbox and task actions: visibility by agency and role, claim/assign/delegate/complete."""
import threading
from datetime import timedelta

from sqlalchemy import select

from engine.persistence.models import AuditRecord
from tests.api.conftest import AGENCY


def advance_to_appraisal(api):
    d = api.register()
    receive = api.task_of("desk", d["code"])
    r = api.post("desk", f"/api/tasks/{receive['task_id']}/complete", {"data": {"complete": True}})
    assert r.status_code == 200, r.json
    return d, api.task_of("an", d["code"])


def test_inbox_shows_only_the_callers_agency_and_roles(api):
    d, task = advance_to_appraisal(api)
    assert task["element_id"] == "appraise" and task["candidate_role"] == "official"
    assert task["dossier_code"] == d["code"] and task["overdue"] is False
    assert api.get("binh", "/api/tasks").json["total"] == 1
    assert api.get("chi", "/api/tasks").json["total"] == 0  # approver: not yet
    assert api.get("other", "/api/tasks").json["total"] == 0  # another agency
    assert api.get("head", "/api/tasks").json["total"] == 1  # agency head oversees
    assert api.get("control", "/api/tasks").json["total"] == 1  # control office oversees
    assert api.get("other", f"/api/tasks/{task['task_id']}").status_code == 404


def test_inbox_filters_sort_and_paging(api, clock, app):
    tasks = []
    for _ in range(3):
        tasks.append(advance_to_appraisal(api)[1])
        clock.advance(timedelta(minutes=10))
    t0, t1, t2 = (t["task_id"] for t in tasks)
    api.post("an", f"/api/tasks/{t1}/claim")
    ids = lambda r: [t["task_id"] for t in r.json["items"]]
    assert ids(api.get("an", "/api/tasks?assignee=me")) == [t1]
    assert ids(api.get("an", "/api/tasks?unassigned=true&sort=created")) == [t0, t2]
    assert ids(api.get("binh", "/api/tasks?candidate=me&sort=created")) == [t0, t1, t2]
    r = api.get("an", "/api/tasks?sort=created&per_page=1&page=2")
    assert ids(r) == [t1] and r.json["total"] == 3
    assert api.get("an", "/api/tasks?procedure=NOPE").json["total"] == 0
    due = tasks[1]["due_at"]
    assert ids(api.get("an", f"/api/tasks?due_before={due.replace('+', '%2B')}&sort=created")) == [t0]
    assert api.get("an", "/api/tasks?overdue=true").json["total"] == 0
    clock.advance(timedelta(days=7))
    api.refresh_tokens(app)
    assert api.get("an", "/api/tasks?overdue=true").json["total"] == 3
    assert all(t["overdue"] for t in api.get("an", "/api/tasks").json["items"])
    for bad in ("assignee=you", "per_page=0", "sort=name", "due_before=2026-11-26T09:00", "page=x", "nope=1",
                "sort=due&sort=created"):
        r = api.get("an", f"/api/tasks?{bad}")
        assert r.status_code == 400 and r.json["errors"], bad


def test_task_detail_has_form_schema_data_and_history(api):
    d, task = advance_to_appraisal(api)
    r = api.get("an", f"/api/tasks/{task['task_id']}")
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    body = r.json
    assert body["form_schema"]["required"] == ["recommendation", "opinion"]
    assert body["data"]["complete"] is True and body["data"]["dossier_code"] == d["code"]
    assert [s["element_id"] for s in body["dossier"]["timeline"]] == ["receive", "appraise"]
    assert body["dossier"]["timeline"][0]["who"] == "desk"


def test_claim_unclaim_conflicts(api):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}"
    r = api.post("an", url + "/claim")
    assert r.status_code == 200 and r.json["assignee"] == "an" and r.json["version"] == 2
    r = api.post("binh", url + "/claim")
    assert r.status_code == 409 and "already claimed by an" in r.json["detail"]
    assert api.post("binh", url + "/unclaim").status_code == 403
    assert api.post("chi", url + "/claim").status_code == 404  # not their role: invisible
    assert api.post("an", url + "/unclaim").json["assignee"] is None
    assert api.post("an", url + "/unclaim").status_code == 409


def test_if_match_protects_against_stale_versions(api):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}"
    assert api.post("an", url + "/claim", headers={"If-Match": '"1"'}).status_code == 200
    r = api.post("an", url + "/unclaim", headers={"If-Match": '"1"'})
    assert r.status_code == 409 and "version 2" in r.json["detail"]
    assert api.post("an", url + "/unclaim", headers={"If-Match": "abc"}).status_code == 400
    assert api.post("an", url + "/unclaim", headers={"If-Match": '"2"'}).status_code == 200


def test_actions_after_a_completion_answer_409_and_stale_if_match_on_complete_too(api):
    # Issue 7: the loser of a race may arrive after the winner committed; the task is gone because
    # it was completed, so the answer is 409 (not 404, never 500).
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}"
    data = {"data": {"recommendation": "approve", "opinion": "đủ điều kiện"}}
    assert api.post("an", url + "/claim", headers={"If-Match": '"1"'}).status_code == 200
    r = api.post("an", url + "/complete", data, headers={"If-Match": '"1"'})
    assert r.status_code == 409 and "version 2" in r.json["detail"]
    assert api.post("an", url + "/complete", data, headers={"If-Match": '"2"'}).status_code == 200
    for who, action, body in (("binh", "claim", None), ("an", "unclaim", None), ("head", "assign", {"user": "binh"}),
                              ("binh", "complete", data)):
        r = api.post(who, f"{url}/{action}", body)
        assert r.status_code == 409 and "already completed" in r.json["detail"], (action, r.json)


def test_agency_head_assigns_an_official(api):
    # the head of the competent agency assigns an official.
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/assign"
    assert api.post("an", url, {"user": "binh"}).status_code == 403
    assert api.post("other_head", url, {"user": "binh"}).status_code == 404
    # A wrong target is bad input (422 naming it), not a caller without the right (403: above).
    for target, problem in (("other", "belongs to agency 000.00.12.H20"), ("chi", "does not hold role official"),
                            ("ghost", "no such official")):
        r = api.post("head", url, {"user": target})
        assert r.status_code == 422 and r.json["errors"] == [{"field": "user", "problem": problem}], target
    api.services.accounts.set_active("binh", False)
    r = api.post("head", url, {"user": "binh"})
    assert r.status_code == 422 and r.json["errors"] == [{"field": "user", "problem": "inactive"}]
    assert api.post("an", url, {"user": "ghost"}).status_code == 403  # the caller's right is checked first
    api.services.accounts.set_active("binh", True)
    assert api.post("head", url, {}).status_code == 400
    r = api.post("head", url, {"user": "binh"})
    assert r.status_code == 200 and r.json["assignee"] == "binh"
    assert api.post("head", url, {"user": "an"}).json["assignee"] == "an"  # reassign


def test_delegate_and_resolve(api):
    d, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}"
    api.post("an", url + "/claim")
    assert api.post("binh", url + "/delegate", {"user": "binh"}).status_code == 403  # not the assignee
    assert api.post("an", url + "/delegate", {"user": "other"}).status_code == 403  # other agency
    r = api.post("an", url + "/delegate", {"user": "binh"})
    assert r.status_code == 200 and (r.json["assignee"], r.json["owner"]) == ("binh", "an")
    data = {"data": {"recommendation": "approve", "opinion": "Đủ điều kiện"}}
    r = api.post("binh", url + "/complete", data)
    assert r.status_code == 409 and "resolve" in r.json["detail"]
    assert api.post("an", url + "/resolve").status_code == 403  # only the delegate hands back
    r = api.post("binh", url + "/resolve")
    assert (r.json["assignee"], r.json["owner"]) == ("an", None)
    assert api.post("binh", url + "/resolve").status_code == 409
    assert api.post("an", url + "/complete", data).status_code == 200


def test_complete_validates_the_form_and_refused_requests_change_nothing(api):
    d, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/complete"
    r = api.post("an", url, {"data": {"opinion": "no", "area_m2": -5, "color": "red"}})
    assert r.status_code == 422 and r.headers["Content-Type"] == "application/problem+json"
    fields = {e["field"] for e in r.json["errors"]}
    assert fields == {"recommendation", "opinion", "area_m2", "color"}  # the unknown field is named
    assert {e["problem"] for e in r.json["errors"] if e["field"] == "color"} == {"is not a field of this form"}
    after = api.get("an", f"/api/dossiers/{d['id']}").json
    assert after["version"] == 2 and after["current_tasks"][0]["task_id"] == task["task_id"]
    assert api.post("an", url, {"data": "text"}).status_code == 400
    assert api.post("an", url, {}).status_code == 400
    r = api.post("an", url, {"data": {"recommendation": "approve", "opinion": "Đủ điều kiện", "area_m2": 52.5}})
    assert r.status_code == 200
    assert [t["element_id"] for t in r.json["current_tasks"]] == ["approve"]
    assert api.post("an", url, {"data": {"recommendation": "approve", "opinion": "lại"}}).status_code == 409


def test_claimed_task_is_completed_only_by_its_assignee(api):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}"
    api.post("an", url + "/claim")
    r = api.post("binh", url + "/complete", {"data": {"recommendation": "approve", "opinion": "ok!"}})
    assert r.status_code == 409 and "claimed by an" in r.json["detail"]


def test_concurrent_completions_one_wins_the_other_conflicts(api, app):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/complete"
    barrier = threading.Barrier(2)
    statuses = []

    def go(who):
        client = app.test_client()
        barrier.wait()
        r = client.post(url, json={"data": {"recommendation": "approve", "opinion": f"by {who}"}},
                        headers=api.h(who))
        statuses.append(r.status_code)

    threads = [threading.Thread(target=go, args=(w,)) for w in ("an", "binh")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(statuses) == [200, 409]


def test_comments(api):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/comments"
    r = api.post("an", url, {"body": "Cần xác minh thêm địa chỉ"})
    assert r.status_code == 201 and r.json["author"] == "an"
    api.post("head", url, {"body": "Đồng ý"})
    assert [c["body"] for c in api.get("binh", url).json["items"]] == ["Cần xác minh thêm địa chỉ", "Đồng ý"]
    assert api.post("an", url, {"body": ""}).status_code == 400
    assert api.get("other", url).status_code == 404


def test_state_changing_requests_are_audited_even_when_refused(api):
    _, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/claim"
    r = api.post("chi", url, headers={"X-Request-Id": "req-refused-1"})
    assert r.status_code == 404 and r.headers["X-Request-Id"] == "req-refused-1"
    r = api.post("an", url, headers={"X-Request-Id": "req-ok-1"})
    with api.services.ctx.uow(write=False) as uow:
        [refused] = uow.audit.for_request("req-refused-1")
        [ok] = uow.audit.for_request("req-ok-1")
        assert (refused.actor, refused.outcome, refused.detail["problem"]) == ("chi", 404, "urn:motcua:problem:not-found")
        assert (ok.actor, ok.agency_id, ok.outcome, ok.action) == ("an", AGENCY, 200, "POST /api/tasks/<task_id>/claim")
        assert ok.target == url
        reads = uow.session.scalars(select(AuditRecord).where(AuditRecord.action.like("GET%"))).all()
        assert reads == []
