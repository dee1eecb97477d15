"""Appending to the audit chain on PostgreSQL takes one statement once the chain exists (issue 15):
the head locked, the record inserted with its hash computed by the server, and the head moved, in
one data-modifying CTE. The upsert creating the head runs only the first time; the server's hash is
the one `audit_chain.record_hash` computes, so the chain still verifies."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import event

from engine.domain.audit_chain import record_hash
from tests.engine.services.test_audit_chain import audit


@pytest.mark.postgres_only
def test_an_append_to_an_existing_chain_is_one_statement(services):
    audit(services, 1)  # the first append ever creates the head row
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        seen.append(sql.split()[0].upper())

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        audit(services, 1)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    # One data-modifying CTE (issue 15): the head locked, the record hashed by the server, the head
    # moved. It was two (the head read, then the CTE); before that, four.
    assert seen == ["WITH"]
    report = services.audit.verify()
    assert report.ok and report.records == 2
    audit(services, 3)
    report = services.audit.verify()
    assert report.ok and report.records == 5 and report.head.count == 5


@pytest.mark.postgres_only
def test_the_servers_hash_is_the_one_the_chain_computes(services):
    # Text the hash covers byte for byte: Vietnamese diacritics (NFC and decomposed), a newline, a
    # backslash, quotes, a tab, a character outside the BMP, JSON-looking text and empty fields.
    awkward = {"ghi chú": "Đạt\nnhận \\ \"hồ sơ\" \t 🏛", "decomposed": "Nguye\u0302\u0303n", "json": "{\"a\":1}"}
    audit(services, 1)
    with services.ctx.uow() as uow:
        uow.audit.add(at=datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=timezone.utc), actor=None,
                      agency_id=None, action="POST /api/public/dossiers", target="/api/public/dossiers",
                      request_id="req-awkward", outcome=201, detail=awkward)
        uow.commit()
    with services.ctx.uow(write=False) as uow:
        first, second = uow.audit.chain(0, 10)
    assert second.prev_hash == first.hash
    assert second.hash == record_hash(first.hash, second.fields)
    assert services.audit.verify().ok


@pytest.mark.postgres_only
def test_the_append_statement_is_built_once_and_its_values_are_bound(services):
    # Building the CTE afresh with each record's values inlined as literals cost about as much
    # Python as the rest of a completion's statements together (issue 15, py-spy of api_bench): it
    # is built once per set of columns, and every record's values travel as bound parameters.
    from engine.persistence.repositories import _append_audit

    audit(services, 1)
    built = _append_audit.cache_info().misses
    sent: list[tuple[str, dict]] = []

    def record(_conn, _cursor, sql, params, *_args):
        sent.append((sql, params))

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        audit(services, 2)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    assert _append_audit.cache_info().misses == built
    (sql_1, params_1), (sql_2, params_2) = sent
    assert sql_1 == sql_2 and params_1 != params_2
    assert not any(str(v) in sql_1 for v in params_1.values() if isinstance(v, str) and len(v) > 3)
    assert services.audit.verify().ok
