"""Early / on time / late (N-7, Circular 01/2018 Art. 13), for dossiers and for each step."""
from __future__ import annotations

from datetime import datetime, tzinfo
from enum import Enum


class Timeliness(str, Enum):
    EARLY = "early"  # trước hạn
    ON_TIME = "on_time"  # đúng hạn
    LATE = "late"  # quá hạn


def classify(done_at: datetime, due_at: datetime | None, tz: tzinfo) -> Timeliness | None:
    """Done after the due instant is late; done on the due day (by the due instant) is on time;
    done on an earlier day is early. Without a due time there is nothing to judge."""
    if due_at is None:
        return None
    if done_at > due_at:
        return Timeliness.LATE
    if done_at.astimezone(tz).date() == due_at.astimezone(tz).date():
        return Timeliness.ON_TIME
    return Timeliness.EARLY


def open_is_late(now: datetime, due_at: datetime | None) -> bool:
    """An open dossier or step is late once past its due instant (N-7)."""
    return due_at is not None and now > due_at
