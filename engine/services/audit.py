"""Checking the tamper-evident audit trail (R-8.5): `motcua audit verify` and `motcua audit anchor`.

Appends happen in `AuditRepository.add` (one chain, locked head row); this module only reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.domain.audit_chain import Anchor, Break, ChainWalk

from .context import EngineContext

BATCH = 1000


@dataclass(frozen=True)
class ChainReport:
    records: int  # records checked (up to the first break)
    head: Anchor | None  # the stored chain head; None when nothing was ever audited
    broken: Break | None  # the first broken link, or None when the whole chain holds

    @property
    def ok(self) -> bool:
        return self.broken is None


class AuditService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def verify(self, anchor: Anchor | None = None, batch: int = BATCH) -> ChainReport:
        """Walk the whole chain in id order, from one database snapshot (appends made meanwhile are
        not seen, so a running system verifies cleanly). `anchor` (from `anchor()`, kept outside the
        database) must lie on the chain with the same hash: a recomputed chain fails there."""
        walk = ChainWalk(anchor=anchor)
        with self.ctx.uow(write=False) as uow:
            uow.audit.snapshot()
            head = uow.audit.chain_head()
            after = 0
            while not walk.broken:
                records = uow.audit.chain(after, batch)
                if not records:
                    break
                for record in records:
                    if not walk.add(record):
                        break
                after = records[-1].id
        if head is None and walk.count == 0 and not walk.broken:
            if anchor and anchor.record_id:
                walk.finish(None)  # an anchored record, yet no chain at all
            return ChainReport(0, None, walk.broken)
        if head is None and not walk.broken:
            walk.broken = Break(None, "the chain head row (audit_chain_head) is missing: it was deleted")
        walk.finish(head)
        return ChainReport(walk.count, head, walk.broken)

    def anchor(self) -> Anchor:
        """The current chain head, to be kept outside the database."""
        with self.ctx.uow(write=False) as uow:
            return uow.audit.chain_head() or Anchor(None, "0" * 64, 0)
