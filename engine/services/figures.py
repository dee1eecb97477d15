"""Operational figures at this instant, for /metrics (api/metrics.py) and the operators.

State, read from the database when asked, so the answer is the same whichever process gives it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .context import EngineContext

OUTBOX_TOPICS = ("portal", "notification")  # engine/persistence/models.py OutboxEntry


@dataclass(frozen=True)
class Figures:
    at: datetime
    open_incidents: dict[str, int]  # by kind: task, timer, message
    timers_due: int  # due and not fired yet (failed ones waiting for their retry included)
    schedulers_running: int  # heartbeats not marked stopped
    last_sweep_age: float | None  # seconds since the latest sweep of a running scheduler; None: none runs
    outbox_pending: dict[str, int]  # entries not sent yet, by topic (portal, notification)


class FiguresService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def current(self) -> Figures:
        now = self.ctx.clock.now()
        with self.ctx.uow(write=False) as uow:
            incidents = uow.figures.open_incidents()
            due = uow.figures.timers_due(now)
            last, running = uow.figures.last_sweep()
            outbox = {topic: 0 for topic in OUTBOX_TOPICS} | uow.figures.outbox_pending()
        age = max((now - last).total_seconds(), 0.0) if last is not None and running else None
        return Figures(now, incidents, due, running, age, outbox)
