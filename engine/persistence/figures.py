"""Operational figures read at /metrics scrape time: state, not events, so any process can answer."""
from __future__ import annotations

from datetime import datetime
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import Incident, OutboxEntry, SchedulerHeartbeat, Timer


class FiguresRepository:
    def __init__(self, session: Session, dialect: str):
        self.session = session
        self.dialect = dialect

    def open_incidents(self) -> dict[str, int]:
        """Unresolved incidents by kind (task, timer, message)."""
        rows = self.session.execute(select(Incident.kind, func.count()).where(Incident.resolved_at.is_(None))
                                    .group_by(Incident.kind))
        return {kind: int(n) for kind, n in rows}

    def timers_due(self, now: datetime) -> int:
        """Timers due and not yet fired (a failed one waiting for its retry counts too)."""
        return int(self.session.scalar(select(func.count()).select_from(Timer).where(Timer.due_at <= now)))

    def last_sweep(self) -> tuple[datetime | None, int]:
        """The latest heartbeat of any scheduler still running, and how many are running."""
        row = self.session.execute(select(func.max(SchedulerHeartbeat.last_run_at), func.count())
                                   .where(SchedulerHeartbeat.active.is_(True))).one()
        return row[0], int(row[1])

    def outbox_pending(self) -> dict[str, int]:
        """Outbox entries not sent yet, by topic (`portal`: status sync, `notification`: notices to
        applicants); reads the (topic, sent_at, id) index only."""
        rows = self.session.execute(select(OutboxEntry.topic, func.count()).where(OutboxEntry.sent_at.is_(None))
                                    .group_by(OutboxEntry.topic))
        return {topic: int(n) for topic, n in rows}
