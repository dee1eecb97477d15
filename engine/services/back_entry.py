"""Back-dated entries (R-9.3): after an outage, a step done on paper is entered with its real time
and the reason, and marked as back-entered (timeline, dossier events, audit).

Who may: `access.check_back_entry` (an agency head or one-stop officer of the agency concerned).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .errors import InvalidInput

MAX_REASON = 2000


@dataclass(frozen=True)
class BackEntry:
    happened_at: datetime  # when the step really happened (aware)
    reason: str  # why it is entered late, e.g. "mất điện 2/12, ghi sổ giấy"

    @classmethod
    def of(cls, happened_at: datetime | None, reason: Any, field: str = "happened_at") -> "BackEntry | None":
        """None when no past time is given; InvalidInput naming the field when the time has no zone,
        the reason is missing or blank, or a reason comes without a time."""
        if happened_at is None:
            if reason not in (None, ""):
                raise InvalidInput("a reason is only given with the step's real time",
                                   [(field, "required with a back-entry reason")])
            return None
        if happened_at.tzinfo is None:
            raise InvalidInput(f"{field} needs a time zone", [(field, "no offset")])
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidInput("a step entered with a past time needs the reason it is entered late (R-9.3)",
                               [("reason", "required with a past time (R-9.3)")])
        if len(reason) > MAX_REASON:
            raise InvalidInput(f"the reason is longer than {MAX_REASON} characters",
                               [("reason", f"longer than {MAX_REASON} characters")])
        return cls(happened_at, reason.strip())

    def check(self, now: datetime, field: str = "happened_at") -> None:
        """A back-entry records the past: never a time after `now`."""
        if self.happened_at > now:
            raise InvalidInput("a step cannot be entered as done in the future", [(field, "in the future")])

    def detail(self, tz: tzinfo, **extra: Any) -> dict[str, Any]:
        """The dossier event's detail: the real time in the province's zone, the reason, what was entered."""
        return {**extra, "happened_at": self.happened_at.astimezone(tz).isoformat(), "reason": self.reason,
                "rule": "R-9.3"}
