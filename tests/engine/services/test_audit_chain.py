"""The tamper-evident audit trail (R-8.5): a hash chain over audit_log, checked by AuditService."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, text, update

from engine.domain.audit_chain import GENESIS, Anchor, record_hash
from engine.persistence.models import AuditChainHead, AuditRecord


def audit(services, n, actor="an"):
    for i in range(n):
        with services.ctx.uow() as uow:
            uow.audit.add(at=services.clock.now() + timedelta(seconds=i), actor=actor, agency_id="000.00.12.H15",
                          action="POST /api/tasks/<id>/complete", target=f"/api/tasks/{i}/complete",
                          request_id=f"req-{i}", outcome=200, detail={"method": "POST", "n": i, "tên": "Đạt"})
            uow.commit()


def ids(services):
    with services.ctx.uow(write=False) as uow:
        return [r.id for r in uow.audit.chain(0, 1000)]


def test_records_form_one_chain_that_verifies(services):
    assert services.audit.verify().ok  # nothing audited yet
    audit(services, 4)
    with services.ctx.uow(write=False) as uow:
        records = uow.audit.chain(0, 100)
    assert records[0].prev_hash == GENESIS
    for before, after in zip(records, records[1:]):
        assert after.prev_hash == before.hash == record_hash(before.prev_hash, before.fields)
    report = services.audit.verify()
    assert report.ok and report.records == 4
    assert report.head == Anchor(records[-1].id, records[-1].hash, 4)


@pytest.mark.parametrize("change", [
    {"actor": "someone-else"},
    {"outcome": 403},
    {"detail": {"method": "POST", "n": 1, "tên": "Đạt", "extra": True}},
    {"at": None},
])
def test_a_row_edited_in_the_database_is_named(services, change):
    audit(services, 4)
    second = ids(services)[1]
    values = change if "at" not in change else {"at": services.clock.now() + timedelta(days=1)}
    with services.db.engine.begin() as conn:  # behind the application's back
        conn.execute(update(AuditRecord).where(AuditRecord.id == second).values(**values))
    report = services.audit.verify()
    assert not report.ok
    assert report.broken.record_id == second
    assert "content does not match its hash" in str(report.broken)
    assert report.records == 1


def test_a_deleted_row_breaks_the_link_of_the_next_one(services):
    audit(services, 4)
    rows = ids(services)
    with services.db.engine.begin() as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.id == rows[1]))
    broken = services.audit.verify().broken
    assert broken.record_id == rows[2]
    assert f"does not match record {rows[0]}" in str(broken)


def test_removing_the_last_records_is_seen_by_the_head(services):
    audit(services, 3)
    rows = ids(services)
    with services.db.engine.begin() as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.id == rows[-1]))
    broken = services.audit.verify().broken
    assert broken.record_id == rows[-1] and "records at the end were removed" in str(broken)


def test_a_recomputed_chain_fails_against_an_anchor_kept_outside(services):
    audit(services, 3)
    anchor = services.audit.anchor()
    assert services.audit.verify(anchor).ok
    # Someone with database access changes record 1 and recomputes every hash after it, head included.
    with services.ctx.uow() as uow:
        records = uow.audit.chain(0, 100)
    prev = GENESIS
    with services.db.engine.begin() as conn:
        for i, r in enumerate(records):
            fields = dict(r.fields, actor="forged") if i == 0 else r.fields
            digest = record_hash(prev, fields)
            conn.execute(update(AuditRecord).where(AuditRecord.id == r.id)
                         .values(actor=fields["actor"], prev_hash=prev, hash=digest))
            prev = digest
        conn.execute(update(AuditChainHead).values(hash=prev))
    assert services.audit.verify().ok  # the chain alone cannot tell
    broken = services.audit.verify(anchor).broken
    assert broken.record_id == anchor.record_id and "differs from the anchor" in str(broken)


def test_concurrent_appends_from_many_threads_keep_one_chain(services):
    """Each thread stands for an API process: its own connection and transaction per record."""
    errors = []

    def worker(name):
        try:
            audit(services, 5, actor=name)
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(f"user{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = services.audit.verify()
    assert report.ok and report.records == 20 and report.head.count == 20


def test_a_deleted_chain_head_is_reported(services):
    audit(services, 2)
    with services.db.engine.begin() as conn:
        conn.execute(delete(AuditChainHead))
    assert "chain head row (audit_chain_head) is missing" in str(services.audit.verify().broken)
