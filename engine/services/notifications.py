"""Sending the notices the applicant must get (R-3.1, R-3.2, R-4.6, R-6, N-6), issue 10.

Every notice is queued in the outbox (topic `notification`) in the same transaction as the change
(engine/services/dossier_store.py). `send_due` is the worker, run by the scheduler every
MOTCUA_NOTIFY_INTERVAL seconds in every API / scheduler process and by `motcua notifications send`:

1. claim up to `batch` due notices in one short transaction (engine/persistence/notifications.py:
   the attempt is counted and the row held for a lease, so no other worker takes it; committed
   before anything is sent, so a slow mail server never holds a database lock); a notice is
   started only while its lease outlasts two sends, the rest of a slow batch is given back;
2. for each, read the applicant's contact from the dossier (engine/notifications/contact.py),
   render the Vietnamese texts (engine/notifications/render.py) and send by e-mail and/or SMS,
   whichever senders are on and the applicant gave an address for; a channel already sent by an
   earlier attempt is not sent again;
3. record the outcome: `sent`; or, after a temporary failure, due again after the backoff
   (backoff · 2^(attempts-1), at most backoff_max); or, after `max_attempts` attempts or a
   permanent failure, `failed`; a notice with no usable contact for any sender in use is
   `undeliverable` at once (never retried by itself). Failed and undeliverable notices stay unsent
   and visible (`motcua notifications status`, GET /api/admin/notifications) until an operator
   retries them (`motcua notifications retry ID`, POST /api/admin/notifications/ID/retry).

Delivery is at least once: a worker that dies between sending and recording leaves the notice to
be sent again when its lease ends (the e-mail keeps its Message-ID, so mail systems can drop it).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine import logs
from engine.domain import administration as rules
from engine.domain.access import Official
from engine.notifications.contact import contact_of
from engine.notifications.render import render_notice
from engine.notifications.senders import Email, PermanentFailure, Senders, Sms
from engine.notifications.settings import NotifySettings
from engine.persistence.notifications import NoticeRow

from .account_admin import rule
from .change_audit import record_change
from .context import EngineContext
from .errors import Conflict, Forbidden, InvalidInput, NotFound

log = logging.getLogger(__name__)

STATES = ("failed", "undeliverable", "retrying")  # what operators are shown


@dataclass(frozen=True)
class SendReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0  # a temporary failure: due again after the backoff
    failed: int = 0  # given up: attempts exhausted or a permanent failure
    undeliverable: int = 0  # no contact the senders in use can reach
    lost: int = 0  # the outcome was not recorded: the row moved on (lease ran out, operator retried)
    given_back: int = 0  # claimed but not tried: too little of the lease was left (a slow batch)


@dataclass(frozen=True)
class NotificationView:
    id: int
    kind: str
    dossier_code: str | None
    at: datetime  # when the event happened
    state: str  # pending, retrying, failed, undeliverable, sent
    attempts: int
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None  # None once sent or given up
    last_error: str | None
    sent_at: datetime | None
    delivered: dict[str, Any] = field(default_factory=dict)  # channel -> {"to", "at"}


@dataclass(frozen=True)
class NotificationSummary:
    pending: int  # waiting for their first attempt
    retrying: int
    failed: int
    undeliverable: int
    sent: int
    oldest_waiting_at: datetime | None  # the oldest notice still to be sent (pending or retrying)
    oldest_waiting_age: timedelta | None
    email: str  # the senders in use (settings): off, log, smtp
    sms: str


@dataclass(frozen=True)
class _Outcome:
    values: dict[str, Any]
    state: str


class NotificationService:
    def __init__(self, ctx: EngineContext, settings: NotifySettings, senders: Senders):
        self.ctx = ctx
        self.settings = settings
        self.senders = senders

    @property
    def enabled(self) -> bool:
        return self.senders.email is not None or self.senders.sms is not None

    # ------------------------------------------------------------ the worker

    def send_due(self, limit: int | None = None) -> SendReport:
        """Claim and send up to `limit` (default: the batch setting) due notices; see the module's
        docstring. Raises Conflict when no sender is on (every notice would be undeliverable)."""
        if not self.enabled:
            raise Conflict("no notification sender is on (MOTCUA_NOTIFY_EMAIL and MOTCUA_NOTIFY_SMS are off): "
                           "notices are left for `motcua outbox export --topic notification`")
        now = self.ctx.clock.now()
        lease_until = now + timedelta(seconds=self.settings.lease_seconds)
        with self.ctx.uow() as uow:  # SQLite: BEGIN IMMEDIATE at the first statement
            claimed = uow.notifications.claim(now, lease_until, limit or self.settings.batch)
            uow.commit()
        # A notice is sent only while its lease surely outlasts the send (two channels, each up to
        # the SMTP timeout): past that another worker may claim it, so the rest are given back.
        last_start = lease_until - timedelta(seconds=2 * self.settings.smtp_timeout)
        counts = {"sent": 0, "retrying": 0, "failed": 0, "undeliverable": 0, "lost": 0, "given_back": 0}
        for row in claimed:
            if self.ctx.clock.now() > last_start:
                with self.ctx.uow() as uow:
                    uow.notifications.finish(row.id, row.attempts, attempts=row.attempts - 1, next_attempt_at=None)
                    uow.commit()
                counts["given_back"] += 1
                continue
            started = self.ctx.clock.now()
            outcome = logs.isolated(self._send_one, row)
            with self.ctx.uow() as uow:
                kept = uow.notifications.finish(row.id, row.attempts, last_attempt_at=started, **outcome.values)
                uow.commit()
            counts[outcome.state if kept else "lost"] += 1
        return SendReport(len(claimed), **counts)

    def _send_one(self, row: NoticeRow) -> _Outcome:
        logs.bind(dossier=row.dossier_code, notice=row.id)
        now = self.ctx.clock.now()
        contact = contact_of(row.applicant)
        channels = [(c, to) for c, to, sender in (("email", contact.email, self.senders.email),
                                                   ("sms", contact.phone, self.senders.sms)) if sender and to]
        if not channels:
            why = _no_contact(contact, self.senders)
            log.warning("notice %s (%s) of %s is undeliverable: %s", row.id, row.kind, row.dossier_code, why)
            return _Outcome({"delivery": "undeliverable", "next_attempt_at": None, "last_error": why}, "undeliverable")
        try:
            text = render_notice(row.kind, row.payload, row.at, self.ctx.calendars().tz,
                                 name=contact.name, procedure=row.procedure_name)
        except Exception as err:  # a template fault: retrying cannot help until it is fixed
            log.exception("notice %s (%s) could not be rendered", row.id, row.kind)
            return _Outcome({"delivery": "failed", "next_attempt_at": None,
                             "last_error": f"rendering: {type(err).__name__}: {err}"[:2000]}, "failed")
        delivered = dict(row.delivered)
        temporary: list[str] = []
        permanent: list[str] = []
        for channel, to in channels:
            if channel in delivered:
                continue
            try:
                if channel == "email":
                    self.senders.email.send_email(Email(row.id, to, text.subject, text.body, now))  # type: ignore[union-attr]
                else:
                    self.senders.sms.send_sms(Sms(row.id, to, text.sms))  # type: ignore[union-attr]
            except PermanentFailure as err:
                permanent.append(f"{channel}: {err}")
            except Exception as err:  # network, server busy, timeouts: try again later
                temporary.append(f"{channel}: {type(err).__name__}: {err}")
            else:
                delivered[channel] = {"to": to, "at": now.isoformat()}
        errors = "; ".join(temporary + permanent)[:2000] or None
        base = {"delivered": delivered, "last_error": errors}
        if temporary and row.attempts < self.settings.max_attempts:
            wait = self.settings.backoff(row.attempts)
            log.warning("notice %s (%s) attempt %d failed, next at %s: %s", row.id, row.kind, row.attempts,
                        (now + wait).isoformat(), errors)
            return _Outcome({**base, "next_attempt_at": now + wait}, "retrying")
        if delivered:  # reached the applicant by at least one channel; the rest is recorded
            return _Outcome({**base, "sent_at": now, "next_attempt_at": None}, "sent")
        log.error("notice %s (%s) of %s failed after %d attempt(s): %s", row.id, row.kind, row.dossier_code,
                  row.attempts, errors)
        return _Outcome({**base, "delivery": "failed", "next_attempt_at": None}, "failed")

    # ------------------------------------------------------------ operators

    def summary(self, user: Official) -> NotificationSummary:
        """Counts by state and the oldest notice still waiting (for `status` and monitoring), every
        agency's: a system administrator's view. Raises Forbidden for anyone else."""
        if rule(rules.administered_agency, user, what="notification") is not None:
            raise Forbidden("only a system administrator sees every agency's notification counts; "
                            "list your agency's with GET /api/admin/notifications")
        now = self.ctx.clock.now()
        with self.ctx.uow(write=False) as uow:
            s = uow.notifications.summary()
        oldest = s["oldest_waiting_at"]
        return NotificationSummary(int(s["pending"] or 0), int(s["retrying"] or 0), int(s["failed"] or 0),
                                   int(s["undeliverable"] or 0), int(s["sent"] or 0), oldest,
                                   now - oldest if oldest else None, self.settings.email, self.settings.sms)

    def problems(self, user: Official, state: str | None = None, agency: str | None = None, limit: int = 50,
                 offset: int = 0) -> tuple[list[NotificationView], int]:
        """Notices that failed, are undeliverable or wait for a retry, oldest first, and their total.
        Raises InvalidInput (unknown state), Forbidden (not an administrator; an agency administrator
        asking for another agency: it sees its own agency's dossiers' notices)."""
        if state is not None and state not in STATES:
            raise InvalidInput(f"unknown notification state {state!r}", [("state", f"one of {', '.join(STATES)}")])
        agency = rule(rules.check_list, user, agency, what="notification")
        with self.ctx.uow(write=False) as uow:
            rows, total = uow.notifications.problems(state, agency, limit, offset)
        return [_view(r) for r in rows], total

    def show(self, user: Official, notice_id: int) -> NotificationView:
        """One notification. Raises Forbidden, NotFound (no such notice; another agency's for an
        agency administrator)."""
        with self.ctx.uow(write=False) as uow:
            return _view(self._visible(uow, user, notice_id))

    def retry(self, user: Official, notice_id: int, request_id: str = "") -> NotificationView:
        """Send a failed, undeliverable or retrying notice again at the next run of the worker, with a
        fresh count of attempts (after fixing the mail server or the applicant's contact; channels
        already sent are not sent again). Audited (R-8.5). Raises Forbidden, NotFound, Conflict
        (sent already; waiting for its first attempt anyway)."""
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            row = self._visible(uow, user, notice_id)
            if row.sent_at is not None:
                raise Conflict(f"notification {notice_id} was sent on {row.sent_at.isoformat()}")
            if row.delivery is None and row.last_error is None:
                raise Conflict(f"notification {notice_id} has not failed: it is waiting for its first attempt")
            if not uow.notifications.retry_now(notice_id):
                raise Conflict(f"notification {notice_id} was sent meanwhile")
            record_change(uow, now, user, "notification.retry", f"notifications/{notice_id}", request_id,
                          {"dossier": row.dossier_code, "kind": row.kind, "was": _state(row)})
            uow.commit()
            return _view(uow.notifications.get(notice_id))  # type: ignore[arg-type]

    def _visible(self, uow: Any, user: Official, notice_id: int) -> NoticeRow:
        own = rule(rules.administered_agency, user, what="notification")
        row = uow.notifications.get(notice_id)
        if row is None or (own is not None and row.agency_id != own):
            raise NotFound(f"no notification {notice_id}")
        return row


def _state(r: NoticeRow) -> str:
    if r.sent_at is not None:
        return "sent"
    if r.delivery is not None:
        return r.delivery
    return "retrying" if r.last_error is not None else "pending"


def _view(r: NoticeRow) -> NotificationView:
    state = _state(r)
    return NotificationView(r.id, r.kind, r.dossier_code, r.at, state, r.attempts, r.last_attempt_at,
                            r.next_attempt_at if state in ("pending", "retrying") else None, r.last_error,
                            r.sent_at, r.delivered)


def _no_contact(contact: Any, senders: Senders) -> str:
    if not contact.any:
        return "the applicant gave no usable e-mail address or phone number"
    if contact.email and senders.email is None:
        return "the applicant gave only an e-mail address and e-mail is off (MOTCUA_NOTIFY_EMAIL)"
    return "the applicant gave only a phone number and SMS is off (MOTCUA_NOTIFY_SMS)"
