"""Feedback and complaints (phản ánh, kiến nghị, R-7.2), pure Python: one case per piece of feedback.

The rule (QĐ 04/2024/QĐ-UBND Đắk Lắk, Điều 21; seeds/000):
- received online (the system's "Phản ánh, Kiến nghị" section, Đ21.2.b) or offline: at the desk,
  by phone, by public postal service or by e-mail (Đ21.2.a, c); an offline one is entered into the
  system within **8 working hours** of its receipt (Đ21.3): the case keeps both times and flags a
  late entry;
- handled within **13 working days** of its receipt, and the answer is published to the sender
  (Đ21.4).

A case goes received → assigned (the agency head names the official) → answered (the answer is
published to the sender at once: the notice `feedback_answered`). The case runs as an instance of
the feedback procedure's diagram (processes/PAKN-01): its status is what that workflow reached,
derived by the service (engine/services/feedback_workflow.py) and set here with `follow`; this
module records what each step did and keeps the fields consistent. Its answer is classified early /
on time / late against the due instant (N-7's rule, engine/domain/timeliness.py). Working time is
the province's calendar, passed in (no I/O here); times are aware datetimes.

Why not a dossier: a dossier's statuses are the national portal's codes (N-8) and are pushed to it,
a dossier belongs to one procedure of one agency, and every dossier figure (N-7, N-9, R-7.4) counts
the `dossiers` table. Feedback concerns any agency and any dossier, so it is its own aggregate and
table, counted apart by construction (docs/feedback.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol

from .timeliness import Timeliness, classify

ENTRY_HOURS = 8  # Đ21.3: an offline one is entered within 08 working hours of its receipt
ANSWER_DAYS = 13  # Đ21.4: handled, and the answer published, within 13 working days of receipt
CODE_PREFIX = "PAKN"  # phản ánh, kiến nghị: a series of its own (dossier codes start with the agency id)
PROCEDURE_CODE = "PAKN-01"  # processes/PAKN-01: the procedure every case follows
MAX_SUBJECT = 255
MAX_TEXT = 10_000
_AGENCY_ID_RE = re.compile(r"^[A-Za-z0-9.\-_]{1,35}$")


class FeedbackRefused(ValueError):
    """An action the rules do not allow now (a conflict with the case's status)."""


class FeedbackDataError(FeedbackRefused):
    """A value is missing or malformed; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Calendar(Protocol):
    @property
    def tz(self) -> Any: ...

    def add_working_hours(self, t: datetime, hours: float) -> datetime: ...

    def add_working_days(self, t: datetime, days: int) -> datetime: ...


class FeedbackStatus(str, Enum):
    RECEIVED = "received"  # tiếp nhận: waiting for the head to assign it
    ASSIGNED = "assigned"  # phân công: an official handles it
    ANSWERED = "answered"  # đã trả lời: the answer is published to the sender


class FeedbackChannel(str, Enum):
    ONLINE = "online"  # the system's "Phản ánh, Kiến nghị" section (Đ21.2.b)
    DESK = "desk"  # in person (Đ21.3: trực tiếp)
    PHONE = "phone"  # the hotline (Đ21.2.a, Đ21.3)
    POSTAL = "postal"  # public postal service (Đ21.3)
    EMAIL = "email"  # the agency's published mailbox (Đ21.2.a)

    @property
    def offline(self) -> bool:
        """Not sent through the system: an official enters it (within 8 working hours, Đ21.3)."""
        return self is not FeedbackChannel.ONLINE


def format_feedback_code(agency_id: str, receipt_day: date, sequence: int) -> str:
    """PAKN-<agency electronic id>-YYMMDD-XXXX: the agency's feedback series of the day. A dossier
    code (N-1) begins with the agency id, which is digits, dots and a letter (e.g. 000.00.12.H15),
    never with PAKN-, so the two series never meet."""
    if not _AGENCY_ID_RE.match(agency_id):
        raise ValueError(f"agency id {agency_id!r} must be 1-35 letters, digits, '.', '-' or '_'")
    if sequence < 1:
        raise ValueError("sequence numbers start at 1")
    return f"{CODE_PREFIX}-{agency_id}-{receipt_day:%y%m%d}-{sequence:04d}"


@dataclass(frozen=True)
class Sender:
    """Who sent it: a name, the citizen ID number when known (online: the token's), how to reach them."""

    name: str
    id_number: str | None = None
    contact: dict[str, str] = field(default_factory=dict)  # phone, email, address

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "id_number": self.id_number, "contact": dict(self.contact)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Sender":
        return cls(data["name"], data.get("id_number"), dict(data.get("contact") or {}))


@dataclass(frozen=True)
class FeedbackEvent:
    """One entry of the case's timeline; `notify` marks what the sender must be told (outbox)."""

    kind: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)
    notify: bool = False


@dataclass
class Feedback:
    """One piece of feedback. Construct with `receive`; load with the persisted fields."""

    code: str
    agency_id: str
    channel: FeedbackChannel
    sender: Sender
    subject: str
    content: str
    received_at: datetime  # when the agency or the system received it
    entered_at: datetime  # when it was entered into the system (online: the same instant)
    entered_by: str
    due_at: datetime  # ANSWER_DAYS working days from receipt (Đ21.4)
    status: FeedbackStatus = FeedbackStatus.RECEIVED
    dossier_code: str | None = None  # the dossier it concerns, if any
    entry_due_at: datetime | None = None  # offline: ENTRY_HOURS working hours from receipt (Đ21.3)
    entered_late: bool = False
    assigned_to: str | None = None
    assigned_at: datetime | None = None
    answer: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    timeliness: Timeliness | None = None  # of the answer, against due_at (N-7's rule)
    # Its instance of the feedback procedure: the version it started on (a case runs to its end on
    # it) and the workflow's serialized state, opaque here. None: received before cases ran on the
    # diagram (started lazily by the service).
    procedure_version_id: int | None = None
    workflow_state: str | None = None
    id: int | None = None
    version: int = 0
    pending: list[FeedbackEvent] = field(default_factory=list, compare=False)

    @classmethod
    def receive(cls, *, code: str, agency_id: str, channel: FeedbackChannel | str, sender: Sender, subject: Any,
                content: Any, received_at: datetime, entered_at: datetime, entered_by: str,
                calendar: Calendar, dossier_code: str | None = None, entry_hours: float = ENTRY_HOURS,
                answer_days: int = ANSWER_DAYS) -> "Feedback":
        """A new case. Online: received when submitted (`received_at` is `entered_at`). Offline: the
        receipt time as the official reports it, not in the future and not after the entry; entered
        later than `entry_hours` working hours after it is flagged (Đ21.3: 8, the entry step's
        workingHours in the diagram). Due `answer_days` working days from receipt (Đ21.4: 13, the
        procedure's statutory_days), counted from the next working time as every deadline (R-3.4).
        Raises FeedbackDataError naming the field."""
        try:
            channel = FeedbackChannel(channel)
        except ValueError:
            raise FeedbackDataError("channel", f"channel is one of {', '.join(c.value for c in FeedbackChannel)}") \
                from None
        subject, content = _text(subject, "subject", MAX_SUBJECT), _text(content, "content", MAX_TEXT)
        if received_at > entered_at:
            raise FeedbackDataError("received_at", "the receipt time is after the entry time (now): "
                                                   "feedback is entered after it is received")
        if not channel.offline and received_at != entered_at:
            raise FeedbackDataError("received_at", "online feedback is received when it is submitted")
        entry_due = calendar.add_working_hours(received_at, entry_hours) if channel.offline else None
        late = entry_due is not None and entered_at > entry_due
        case = cls(code=code, agency_id=agency_id, channel=channel, sender=sender, subject=subject, content=content,
                   received_at=received_at, entered_at=entered_at, entered_by=entered_by,
                   due_at=calendar.add_working_days(received_at, answer_days), dossier_code=dossier_code,
                   entry_due_at=entry_due, entered_late=late)
        case._event("received", received_at, channel=channel.value, due_at=case.due_at.isoformat(),
                    **({"dossier_code": dossier_code} if dossier_code else {}))
        if channel.offline:
            case._event("entered", entered_at, entry_due_at=entry_due.isoformat(), late=late,  # type: ignore[union-attr]
                        rule="R-7.2")
        case._event("feedback_received", entered_at, notify=True, due_at=case.due_at.isoformat())
        return case

    def follow(self, status: FeedbackStatus) -> None:
        """The status the case's workflow reached (its ready step, or its end): the only way the
        status changes after receipt."""
        self.status = FeedbackStatus(status)

    def assign(self, at: datetime, official: str) -> None:
        """The agency head names the official who handles it (the service checks the directory and
        that the workflow is at its assignment or answer step); a later assignment replaces the
        earlier one. Not once answered."""
        official = _text(official, "official", 64)
        self._require(self.answered_at is None, "the feedback was already answered")
        previous, self.assigned_to, self.assigned_at = self.assigned_to, official, at
        self._event("assigned", at, official=official,
                    **({"previous": previous} if previous and previous != official else {}))

    def answer_with(self, at: datetime, text: Any, by: str, calendar: Calendar) -> None:
        """The answer, published to the sender at once (Đ21.4): assigned → answered, classified
        early / on time / late against `due_at` (late: after the due instant)."""
        text = _text(text, "answer", MAX_TEXT)
        self._require(self.answered_at is None, "the feedback was already answered")
        self._require(self.assigned_to is not None, "only assigned feedback is answered: assign it first")
        self.answer, self.answered_at, self.answered_by = text, at, by
        self.timeliness = classify(at, self.due_at, calendar.tz)
        self._event("feedback_answered", at, notify=True, answer=text, timeliness=self.timeliness.value)  # type: ignore[union-attr]

    def overdue(self, now: datetime) -> bool:
        """Still unanswered after its due instant."""
        return self.answered_at is None and now > self.due_at

    def drain(self) -> list[FeedbackEvent]:
        events, self.pending = self.pending, []
        return events

    def _event(self, kind: str, at: datetime, notify: bool = False, **detail: Any) -> None:
        self.pending.append(FeedbackEvent(kind, at, {"code": self.code, **detail}, notify))

    @staticmethod
    def _require(condition: bool, message: str) -> None:
        if not condition:
            raise FeedbackRefused(message)


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FeedbackDataError(name, f"{name} must be a non-empty text")
    if len(value) > limit:
        raise FeedbackDataError(name, f"{name} is at most {limit} characters")
    return value.strip()
