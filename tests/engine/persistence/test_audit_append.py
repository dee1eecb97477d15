"""Appending to the audit chain on PostgreSQL takes two statements once the chain exists (issue 15):
lock the head, then insert the record and move the head in one data-modifying CTE. The upsert
creating the head runs only the first time; the chain still verifies."""
import pytest
from sqlalchemy import event

from tests.engine.services.test_audit_chain import audit


@pytest.mark.postgres_only
def test_an_append_to_an_existing_chain_is_two_statements(services):
    audit(services, 1)  # the first append ever creates the head row
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        seen.append(sql.split()[0].upper())

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        audit(services, 1)
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    assert seen == ["SELECT", "WITH"]  # it was INSERT … ON CONFLICT DO NOTHING first, then three
    report = services.audit.verify()
    assert report.ok and report.records == 2
    audit(services, 3)
    report = services.audit.verify()
    assert report.ok and report.records == 5 and report.head.count == 5
