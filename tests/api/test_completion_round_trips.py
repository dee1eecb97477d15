"""Issue 15: what one completion over HTTP costs the database, counted, so a regression fails here.

A completion is one write transaction: the change and its audit record (R-8.5) commit together.
A refused completion still leaves its own record, written after the request as before, and a
completion is never audited twice.
"""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from engine.persistence import prepared
from engine.persistence.models import AuditRecord
from tests.api.test_tasks import advance_to_appraisal

# Statements of one HTTP completion that moves a dossier on by one task (BEGIN not counted):
# the token check; the task with its dossier; the dossier's state (compare-and-set); the ready
# task deleted at its version and the next one inserted (PostgreSQL: one data-modifying CTE;
# SQLite: two); the step; the audit record (PostgreSQL: the head locked, the record appended and
# hashed and the head moved, one statement; SQLite: the head read, the record, the head moved).
BUDGET = {"postgresql": 6, "sqlite": 9}
# PostgreSQL round trips by default (MOTCUA_DB_PIPELINE unset): the token check, BEGIN, then each
# statement but the token check, then the COMMIT.
EXCHANGES = 8


@contextmanager
def counted(services):
    seen = {"statements": [], "commits": 0}

    def statement(_conn, _cursor, sql, *_args):
        if not sql.startswith("BEGIN"):
            seen["statements"].append(sql.split()[0].upper())

    def commit(conn):
        # A PostgreSQL transaction that only read ends with COMMIT too (engine/persistence/prepared.py):
        # what is counted is the commits that write.
        if not prepared.only_read(conn):
            seen["commits"] += 1

    engines = {services.db.engine, services.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", statement)
        event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", statement)
            event.remove(engine, "commit", commit)


def records(services, request_id):
    with services.ctx.uow(write=False) as uow:
        return [(r.actor, r.outcome, r.action) for r in uow.session.scalars(
            select(AuditRecord).where(AuditRecord.request_id == request_id))]


def test_a_completion_is_one_commit_with_its_audit_record_inside(api, services):
    d, task = advance_to_appraisal(api)
    assert api.post("an", f"/api/tasks/{task['task_id']}/claim").status_code == 200
    url = f"/api/tasks/{task['task_id']}/complete"
    exchanges = services.db.exchanges  # PostgreSQL: round trips (engine/persistence/write_behind.py)
    before = exchanges.count if exchanges else 0
    with counted(services) as seen:
        r = api.post("an", url, {"data": {"recommendation": "approve", "opinion": "đủ điều kiện"}},
                     headers={"X-Request-Id": "req-complete-1"})
    assert r.status_code == 200, r.json
    if exchanges:
        assert exchanges.count - before == EXCHANGES, exchanges.count - before
    assert seen["commits"] == 1, seen  # it was two: the change, then the audit record on its own
    assert len(seen["statements"]) <= BUDGET[services.db.dialect], seen["statements"]
    assert records(services, "req-complete-1") == [("an", 200, "POST /api/tasks/<task_id>/complete")]
    report = services.audit.verify()
    assert report.ok, report.broken


def test_a_refused_completion_is_audited_once_with_its_real_outcome(api, services):
    d, task = advance_to_appraisal(api)
    url = f"/api/tasks/{task['task_id']}/complete"
    # A form error is found inside the change's transaction, which rolls back with the record it carried.
    r = api.post("an", url, {"data": {"recommendation": "maybe"}}, headers={"X-Request-Id": "req-bad-form"})
    assert r.status_code == 422
    assert records(services, "req-bad-form") == [("an", 422, "POST /api/tasks/<task_id>/complete")]
    ok = api.post("an", url, {"data": {"recommendation": "approve", "opinion": "được"}},
                  headers={"X-Request-Id": "req-ok"})
    assert ok.status_code == 200, ok.json
    # Completed already: a Conflict found before anything is written.
    r = api.post("an", url, {"data": {"recommendation": "approve", "opinion": "được"}},
                 headers={"X-Request-Id": "req-again"})
    assert r.status_code == 409
    assert records(services, "req-ok") == [("an", 200, "POST /api/tasks/<task_id>/complete")]
    assert records(services, "req-again") == [("an", 409, "POST /api/tasks/<task_id>/complete")]
    assert services.audit.verify().ok


def test_registrations_and_task_actions_commit_once_too(api, services):
    with counted(services) as seen:
        r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}},
                     headers={"X-Request-Id": "req-register"})
    assert r.status_code == 201, r.json
    assert seen["commits"] == 1
    assert records(services, "req-register") == [("desk", 201, "POST /api/dossiers")]
    d, task = advance_to_appraisal(api)
    with counted(services) as seen:
        r = api.post("an", f"/api/tasks/{task['task_id']}/claim", headers={"X-Request-Id": "req-claim"})
    assert r.status_code == 200
    assert seen["commits"] == 1
    r = api.post("binh", f"/api/tasks/{task['task_id']}/claim", headers={"X-Request-Id": "req-claim-lost"})
    assert r.status_code == 409
    assert records(services, "req-claim") == [("an", 200, "POST /api/tasks/<task_id>/claim")]
    assert records(services, "req-claim-lost") == [("binh", 409, "POST /api/tasks/<task_id>/claim")]
    assert services.audit.verify().ok


def test_other_state_changes_keep_their_record_after_the_request(api, services):
    """Endpoints that did not declare their change one transaction are unchanged: the record is
    written after the request, in a transaction of its own."""
    d, task = advance_to_appraisal(api)
    with counted(services) as seen:
        r = api.post("an", f"/api/tasks/{task['task_id']}/comments", {"body": "cần bổ sung"},
                     headers={"X-Request-Id": "req-comment"})
    assert r.status_code == 201
    assert seen["commits"] == 2
    assert records(services, "req-comment") == [("an", 201, "POST /api/tasks/<task_id>/comments")]


def test_a_reason_without_a_reception_time_is_refused_and_audited_not_a_500(api, services):
    """The back-entry mark is set before the change now (it rides in its transaction): a reason
    sent without `received_at` must still be the service's own answer, audited once."""
    r = api.post("desk", "/api/dossiers", {"procedure_code": "P", "applicant": {"name": "An"}, "reason": "mất điện"},
                 headers={"X-Request-Id": "req-reason-only"})
    assert r.status_code < 500, r.json
    [(actor, outcome, _)] = records(services, "req-reason-only")
    assert (actor, outcome) == ("desk", r.status_code)
