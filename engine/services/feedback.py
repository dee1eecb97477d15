"""Feedback and complaints (phản ánh, kiến nghị, R-7.2): the use cases of procedure PAKN-01.

- an applicant sends one online, about one of their dossiers or to an agency, and follows it;
- an official of the one-stop desk (or the agency head) enters one received at the desk, by phone,
  by post or by e-mail, with its receipt time: entered more than 8 working hours after it, the case
  is flagged (R-7.2, QĐ 04/2024 Đ21.3);
- the agency head assigns it to an official; the official (or the head) answers it within 13
  working days of its receipt, and the answer is published to the sender (Đ21.4).

Each case is an instance of the feedback procedure's diagram (processes/PAKN-01), on the version in
effect at its receipt: every use case acts through its steps (engine/services/feedback_workflow.py),
and the case's status is where that workflow stands, never set on its own.

Each change is one transaction: the case's row (compare-and-set on its version: of two racing
changes one wins, the other is a Conflict), its timeline, and the outbox rows of what the sender
must be told (topic `notification`, kinds `feedback_received` / `feedback_answered`, payload with
the feedback code, the sender's name and contact), as engine/services/dossier_store.py does for
dossiers. Who sees a case: officials of its agency and the oversight roles; an applicant their
own (by citizen ID number, the name as a check); anyone else gets NotFound.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from engine.domain.access import Official
from engine.domain.applicant import Applicant
from engine.domain.feedback import (
    ANSWER_DAYS,
    ENTRY_HOURS,
    PROCEDURE_CODE,
    Feedback,
    FeedbackChannel,
    FeedbackDataError,
    FeedbackRefused,
    FeedbackStatus,
    Sender,
    format_feedback_code,
)
from engine.domain.roles import Role
from engine.domain.ontime import Window
from engine.persistence.feedback import FeedbackCounts, FeedbackEntry

from . import feedback_workflow as workflow
from .context import EngineContext
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessFailure
from .feedback_workflow import ANSWER, ASSIGNMENT, ENTRY
from .officials import check_assignee
from .rate_limit import RateLimiter, RateRule
from .reports import ReportQuery, ReportService

ENTRY_ROLES = frozenset({Role.ONE_STOP_OFFICER.value, Role.AGENCY_HEAD.value})  # who enters offline feedback
CONTACT_FIELDS = ("phone", "email", "address")
MAX_CONTACT = 255
# Online feedback per applicant (citizen ID number): each case binds an agency to answer within 13
# working days and counts in its ranking, so one account must not flood an agency.
SUBMIT_RULE = RateRule(limit=10, window=timedelta(days=1))


@dataclass(frozen=True)
class FeedbackView:
    """A case as officials see it; `overdue`: unanswered past `due_at` now."""

    code: str
    procedure_code: str
    agency_id: str
    channel: str
    status: str
    sender: dict[str, Any]
    subject: str
    content: str
    dossier_code: str | None
    received_at: datetime
    entered_at: datetime
    entered_by: str
    entry_due_at: datetime | None
    entered_late: bool
    due_at: datetime
    overdue: bool
    assigned_to: str | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    timeliness: str | None
    version: int
    timeline: list[FeedbackEntry] = field(default_factory=list)
    procedure_version: int | None = None  # the feedback procedure's version the case runs on


@dataclass(frozen=True)
class SenderFeedbackView:
    """A case as its sender sees it: what they sent, where it stands, and the published answer."""

    code: str
    agency_id: str
    status: str
    subject: str
    content: str
    dossier_code: str | None
    received_at: datetime
    due_at: datetime
    answer: str | None
    answered_at: datetime | None


class FeedbackService:
    def __init__(self, ctx: EngineContext, limiter: RateLimiter | None = None, submit_rule: RateRule = SUBMIT_RULE):
        self.ctx = ctx
        self.limiter = limiter or RateLimiter(ctx)
        self.submit_rule = submit_rule

    # ------------------------------------------------------------ receiving

    def submit_online(self, applicant: Applicant, subject: Any, content: Any, dossier_code: str | None = None,
                      agency_id: str | None = None, contact: dict[str, Any] | None = None) -> SenderFeedbackView:
        """Online feedback from an applicant (Đ21.2.b), received now. About one of their dossiers
        (`dossier_code`: its agency handles it; not theirs: NotFound; an `agency_id` named beside it
        must be that agency) or to `agency_id` (an agency with a procedure in the catalogue).
        InvalidInput names the field at fault. Every attempt counts against `submit_rule` per citizen
        ID number, before anything is checked: past it, TooManyRequests (429 with Retry-After)."""
        self.limiter.take("public-feedback", applicant.id_number, self.submit_rule, "feedback submissions")
        contact = _contact(contact)
        sender = Sender(applicant.name, applicant.id_number, contact)
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            dossier_id, agency = None, agency_id
            if dossier_code is not None:
                row = uow.dossiers.load(None, dossier_code)
                if row is None or not applicant.owns(row.applicant_id_number, row.applicant_name):
                    raise NotFound(f"you have no dossier {dossier_code}")
                if agency_id is not None and agency_id != row.agency_id:  # named both: they must agree
                    raise InvalidInput(f"dossier {dossier_code} is handled by agency {row.agency_id}, not {agency_id}",
                                       [("agency_id", f"the dossier's agency is {row.agency_id}: "
                                                      "leave agency_id out or name that one")])
                dossier_id, agency = row.id, row.agency_id
            elif agency is None or agency not in {e.agency_id for e in uow.reports.catalogue().values()}:
                raise InvalidInput("name the dossier the feedback is about, or the agency it is for",
                                   [("agency_id", "unknown agency" if agency else "required without dossier_code")])
            case = self._receive(uow, agency, FeedbackChannel.ONLINE, sender, subject, content, now, now,
                                 applicant.username, dossier_code)
            self._add(uow, case, dossier_id, applicant.username)
            uow.commit()
        return _sender_view(case)

    def enter(self, user: Official, channel: str, received_at: datetime, sender_name: Any, subject: Any,
              content: Any, dossier_code: str | None = None, sender_id_number: str | None = None,
              contact: dict[str, Any] | None = None) -> FeedbackView:
        """Offline feedback entered by the one-stop desk or the agency head of `user`'s agency, with
        the time it was received (at the desk, on the phone, by post or e-mail). Entered more than 8
        working hours after `received_at` is flagged `entered_late` (Đ21.3). Forbidden for other
        roles; InvalidInput naming the field (an online channel, a receipt in the future, a dossier
        not of the user's agency…)."""
        if not (user.roles & ENTRY_ROLES):
            raise Forbidden("feedback received offline is entered by the one-stop desk or the agency head (R-7.2)")
        if channel == FeedbackChannel.ONLINE.value:
            raise InvalidInput("online feedback is sent by the applicant, not entered",
                               [("channel", "one of desk, phone, postal, email")])
        if not isinstance(sender_name, str) or not sender_name.strip() or len(sender_name) > 255:
            raise InvalidInput("the sender's name is 1-255 characters", [("sender.name", "required, at most 255")])
        if sender_id_number is not None and not (len(sender_id_number) == 12 and sender_id_number.isdigit()):
            raise InvalidInput("a citizen ID number is exactly 12 digits", [("sender.id_number", "12 digits")])
        if not isinstance(received_at, datetime) or received_at.tzinfo is None:
            raise InvalidInput("received_at is a time with its zone", [("received_at", "a time with a zone offset")])
        sender = Sender(sender_name.strip(), sender_id_number, _contact(contact))
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            dossier_id = None
            if dossier_code is not None:
                row = uow.dossiers.load(None, dossier_code)
                if row is None:
                    raise InvalidInput(f"no dossier {dossier_code}", [("dossier_code", "no such dossier")])
                if row.agency_id != user.agency_id:
                    raise InvalidInput(f"dossier {dossier_code} is handled by agency {row.agency_id}",
                                       [("dossier_code", f"belongs to agency {row.agency_id}")])
                dossier_id = row.id
            case = self._receive(uow, user.agency_id, channel, sender, subject, content, received_at, now,
                                 user.username, dossier_code)
            self._add(uow, case, dossier_id, user.username)
            uow.commit()
            return self._view(uow, case, now)

    # ------------------------------------------------------------ handling

    def assign(self, user: Official, code: str, official: Any, version: int | None = None) -> FeedbackView:
        """The agency head names the official (an active `official` of the agency: InvalidInput on
        the field `official` otherwise) who handles the case. Forbidden for anyone else who sees it.
        Completes the workflow's assignment step; while its answer step is ready, names another
        official (the workflow stays); Conflict at any other step or once answered."""
        def act(uow: Any, case: Feedback, wf: workflow.CaseWorkflow, now: datetime) -> None:
            if not (user.has(Role.AGENCY_HEAD) and user.agency_id == case.agency_id):
                raise Forbidden("the agency head assigns feedback (R-7.2)")
            chosen = check_assignee(uow, official, Role.OFFICIAL.value, case.agency_id, field="official")
            if wf.at(ANSWER) is None:
                wf.complete(ASSIGNMENT, {"official": chosen.username})
            case.assign(now, chosen.username)
        return self._change(user, code, version, act)

    def answer(self, user: Official, code: str, text: Any, version: int | None = None) -> FeedbackView:
        """The answer, published to the sender at once (notice `feedback_answered`), by the assigned
        official or the agency head; classified against the 13 working days (Đ21.4). Forbidden for
        others who see it; Conflict unless the workflow's answer step is ready (not assigned yet, or
        already answered). Completes that step: the process must then end (answered)."""
        def act(uow: Any, case: Feedback, wf: workflow.CaseWorkflow, now: datetime) -> None:
            head = user.has(Role.AGENCY_HEAD) and user.agency_id == case.agency_id
            if not head and user.username != case.assigned_to:
                raise Forbidden("the official the feedback is assigned to, or the agency head, answers it")
            wf.require(ANSWER)
            case.answer_with(now, text, user.username, self.ctx.calendars())
            # `official`: who has the case now (a re-assignment does not move the instance, R-7.2)
            wf.complete(ANSWER, {"answer": case.answer, "answered_by": user.username, "official": case.assigned_to})
        return self._change(user, code, version, act)

    # ------------------------------------------------------------ reading

    def get(self, user: Official, code: str) -> FeedbackView:
        with self.ctx.uow(write=False) as uow:
            case, _ = self._visible(uow, user, code)
            return self._view(uow, case, self.ctx.clock.now(), with_timeline=True)

    def cases(self, user: Official, status: str | None = None, overdue: bool = False, limit: int = 50,
             offset: int = 0) -> tuple[list[FeedbackView], int]:
        """The cases `user` may see (their agency's; every agency for oversight), newest first, or
        only the unanswered ones past due (`overdue`), most overdue first."""
        if status is not None and status not in {s.value for s in FeedbackStatus}:
            raise InvalidInput(f"unknown status {status!r}",
                               [("status", f"one of {', '.join(s.value for s in FeedbackStatus)}")])
        now = self.ctx.clock.now()
        agencies = None if user.oversees else [user.agency_id]
        with self.ctx.uow(write=False) as uow:
            cases, total = uow.feedback.query(agencies, status, overdue_at=now if overdue else None,
                                              limit=limit, offset=offset)
            return [self._view(uow, c, now) for c in cases], total

    def mine(self, applicant: Applicant, limit: int = 50, offset: int = 0) -> tuple[list[SenderFeedbackView], int]:
        """The applicant's feedback (by citizen ID number, the name as a check), newest first, and how
        many there are. The name is checked in the query, before the page is cut: a case sent under
        their ID number with another name neither empties a page nor counts in the total."""
        with self.ctx.uow(write=False) as uow:
            cases, total = uow.feedback.query(sender_id_number=applicant.id_number, sender_name=applicant.name,
                                              limit=limit, offset=offset)
        return [_sender_view(c) for c in cases], total

    def get_mine(self, applicant: Applicant, code: str) -> SenderFeedbackView:
        """One of the applicant's cases with its published answer; NotFound when not theirs."""
        with self.ctx.uow(write=False) as uow:
            found = uow.feedback.get(code)
        if found is None or not applicant.owns(found[0].sender.id_number, found[0].sender.name):
            raise NotFound(f"you have no feedback {code}")
        return _sender_view(found[0])

    # ------------------------------------------------------------ reports, apart from dossiers

    def report(self, user: Official, period: str, agencies: Sequence[str] | None = None) -> FeedbackReport:
        """Feedback per agency in `period` (R-7.2, R-7.4): received (online, entered late), answered
        (early / on time / late against the 13 working days) and open / open past due as of the
        period's end, or now while it runs. Counted from the `feedback` table only: the dossier
        reports (N-7, N-9, ranking) never see feedback. Who: as the dossier reports
        (ReportService.scope: control office every agency, a head their own, others Forbidden)."""
        scope = ReportService.scope(user, agencies)
        query = ReportQuery.parse(period, agencies=scope)
        window = Window.of(*query.period.bounds(self.ctx.calendars().tz), self.ctx.clock.now())
        with self.ctx.uow(write=False) as uow:
            rows = uow.feedback.counts(window.start, window.end, window.as_of, query.agencies)
        total = FeedbackCounts("", **{k: sum(getattr(r, k) for r in rows) for k in _FIGURES})
        return FeedbackReport(query.period.label, window.start, window.end, window.as_of, rows, total)

    # ------------------------------------------------------------ internals

    def _receive(self, uow: Any, agency: str, channel: Any, sender: Sender, subject: Any, content: Any,
                 received_at: datetime, now: datetime, actor: str, dossier_code: str | None) -> Feedback:
        """A new case and its instance of the feedback procedure version in effect at `received_at`:
        online, standing at the assignment step; offline, its entry step completed now (due the
        step's workingHours after the receipt, Đ21.3). Due the version's statutory_days (Đ21.4)."""
        cal = self.ctx.calendars()
        day = received_at.astimezone(cal.tz).date()
        version = workflow.version_in_effect(uow, received_at, now)
        code = format_feedback_code(agency, day, uow.feedback.next_sequence(agency, day))
        wf = workflow.start(self.ctx, uow, version.id, workflow.start_data(
            code, agency, getattr(channel, "value", channel), received_at, dossier_code, cal.tz))
        entry = wf.at(ENTRY)
        try:
            case = Feedback.receive(code=code, agency_id=agency, channel=channel, sender=sender, subject=subject,
                                    content=content, received_at=received_at, entered_at=now, entered_by=actor,
                                    calendar=cal, dossier_code=dossier_code,
                                    entry_hours=entry.working_hours if entry and entry.working_hours is not None
                                    else ENTRY_HOURS,
                                    answer_days=int(version.meta.get("statutory_days", ANSWER_DAYS)))
        except FeedbackDataError as err:
            raise InvalidInput(str(err), [(err.field, str(err))]) from None
        if case.channel.offline:
            if entry is None:
                raise ProcessFailure(f"{PROCEDURE_CODE} v{version.number} does not take offline feedback to an entry "
                                     "step (Đ21.3: it is entered within 8 working hours)")
            wf.complete(ENTRY, workflow.entry_data(received_at, now, actor, cal.tz))
            if wf.at(ENTRY) is not None:  # entered once: a case back there would wait for an entry forever
                raise ProcessFailure(f"{PROCEDURE_CODE} v{version.number} brings the entered feedback back at its "
                                     "entry step (docs/bpmn-conventions.md §16)", element_id=entry.element_id)
        elif wf.at(ASSIGNMENT) is None:
            raise ProcessFailure(f"{PROCEDURE_CODE} v{version.number} does not take online feedback to its "
                                 "assignment step")
        wf.keep(case)
        return case

    def _add(self, uow: Any, case: Feedback, dossier_id: int | None, actor: str) -> None:
        uow.feedback.add(case, dossier_id)
        self._write_events(uow, case, dossier_id, actor)

    def _change(self, user: Official, code: str, version: int | None, act: Any) -> FeedbackView:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            case, dossier_id = self._visible(uow, user, code)
            if version is not None and version != case.version:
                raise Conflict(f"feedback {code} is at version {case.version}, not {version}: reload and try again")
            wf = workflow.load(self.ctx, uow, case, now)
            try:
                act(uow, case, wf, now)
            except FeedbackDataError as err:
                raise InvalidInput(str(err), [(err.field, str(err))]) from None
            except FeedbackRefused as err:
                raise Conflict(str(err)) from None
            wf.keep(case)  # the workflow's state and the status it reached, in the same row and write
            if not uow.feedback.save(case):
                raise Conflict(f"feedback {code} was changed by someone else; reload and try again")
            self._write_events(uow, case, dossier_id, user.username)
            uow.commit()
            return self._view(uow, case, now)

    def _visible(self, uow: Any, user: Official, code: str) -> tuple[Feedback, int | None]:
        """The case and the id of its dossier, if `user` may see it (its agency, or oversight)."""
        found = uow.feedback.get(code)
        if found is None or not (user.oversees or user.agency_id == found[0].agency_id):
            raise NotFound(f"no feedback {code}")
        return found

    def _write_events(self, uow: Any, case: Feedback, dossier_id: int | None, actor: str) -> None:
        tz = self.ctx.calendars().tz
        events, outbox = [], []
        for e in case.drain():
            events.append((e.at, e.kind, actor, e.detail))
            if e.notify:
                payload = {"feedback_code": case.code, "dossier_code": case.dossier_code,
                           "to": case.sender.to_json(), "subject": case.subject, **e.detail,
                           "at": e.at.astimezone(tz).isoformat()}
                outbox.append({"topic": "notification", "kind": e.kind, "dossier_id": dossier_id,
                               "dossier_code": case.dossier_code, "at": e.at, "payload": payload, "attempts": 0})
        uow.feedback.add_events(case.id, events)
        uow.outbox.add(outbox)

    def _view(self, uow: Any, case: Feedback, now: datetime, with_timeline: bool = False) -> FeedbackView:
        return FeedbackView(
            code=case.code, procedure_code=PROCEDURE_CODE, agency_id=case.agency_id, channel=case.channel.value,
            status=case.status.value, sender=case.sender.to_json(), subject=case.subject, content=case.content,
            dossier_code=case.dossier_code, received_at=case.received_at, entered_at=case.entered_at,
            entered_by=case.entered_by, entry_due_at=case.entry_due_at, entered_late=case.entered_late,
            due_at=case.due_at, overdue=case.overdue(now), assigned_to=case.assigned_to, answer=case.answer,
            answered_at=case.answered_at, answered_by=case.answered_by,
            timeliness=case.timeliness.value if case.timeliness else None, version=case.version,
            timeline=uow.feedback.events(case.id) if with_timeline else [],
            procedure_version=self.ctx.processes.info(uow, case.procedure_version_id).number
            if case.procedure_version_id is not None else None)


@dataclass(frozen=True)
class FeedbackReport:
    period: str
    start: datetime
    end: datetime
    as_of: datetime  # open and open past due are counted as of this instant
    rows: list[FeedbackCounts]  # one per agency
    total: FeedbackCounts  # agency_id ""


_FIGURES = ("received", "received_online", "entered_late", "answered", "early", "on_time", "late", "open",
            "open_overdue")


@dataclass(frozen=True)
class WatchedFeedback:
    """An unanswered case past due, in the overdue list beside dossiers (engine/services/watchlist.py)."""

    code: str
    agency_id: str
    channel: str
    status: str
    subject: str
    dossier_code: str | None
    received_at: datetime
    due_at: datetime
    hours_left: float  # working hours until due_at: negative, overdue by that much
    assigned_to: str | None


def overdue_feedback(uow: Any, agencies: Iterable[str] | None, now: datetime, calendar: Any,
                     limit: int) -> list[WatchedFeedback]:
    """Unanswered cases past due at `now` in `agencies` (None: every agency), most overdue first,
    read in the caller's unit of work (R-7.2: 13 working days)."""
    cases, _ = uow.feedback.query(sorted(agencies) if agencies is not None else None, overdue_at=now, limit=limit)
    return [WatchedFeedback(c.code, c.agency_id, c.channel.value, c.status.value, c.subject, c.dossier_code,
                            c.received_at, c.due_at, round(calendar.working_hours_between(now, c.due_at), 2),
                            c.assigned_to) for c in cases]


def _sender_view(case: Feedback) -> SenderFeedbackView:
    return SenderFeedbackView(case.code, case.agency_id, case.status.value, case.subject, case.content,
                              case.dossier_code, case.received_at, case.due_at, case.answer, case.answered_at)


def _contact(contact: dict[str, Any] | None) -> dict[str, str]:
    contact = contact or {}
    if not isinstance(contact, dict):
        raise InvalidInput("contact is an object", [("contact", "an object with phone, email, address")])
    out: dict[str, str] = {}
    for key, value in contact.items():
        if key not in CONTACT_FIELDS:
            raise InvalidInput(f"unknown contact field {key!r}", [(f"contact.{key}", "unknown field")])
        if not isinstance(value, str) or len(value) > MAX_CONTACT:
            raise InvalidInput(f"contact.{key} is a text of at most {MAX_CONTACT} characters",
                               [(f"contact.{key}", f"a text of at most {MAX_CONTACT} characters")])
        if value.strip():
            out[key] = value.strip()
    return out
