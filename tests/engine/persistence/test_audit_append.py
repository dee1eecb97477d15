"""Appending to the audit chain on PostgreSQL takes three statements once the chain exists (issue 15):
lock the head, insert the record, move the head. The upsert creating the head runs only the first
time; the chain still verifies."""
import pytest
from sqlalchemy import event

from tests.engine.services.test_audit_chain import audit


@pytest.mark.postgres_only
def test_an_append_to_an_existing_chain_is_three_statements(services):
    audit(services, 1)  # the first append ever creates the head row
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        seen.append(sql.split()[0].upper())

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        audit(services, 1)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    assert seen == ["SELECT", "INSERT", "UPDATE"]  # it was INSERT … ON CONFLICT DO NOTHING first
    report = services.audit.verify()
    assert report.ok and report.records == 2
