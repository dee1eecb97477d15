"""The dossier aggregate: the lifecycle rules of the regulations (R-2 … R-7, N-1 … N-8), pure Python.

A `Dossier` holds its status (national codes in dossier_status.py), channel, deadline basis
(pauses and the one re-appointment), fee, outcome and stored classification, and every change
goes through one of its methods, which checks the rule, changes the fields and appends the
events it emits to `pending`. The service layer loads one, calls a method, and saves fields and
events in one transaction (engine/services/dossier_store.py); nothing else writes a status.

Events (drained by the save):
- `StatusChanged`: every status change, with national status and channel codes (N-8), queued
  for the national portal (R-9.5);
- `Notice`: what the applicant must be told (R-3.1, R-3.2, R-4.6, R-6, N-6), queued for the
  notifications outbox;
- `Recorded`: anything else the timeline shows (payments, pauses, warnings, back-entries).

Times are aware datetimes; working-time rules take the calendar as an argument (no I/O here).
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any, Protocol

from .deadline import Calendar as _BasisCalendar, DeadlineBasis, ReappointmentRefused
from .dossier_status import TRANSITIONS, Channel, DossierStatus, StatusTransitionRefused, change_status
from .timeliness import Timeliness, classify

S = DossierStatus


class LifecycleRefused(ValueError):
    """A lifecycle action the rules do not allow now; the message names the rule and the state."""


class LifecycleStateError(LifecycleRefused):
    """The action does not fit the dossier's status now (the transition table, N-8): a conflict."""


class LifecycleDataError(LifecycleRefused):
    """A value the action needs is missing or malformed; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Calendar(_BasisCalendar, Protocol):
    @property
    def tz(self) -> Any: ...


class Outcome(str, Enum):
    """How a dossier ended (N-7: its end is processed, else returned, else stopped/refused)."""

    RESULT = "result"  # processed (9), maybe returned (10)
    NOT_ACCEPTED = "not_accepted"  # refused at reception (3)
    REFUSED = "refused"  # refused after appraisal, written reason (8, R-4.6)
    STOPPED = "stopped"  # handling stopped, notice of stopping (8)
    WITHDRAWN = "withdrawn"  # withdrawn by the applicant (7)


class NoticeKind(str, Enum):
    """Notices the applicant must get (issue 9/10 notifications; N-2 slips bear the same names)."""

    SUBMITTED = "submitted"  # online: code to track it
    RECEIVED = "received"  # receipt and appointment slip
    GUIDANCE = "guidance"  # reception: what is missing, in one go
    NOT_ACCEPTED = "not_accepted"  # reception refused, with the reason
    SUPPLEMENT_REQUESTED = "supplement_requested"  # after appraisal (R-4.6, N-4)
    PAYMENT_REQUESTED = "payment_requested"  # fee request
    APOLOGY = "apology"  # apology and new appointment (R-5.3, N-6)
    REFUSED = "refused"  # refusal after appraisal, with the reason
    STOPPED = "stopped"  # notice of stopping
    RESULT_READY = "result_ready"
    RETURNED = "returned"  # result returned (postal: tracking number)
    REFUNDED = "refunded"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class StatusChanged:
    at: datetime
    previous: DossierStatus | None  # None: the dossier was just registered
    status: DossierStatus
    channel: Channel
    reason: str | None = None

    def detail(self) -> dict[str, Any]:
        """What the timeline and the national portal's outbox row say (N-8 codes written out)."""
        out: dict[str, Any] = {"from": self.previous.value if self.previous else None, "to": self.status.value,
                               "status_code": self.status.national_code, "channel_code": self.channel.national_code}
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    kind: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


Event = StatusChanged | Notice | Recorded


@dataclass(frozen=True)
class Fee:
    """The fee of a dossier (R-6.2, R-6.3). Amounts in VND (whole numbers)."""

    amount: int
    requested_at: datetime
    paid_at: datetime | None = None
    reference: str | None = None  # online payment reference or desk receipt number
    method: str | None = None  # online | desk
    refunded_at: datetime | None = None
    refund_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "Fee | None":
        if not data:
            return None
        times = {"requested_at", "paid_at", "refunded_at"}
        return cls(**{k: (datetime.fromisoformat(v) if k in times and v else v) for k, v in data.items()})


@dataclass(frozen=True)
class LifecyclePolicy:
    """Rules the regulations leave configurable (REQUIREMENTS marks them secondary)."""

    second_supplement_late: bool = True  # N-4: more than one supplement request counts as late
    classify_against_reappointment: bool = False  # N-7/N-6: default: against the original appointment
    supplement_request_days: int = 3  # N-4: issued within 3 working days of receipt (warning after)
    forward_cutoff_hour: int = 15  # N-3: paper dossiers received after 15:00 go the next working day
    forward_hours: float = 8


OPEN = frozenset({S.NEW, S.ACCEPTED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED})
IN_HANDLING = frozenset({S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUESTED})
CLOSED = frozenset(s for s, targets in TRANSITIONS.items() if not targets)  # 3, 7, 8, 10: nothing follows


@dataclass
class Dossier:
    """One dossier's lifecycle state. Construct with `register`; load with the persisted fields."""

    code: str
    procedure_code: str
    agency_id: str
    channel: Channel
    status: DossierStatus
    received_at: datetime  # submission (online) or desk/postal receipt, as entered
    basis: DeadlineBasis  # the appointment's basis: statutory days from reception
    on_the_spot: bool = False  # result on the spot, no slip unless asked
    id: int | None = None
    version: int = 0
    completed_at: datetime | None = None  # end: processed, refused, stopped, withdrawn, not accepted
    outcome: Outcome | None = None
    status_reason: str | None = None
    timeliness: Timeliness | None = None  # N-7, stored at the end
    timeliness_reappointed: Timeliness | None = None  # against the re-appointment, beside it
    paused_since: datetime | None = None  # a supplement request waiting for the applicant (N-4)
    supplements: int = 0
    forced_late: bool = False  # N-4: a second supplement request
    fee: Fee | None = None
    result_ready_at: datetime | None = None
    returned_at: datetime | None = None
    return_channel: str | None = None
    tracking_number: str | None = None
    assigned_official: str | None = None  # the official the head assigned (assignment task)
    policy: LifecyclePolicy = field(default_factory=LifecyclePolicy, compare=False)
    pending: list[Event] = field(default_factory=list, compare=False)

    # ------------------------------------------------------------ registration and reception

    @classmethod
    def register(cls, *, code: str, procedure_code: str, agency_id: str, channel: Channel | str,
                 received_at: datetime, statutory_days: int, on_the_spot: bool = False,
                 policy: LifecyclePolicy | None = None, cutoff_hour: int | None = None) -> "Dossier":
        """A new dossier, status 1 (N-8), its code already given (N-1: online ones get it at submission
        so the applicant can track it). The appointment's basis counts `statutory_days` working days
        from `received_at` (R-3.4: from the next working time); `receive` fixes the reception time.
        `cutoff_hour` (procedure.toml): received after it, the count starts the next working day and
        0 days means by the end of that working day (DeadlineBasis)."""
        channel = Channel(channel)
        d = cls(code=code, procedure_code=procedure_code, agency_id=agency_id, channel=channel, status=S.NEW,
                received_at=received_at, basis=DeadlineBasis(received_at, working_days=int(statutory_days),
                                                                  cutoff_hour=cutoff_hour),
                on_the_spot=on_the_spot, policy=policy or LifecyclePolicy())
        d.pending.append(StatusChanged(received_at, None, S.NEW, channel))
        if channel is Channel.ONLINE:
            d.pending.append(Notice(NoticeKind.SUBMITTED, received_at, {"code": code}))
        return d

    def receive(self, at: datetime, calendar: Calendar, counted_from: datetime | None = None) -> None:
        """Reception: 1 → 2 → 4 (R-3), done at `at` (the status changes and the slip's notice are
        stamped then, N-8). The appointment counts from `counted_from` (default `at`), the reception
        time (`reception_time`, R-3.4; outside working hours the count starts at the next working
        hour). The applicant is sent the receipt and appointment slip, unless the result is on the
        spot (R-3.5); the notice names the reception time (`received_at`)."""
        start = at if counted_from is None else counted_from
        self._to(at, S.ACCEPTED, S.PROCESSING)
        if self.basis.start != start:
            self.basis = replace(self.basis, start=start)
        if not self.on_the_spot:
            self._notice(NoticeKind.RECEIVED, at, appointment=self.basis.due(calendar).isoformat(),
                         received_at=start.isoformat())

    def reception_time(self, at: datetime) -> datetime:
        """When a dossier whose reception step is done at `at` counts as received (R-3.4): an online
        one when it is announced valid (`at`); a paper one when it was handed in at the desk or
        arrived by post (`received_at`, as entered)."""
        return at if self.channel is Channel.ONLINE else self.received_at

    def guide_supplement(self, at: datetime, missing: list[str], reason: str) -> None:
        """Reception found the dossier incomplete (R-3.2): one notice listing everything missing with
        the reason. The dossier stays newly submitted (1) for the applicant to complete."""
        self._require(self.status is S.NEW, "guidance to supplement is given at reception (status 1)")
        items = _items(missing, "missing")
        self._notice(NoticeKind.GUIDANCE, at, missing=items, reason=_text(reason, "reason"))

    def refuse_reception(self, at: datetime, reason: str) -> None:
        """Refusal to receive (R-3.2): 1 → 3 with the reason; the dossier ends, not classified (N-7)."""
        reason = _text(reason, "reason")
        self._to(at, S.NOT_ACCEPTED, reason=reason)
        self._end(at, Outcome.NOT_ACCEPTED, reason, classify_it=False)
        self._notice(NoticeKind.NOT_ACCEPTED, at, reason=reason)

    # ------------------------------------------------------------ supplements (R-4.6, N-4)

    def request_supplement(self, at: datetime, missing: list[str], reason: str, calendar: Calendar) -> None:
        """4 → 5: the notice (drafted, approved by the head, sent by the desk) lists everything missing.
        The clock pauses from `at` until the applicant supplements. Later than 3 working days after
        reception is recorded as a warning (N-4); a second request marks the dossier late (N-4,
        configurable)."""
        items = _items(missing, "missing")
        reason = _text(reason, "reason")
        self._to(at, S.SUPPLEMENT_REQUESTED, reason=reason)
        self.paused_since = at
        self.supplements += 1
        limit = calendar.add_working_days(self.basis.start, self.policy.supplement_request_days)
        if at > limit:
            self._record("supplement_request_late", at, due=limit.isoformat(), rule="N-4")
        if self.supplements > 1 and self.policy.second_supplement_late:
            self.forced_late = True
            self._record("marked_late", at, rule="N-4", reason="more than one supplement request")
        self._notice(NoticeKind.SUPPLEMENT_REQUESTED, at, missing=items, reason=reason)

    def supplement_received(self, at: datetime) -> None:
        """5 → 4: the applicant supplemented; the pause [request, at] is excluded from the appointment
        and from the step deadlines (N-4)."""
        self._require(self.paused_since is not None and self.status is S.SUPPLEMENT_REQUESTED,
                      "no supplement was requested (status must be 5 supplement_requested)")
        start = self.paused_since
        self._to(at, S.PROCESSING)
        self.paused_since = None
        if at > start:
            self.basis = replace(self.basis, pauses=self.basis.pauses + ((start, at),))
        self._record("supplemented", at, paused_from=start.isoformat())

    # ------------------------------------------------------------ fees

    def request_payment(self, at: datetime, amount: int) -> None:
        """4 → 6: the applicant is asked to pay `amount` VND (a whole number > 0)."""
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise LifecycleDataError("amount", f"a fee amount is a whole number of VND above 0, got {amount!r}")
        self._require(self.fee is None, "a fee was already requested for this dossier (one fee request each)")
        self._to(at, S.PAYMENT_REQUESTED)
        self.fee = Fee(amount=amount, requested_at=at)
        self._notice(NoticeKind.PAYMENT_REQUESTED, at, amount=amount)

    def record_payment(self, at: datetime, reference: str, method: str) -> None:
        """6 → 4: paid online (platform reference) or at the desk (receipt number)."""
        if method not in ("online", "desk"):
            raise LifecycleDataError("method", f"payment method must be 'online' or 'desk', got {method!r}")
        reference = _text(reference, "reference")
        self._require(self.fee is not None and self.fee.paid_at is None and self.status is S.PAYMENT_REQUESTED,
                      "no fee is waiting to be paid (status must be 6 payment_requested)")
        self._to(at, S.PROCESSING)
        self.fee = replace(self.fee, paid_at=at, reference=reference[:128], method=method)  # type: ignore[arg-type]
        self._record("paid", at, amount=self.fee.amount, reference=self.fee.reference, method=method)

    def refund(self, at: datetime, reason: str) -> None:
        """R-6.3: a paid fee is refunded when the agency could not perform the service (the dossier
        was stopped or refused, status 8); never once the result was ready, even if not collected."""
        reason = _text(reason, "reason")
        if self.fee is None or self.fee.paid_at is None:
            raise LifecycleRefused("nothing was paid for this dossier, so nothing can be refunded")
        if self.fee.refunded_at is not None:
            raise LifecycleRefused(f"the fee was already refunded on {self.fee.refunded_at.isoformat()}")
        if self.result_ready_at is not None:
            raise LifecycleRefused("the result was ready: fees are not refunded, even if it was not collected (R-6.3)")
        self._require(self.status is S.STOPPED,
                      "fees are refunded when the agency could not perform the service: stop or refuse the "
                      "dossier first (status 8)")
        self.fee = replace(self.fee, refunded_at=at, refund_reason=reason)
        self._notice(NoticeKind.REFUNDED, at, amount=self.fee.amount, reason=reason)

    # ------------------------------------------------------------ ends

    def mark_result_ready(self, at: datetime, calendar: Calendar) -> None:
        """4 → 9: processed, the result at the one-stop desk (R-6.1); the dossier's end (N-7)."""
        self._require(self.status is not S.PAYMENT_REQUESTED,
                      "the fee requested is not paid yet (status 6): the result waits for it")
        self._to(at, S.PROCESSED)
        self.result_ready_at = at
        self._end(at, Outcome.RESULT, None, calendar=calendar)
        self._notice(NoticeKind.RESULT_READY, at)

    def refuse(self, at: datetime, reason: str, calendar: Calendar) -> None:
        """Refusal after appraisal (R-4.6), approved by the head: 4 → 8 with the written reason; the
        dossier ends and is classified on its end time (N-7), never counted as processed."""
        reason = _text(reason, "reason")
        self._to(at, S.STOPPED, reason=reason)
        self._end(at, Outcome.REFUSED, reason, calendar=calendar)
        self._notice(NoticeKind.REFUSED, at, reason=reason)

    def stop(self, at: datetime, reason: str, calendar: Calendar) -> None:
        """Stopping the handling (8) with a notice of stopping (N-2)."""
        reason = _text(reason, "reason")
        self._to(at, S.STOPPED, reason=reason)
        self._end(at, Outcome.STOPPED, reason, calendar=calendar)
        self._notice(NoticeKind.STOPPED, at, reason=reason)

    def withdraw(self, at: datetime, reason: str | None = None) -> None:
        """Withdrawal by the applicant (7), from any status before a result exists; not classified.
        The reason is optional: trimmed, and a blank one is none."""
        reason = (reason.strip() or None) if isinstance(reason, str) else None
        self._to(at, S.WITHDRAWN, reason=reason)
        self.paused_since = None
        self._end(at, Outcome.WITHDRAWN, reason or None, classify_it=False)
        self._notice(NoticeKind.WITHDRAWN, at, **({"reason": reason} if reason else {}))

    def return_result(self, at: datetime, channel: str, tracking_number: str | None, calendar: Calendar) -> None:
        """9 → 10 (R-6.1) by the applicant's channel: `online`, `postal` (tracking number required) or
        `desk`. A dossier still in processing (4) is marked processed first."""
        if channel not in ("online", "postal", "desk"):
            raise LifecycleDataError("return_channel", f"the result is returned 'online', by 'postal' service "
                                                       f"or at the 'desk', not {channel!r}")
        if channel == "postal":
            tracking_number = _text(tracking_number, "tracking_number")
        if self.status is S.PROCESSING:
            self.mark_result_ready(at, calendar)
        self._to(at, S.RETURNED)
        self.returned_at, self.return_channel = at, channel
        self.tracking_number = tracking_number[:64] if tracking_number else None
        self._notice(NoticeKind.RETURNED, at, channel=channel,
                     **({"tracking_number": self.tracking_number} if self.tracking_number else {}))

    # ------------------------------------------------------------ assignment

    def assign_official(self, at: datetime, username: str) -> None:
        """R-4.1: the head of the competent agency names the official who handles the dossier (the
        service checks the directory first); its next `official` tasks of the competent agency go to
        that official only. A later assignment replaces the earlier one."""
        username = _text(username, "official")
        self._require(not self.ended, f"dossier has ended (status {self.status.label}): nobody can be assigned")
        previous, self.assigned_official = self.assigned_official, username
        self._record("assigned", at, official=username, rule="R-4.1",
                     **({"previous": previous} if previous and previous != username else {}))

    # ------------------------------------------------------------ lateness (R-5.3, N-6)

    def reappoint(self, at: datetime, due: datetime, reason: str, calendar: Calendar) -> None:
        """The apology with a new appointment (N-6): at least 1 working day before the due instant,
        only once; the applicant is notified. Raises LifecycleRefused naming the rule."""
        self._require(self.status in IN_HANDLING, f"only a dossier in handling can be re-appointed "
                                                  f"(status {self.status.label})")
        try:
            self.basis = self.basis.reappoint(calendar, due, reason, at)
        except ReappointmentRefused as err:
            raise LifecycleRefused(str(err)) from None
        self._notice(NoticeKind.APOLOGY, at, reason=reason.strip(), new_appointment=due.isoformat(),
                     previous_appointment=self.basis.statutory_due(calendar).isoformat())

    # ------------------------------------------------------------ reading

    def due(self, calendar: Calendar) -> datetime:
        """The appointment in force (re-appointment if any, else statutory with pauses)."""
        return self.basis.due(calendar)

    def started(self, calendar: Calendar) -> datetime:
        return self.basis.started(calendar)

    @property
    def ended(self) -> bool:
        """Handling is over (N-7's end: processed, refused, stopped, withdrawn, not accepted)."""
        return self.status not in OPEN

    @property
    def closed(self) -> bool:
        """Nothing can follow (3, 7, 8, 10): its process has nothing left to do."""
        return self.status in CLOSED

    def is_late(self, now: datetime, calendar: Calendar) -> bool:
        """An open dossier past its appointment counts as late (N-7); a paused one is not judged
        while the applicant holds it; an ended one by its stored class."""
        if self.ended:
            return self.timeliness is Timeliness.LATE
        if self.forced_late:
            return True
        if self.status is S.SUPPLEMENT_REQUESTED:
            return False
        return now > self._classified_due(calendar)

    def drain(self) -> list[Event]:
        events, self.pending = self.pending, []
        return events

    # ------------------------------------------------------------ internals

    def _classified_due(self, calendar: Calendar) -> datetime:
        if self.policy.classify_against_reappointment:
            return self.basis.due(calendar)
        return self.basis.statutory_due(calendar)

    def _to(self, at: datetime, *steps: DossierStatus, reason: str | None = None) -> None:
        previous, changes = self.status, []
        try:
            for step in steps:
                target = change_status(previous, step)
                changes.append(StatusChanged(at, previous, target, self.channel, reason))
                previous = target
        except StatusTransitionRefused as err:  # nothing half-done
            raise LifecycleStateError(str(err)) from None
        self.pending.extend(changes)
        self.status = previous

    def _end(self, at: datetime, outcome: Outcome, reason: str | None, *, calendar: Calendar | None = None,
             classify_it: bool = True) -> None:
        if self.paused_since is not None:  # ended while the applicant held it: the pause ends too
            self.basis = replace(self.basis, pauses=self.basis.pauses + ((self.paused_since, at),))
            self.paused_since = None
        self.completed_at, self.outcome, self.status_reason = at, outcome, reason
        if classify_it and calendar is not None:
            self.timeliness = (Timeliness.LATE if self.forced_late
                               else classify(at, self._classified_due(calendar), calendar.tz))
            if self.basis.reappointment is not None:
                self.timeliness_reappointed = (Timeliness.LATE if self.forced_late
                                               else classify(at, self.basis.reappointed_due(calendar), calendar.tz))

    def _notice(self, kind: NoticeKind, at: datetime, **detail: Any) -> None:
        self.pending.append(Notice(kind, at, {"code": self.code, **detail}))

    def _record(self, kind: str, at: datetime, **detail: Any) -> None:
        self.pending.append(Recorded(kind, at, detail))

    @staticmethod
    def _require(condition: bool, message: str) -> None:
        if not condition:
            raise LifecycleStateError(message)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LifecycleDataError(name, f"{name} must be a non-empty text")
    return value.strip()


def _items(values: Any, name: str) -> list[str]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        raise LifecycleDataError(name, f"{name} must list at least one item, each a non-empty text (R-3.2: in one go)")
    return [v.strip() for v in values]
