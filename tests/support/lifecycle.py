"""Drive a dossier's lifecycle in tests through the one write path (dossier_store.save), as the
lifecycle service calls will: load, call one aggregate method, save, commit."""
from __future__ import annotations

from typing import Any, Callable

from engine.services.dossier_store import load_record, load_workflow, save
from engine.services.workflow_state import Snapshot


def change(services: Any, dossier_id: int, action: Callable[..., None], actor: str = "tester") -> None:
    """`action(dossier, now, calendar)` changes the aggregate; it is saved with its events and outbox rows."""
    ctx = services.ctx
    now = ctx.clock.now()
    with ctx.uow() as uow:
        record = load_record(ctx, uow, dossier_id)
        dw = load_workflow(ctx, uow, record)
        before = Snapshot.of(dw)
        action(record.dossier, now, ctx.calendars())
        save(ctx, uow, record, dw, before, now, actor)
        uow.commit()
