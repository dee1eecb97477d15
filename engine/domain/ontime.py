"""Counting rules of the early / on-time / late report (N-7, R-5.4), for dossiers and for steps.

Within a period [start, end):
- received: received_at (a step: the instant it became ready) in the period;
- finished: ended (completed_at) in the period, counted by the class STORED when it ended
  (`dossiers.timeliness`, `steps.timeliness`): early + on_time + late + unclassified = finished.
  Unclassified are ends that carry no class (a withdrawn dossier; a step without a due time).
  Nothing is recomputed on read: a later calendar change does not move a counted dossier.
- re-appointed (N-6): finished dossiers that had their one new appointment; `reappointed_met`
  of them met it (`timeliness_reappointed` early or on time). They stay counted by their own class.
- open: received before the as-of instant and not ended by then; as-of is the period's end, or
  now for a period still running. Open and late: open, past its due instant as of then, and not
  paused for a supplement at that instant (N-4: the applicant's time is not counted): a pause
  recorded in its deadline basis covers the instant, or its current pause (`paused_since`) began
  at or before it.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Iterable

from .deadline import DeadlineBasis, DeadlineError
from .timeliness import Timeliness

CLASSES = (Timeliness.EARLY.value, Timeliness.ON_TIME.value, Timeliness.LATE.value)
MET = (Timeliness.EARLY.value, Timeliness.ON_TIME.value)


@dataclass(frozen=True)
class Window:
    """The instants one report is counted over: [start, end) and the as-of instant for open ones."""

    start: datetime
    end: datetime
    as_of: datetime

    @classmethod
    def of(cls, start: datetime, end: datetime, now: datetime) -> "Window":
        """as_of = end, or now while the period is still running (a period not yet begun: its start)."""
        return cls(start, end, max(start, min(end, now)))


@dataclass(frozen=True)
class OnTimeCounts:
    """The figures of one row of the report. Adding rows adds every figure (totals add up)."""

    received: int = 0
    finished: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    unclassified: int = 0
    reappointed: int = 0
    reappointed_met: int = 0
    open: int = 0
    open_late: int = 0

    def __add__(self, other: "OnTimeCounts") -> "OnTimeCounts":
        return OnTimeCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @classmethod
    def sum(cls, items: Iterable["OnTimeCounts"]) -> "OnTimeCounts":
        total = cls()
        for item in items:
            total = total + item
        return total

    @property
    def classified(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def on_time_rate(self) -> float | None:
        """Percent finished early or on time among the finished with a class; None when none."""
        return 100.0 * (self.early + self.on_time) / self.classified if self.classified else None

    @property
    def late_rate(self) -> float | None:
        return 100.0 * self.late / self.classified if self.classified else None

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def paused_at(paused_since: datetime | None, due_basis: Any, at: datetime) -> bool:
    """Whether a dossier's clock stood still at `at` (N-4): its current pause (waiting for the
    applicant since `paused_since`) had begun, or a pause recorded in its deadline basis covers `at`.
    An unreadable basis records no pause."""
    if paused_since is not None and paused_since <= at:
        return True
    if not due_basis:
        return False
    try:
        basis = DeadlineBasis.from_json(due_basis)
    except DeadlineError:
        return False
    return any(s <= at < e for s, e in basis.pauses)

