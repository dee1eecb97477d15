"""Migration 0005 chains the audit records stored before it (R-8.5), so verify covers them too."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert

from engine.clock import ManualClock
from engine.domain.audit_chain import GENESIS
from engine.persistence.database import connect, upgrade
from engine.persistence.models import AuditRecord
from engine.persistence.unit_of_work import UnitOfWorkFactory
from engine.services.audit import AuditService
from engine.services.context import EngineContext


def test_records_written_before_the_chain_are_chained_by_the_migration(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(db, "0004")
        at = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)
        cols = {c.name for c in AuditRecord.__table__.c} - {"prev_hash", "hash"}
        with db.engine.begin() as conn:
            for i in range(3):
                values = dict(at=at, actor="an", agency_id=None, action="POST /api/x", target="/api/x",
                              request_id=f"r{i}", outcome=200, detail={"method": "POST"})
                conn.execute(insert(AuditRecord.__table__)
                             .values(**{k: v for k, v in values.items() if k in cols}))
        upgrade(db)
        ctx = EngineContext(UnitOfWorkFactory(db), ManualClock(at), None, None, None, tmp_path, tmp_path)
        audit = AuditService(ctx)
        report = audit.verify()
        assert report.ok and report.records == 3 and report.head.count == 3
        with ctx.uow() as uow:
            assert uow.audit.chain(0, 10)[0].prev_hash == GENESIS
            uow.audit.add(at=at, actor="an", agency_id=None, action="POST /api/y", target="/api/y",
                          request_id="r4", outcome=201, detail={})
            uow.commit()
        assert audit.verify().records == 4
    finally:
        db.dispose()
