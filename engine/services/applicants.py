"""The applicants' use cases (issue 10, R-2, R-7.1): submit online, follow one's dossiers, and the
public lookup by dossier code. Access rules live here: an applicant sees and acts on the dossiers
filed for their citizen ID number (with the name as a check) and nothing else; another applicant's
dossier does not exist for them (NotFound), as another agency's does not for an official.

Shapes are typed dataclasses; times are aware datetimes (UTC from the database).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from engine.domain import access
from engine.domain.applicant import Applicant
from engine.domain.dossier_status import Channel, DossierStatus
from engine.domain.lifecycle_steps import is_feedback_procedure
from engine.persistence.ratings import RatingRow, StoredForm
from engine.persistence.rows import DossierRow

from . import ratings
from .attachments import AttachmentService, AttachmentView
from .context import EngineContext
from .data_limits import check_data
from .dossiers import DossierService
from .errors import Conflict, InvalidInput, NotFound, Unavailable
from .lifecycle import LifecycleService
from .messages import DossierFacts
from .online_payments import pay_online
from .payments import PaymentGateway
from .rate_limit import RateLimiter, RateRule

# Public lookups by code per client address: enough for a person checking a few dossiers,
# too few to walk the code space (N-1 codes are sequential per agency and day).
LOOKUP_RULE = RateRule(limit=30, window=timedelta(minutes=10))
CONTACT_FIELDS = ("phone", "email", "address")
S = DossierStatus
MAX_CONTACT = 255
IDEMPOTENCY_KEY_RE = re.compile(r"\A[A-Za-z0-9._:\-]{1,64}\Z")  # a UUID, or the client's own reference


class _KeyTaken(Exception):
    """The Idempotency-Key was recorded by a concurrent twin request: this one's dossier is undone."""


@dataclass(frozen=True)
class PublicStatus:
    """What anyone with a dossier code may see (R-7.1): nothing personal."""

    code: str
    procedure_code: str
    procedure_name: str
    status: str
    status_code: int  # N-8
    received_at: datetime
    due_at: datetime | None  # the appointment in force


@dataclass(frozen=True)
class StatusStep:
    """One status change from the dossier's `status` events (N-8)."""

    at: datetime
    status: str
    status_code: int
    reason: str | None = None


@dataclass(frozen=True)
class ApplicantNotice:
    """What the applicant was told (R-3.1): kind (NoticeKind) and its facts (missing, amount, …)."""

    at: datetime
    kind: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ApplicantDossier:
    """An applicant's own dossier: status, dates, what is asked of them and its history."""

    code: str
    procedure_code: str
    procedure_name: str
    channel: str
    channel_code: int
    status: str
    status_code: int
    received_at: datetime
    started_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    outcome: str | None
    status_reason: str | None
    paused_since: datetime | None
    fee: dict[str, Any] | None
    returned_at: datetime | None
    return_channel: str | None
    applicant: dict[str, Any]
    rating: dict[str, Any] | None = None  # {rating, comment, rated_at} once rated
    history: list[StatusStep] = field(default_factory=list)
    notices: list[ApplicantNotice] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogueEntry:
    """A procedure in effect as applicants see it (R-1.1, R-2): its registration forms are the forms
    of the messages it starts by (name → JSON Schema), empty when registration takes no data."""

    code: str
    version: int
    name: str
    field: str
    agency_id: str
    level: str
    statutory_days: int
    online_level: str
    effective_from: datetime | None
    fees: list[dict[str, Any]]
    components: list[dict[str, Any]]
    registration_forms: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ApplicantSender:
    """The applicant acting on the dossier already found to be theirs (`ApplicantService.own`), as
    the sender of a lifecycle action (engine/services/lifecycle.py, `*_as`): any other dossier does
    not exist for them."""

    applicant: Applicant
    dossier_code: str

    @property
    def actor(self) -> str:
        return self.applicant.username

    def check(self, dossier: DossierFacts) -> None:
        if dossier.code != self.dossier_code:
            raise access.Invisible(f"dossier {dossier.code} is not the applicant's")


class ApplicantService:
    def __init__(self, ctx: EngineContext, dossiers: DossierService, limiter: RateLimiter,
                 lifecycle: LifecycleService | None = None, gateway: PaymentGateway | None = None,
                 max_upload_bytes: int | None = None, lookup_rule: RateRule = LOOKUP_RULE):
        self.ctx = ctx
        self.dossiers = dossiers
        self.limiter = limiter
        self.lifecycle = lifecycle or LifecycleService(ctx, dossiers)
        self.gateway = gateway  # None: online payment unavailable (fees paid at the desk)
        self.lookup_rule = lookup_rule
        # The officials' upload rules (size, types sniffed from the content, R-8.4) on the owner's dossiers.
        kwargs = {"max_bytes": max_upload_bytes} if max_upload_bytes else {}
        self.files = AttachmentService(ctx, lambda uow, applicant, dossier_id: self.own(uow, applicant,
                                                                                         dossier_id=dossier_id),
                                       **kwargs)
        self._intake = AttachmentService(ctx, self._takes_files, **kwargs)  # uploads: ownership and status
        self._names: dict[int, str] = {}

    # ------------------------------------------------------------ catalogue

    def catalogue(self) -> list[CatalogueEntry]:
        """The procedures in effect now, with what an applicant needs to submit one online."""
        now = self.ctx.clock.now()
        out = []
        with self.ctx.uow(write=False) as uow:
            for v in uow.procedures.all_in_effect(now):
                if is_feedback_procedure(v.meta):  # feedback is sent to /api/public/feedback
                    continue
                m = v.meta or {}
                info = self.ctx.processes.info(uow, v.id)
                forms: dict[str, dict[str, Any]] = {}
                for name in info.process.start_message_names():
                    meta = info.process.messages.get(name)
                    schema = info.form(meta.form).schema if meta is not None and meta.form else None
                    forms[name] = schema or {}
                out.append(CatalogueEntry(
                    uow.procedures.code_of(v), v.number, str(m.get("name", "")), str(m.get("field", "")),
                    str(m.get("agency_id", "")), str(m.get("level", "")), int(m.get("statutory_days", 0)),
                    str(m.get("online_level", "")), v.effective_from, list(m.get("fees", [])),
                    list(m.get("components", [])), forms))
        return sorted(out, key=lambda e: e.code)

    # ------------------------------------------------------------ submit

    def submit(self, applicant: Applicant, procedure_code: str, data: dict[str, Any],
               contact: dict[str, Any] | None = None, digitally_signed: bool = False,
               start_message: str | None = None, idempotency_key: str | None = None) -> ApplicantDossier:
        """Submit a dossier online (N-8 channel 2): it gets its code now (N-1) and enters reception;
        the appointment counts from the next working time after reception (R-3.4). The applicant's
        name and ID number come from their identity, never from the body; `contact` may add
        phone, email and address; `digitally_signed` records that the forms were signed (R-2).
        The copy in the data store (R-2.3) is written with the dossier, in its transaction.

        `idempotency_key` (IDEMPOTENCY_KEY_RE): the same key again returns the dossier it made (a
        double click, a retry after a lost answer: never a second dossier); with another request it
        is InvalidInput. Raises NotFound (no procedure in effect), InvalidInput (the data fails the
        procedure's registration form or the limits, naming the fields), ProcessFailure."""
        contact = contact or {}
        unknown = sorted(set(contact) - set(CONTACT_FIELDS))
        bad = [(f"contact.{k}", f"must be text of at most {MAX_CONTACT} characters") for k in CONTACT_FIELDS
               if k in contact and (not isinstance(contact[k], str) or len(contact[k]) > MAX_CONTACT)]
        if unknown or bad:
            raise InvalidInput("contact details: phone, email and address only, as text",
                               [(f"contact.{k}", "unknown field") for k in unknown] + bad)
        check_data(data, self.ctx.data_limits, "data")
        if idempotency_key is not None and not IDEMPOTENCY_KEY_RE.match(idempotency_key):
            raise InvalidInput("an Idempotency-Key is 1-64 letters, digits, '.', '_', ':' or '-'",
                               [("Idempotency-Key", "malformed")])
        fingerprint = hashlib.sha256(json.dumps(
            [procedure_code, data, contact, bool(digitally_signed), start_message], sort_keys=True,
            ensure_ascii=False).encode()).hexdigest()
        if idempotency_key is not None:
            done = self._submitted(applicant, idempotency_key, fingerprint)
            if done is not None:
                return done
        record = {"name": applicant.name, "id_number": applicant.id_number,
                  **{k: v.strip() for k, v in contact.items() if v.strip()},
                  "digitally_signed": bool(digitally_signed)}
        now = self.ctx.clock.now()

        def keep(uow: Any, code: str) -> None:
            if data:  # a copy in the applicant's data store
                uow.applicant_forms.add(id_number=applicant.id_number, procedure_code=procedure_code,
                                        dossier_code=code, data=data, saved_at=now)
            if idempotency_key is not None and not uow.applicant_submissions.add(
                    id_number=applicant.id_number, idempotency_key=idempotency_key, fingerprint=fingerprint,
                    dossier_code=code, created_at=now):
                raise _KeyTaken()  # a twin request with this key committed first: undo ours, answer theirs

        try:
            view = self.dossiers.start(procedure_code, applicant=record, data=data, channel=Channel.ONLINE,
                                       actor=applicant.username, start_message=start_message, also=keep)
        except _KeyTaken:
            done = self._submitted(applicant, idempotency_key or "", fingerprint)
            if done is None:  # (the key was committed by the twin before ours collided: not expected)
                raise Conflict("a submission with this Idempotency-Key is under way: try again") from None
            return done
        return self.get(applicant, view.code)

    def _submitted(self, applicant: Applicant, key: str, fingerprint: str) -> ApplicantDossier | None:
        """The dossier an earlier submission with `key` made, or None; InvalidInput when that
        submission was another request."""
        with self.ctx.uow(write=False) as uow:
            found = uow.applicant_submissions.get(applicant.id_number, key)
        if found is None:
            return None
        if found.fingerprint != fingerprint:
            raise InvalidInput(f"this Idempotency-Key was used for another submission (dossier {found.dossier_code}): "
                               "send a new key for a new submission", [("Idempotency-Key", "used for another submission")])
        return self.get(applicant, found.dossier_code)

    # ------------------------------------------------------------ data store

    def stored_forms(self, applicant: Applicant, procedure_code: str | None = None) -> list[StoredForm]:
        """The forms the applicant submitted online, newest first (at most 100)."""
        with self.ctx.uow(write=False) as uow:
            return uow.applicant_forms.of(applicant.id_number, procedure_code)

    def prefill(self, applicant: Applicant, procedure_code: str) -> StoredForm:
        """The latest form the applicant submitted for `procedure_code`, to prefill a new submission;
        NotFound when there is none."""
        found = self.stored_forms(applicant, procedure_code)
        if not found:
            raise NotFound(f"you have submitted no form for procedure {procedure_code!r}")
        return found[0]

    def results(self, applicant: Applicant) -> list[tuple[ApplicantDossier, list[AttachmentView]]]:
        """The results returned online to the applicant (R-6.1, R-2.3): dossier and result files."""
        with self.ctx.uow(write=False) as uow:
            rows = [uow.dossiers.load(i) for i in self._own_ids(uow, applicant)]
            done = [self._view(uow, r, with_history=False) for r in rows
                    if r is not None and r.status == S.RETURNED.value and r.return_channel == "online"]
        return [(d, [a for a in self.files_of(applicant, d.code) if a.uploaded_by != applicant.username])
                for d in done]

    # ------------------------------------------------------------ track

    def lookup(self, code: str, client: str) -> PublicStatus:
        """The public view of a dossier by its code, for anyone. Counted per client address before
        the read (TooManyRequests past `lookup_rule`); NotFound for an unknown code."""
        self.limiter.take("public-lookup", client, self.lookup_rule, "dossier lookups")
        with self.ctx.uow(write=False) as uow:
            row = uow.dossiers.load(code=code)
            if row is None:
                raise NotFound(f"no dossier has the code {code!r}")
            name = self._procedure_name(uow, row)
        return PublicStatus(row.code, row.procedure_code, name, row.status, DossierStatus(row.status).national_code,
                            row.received_at, row.due_at)

    def mine(self, applicant: Applicant, limit: int = 50, offset: int = 0) -> tuple[list[ApplicantDossier], int]:
        """The applicant's dossiers, newest first (without history), and how many there are. Those
        filed under their ID number with another name are left out (the name is a check, R-7.1)
        before the page is cut, so pages are full and the total is theirs."""
        with self.ctx.uow(write=False) as uow:
            ids = self._own_ids(uow, applicant)
            rows = [uow.dossiers.load(i) for i in ids[offset:offset + limit]]
            return [self._view(uow, r, with_history=False) for r in rows if r is not None], len(ids)

    @staticmethod
    def _own_ids(uow: Any, applicant: Applicant) -> list[int]:
        return [i for i, name in uow.dossiers.applicant_index(applicant.id_number)
                if applicant.owns(applicant.id_number, name)]

    def get(self, applicant: Applicant, code: str) -> ApplicantDossier:
        """One of the applicant's dossiers with its status history (from its status events, N-8) and
        the notices sent to them. NotFound when it is not theirs."""
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
            return self._view(uow, row, with_history=True)

    @staticmethod
    def own(uow: Any, applicant: Applicant, code: str | None = None, dossier_id: int | None = None) -> DossierRow:
        """The dossier if it is `applicant`'s; NotFound otherwise (another's does not exist for them)."""
        row = uow.dossiers.load(dossier_id, code)
        if row is None or not applicant.owns(row.applicant_id_number, row.applicant_name):
            raise NotFound(f"you have no dossier {code or dossier_id}")
        return row

    # ------------------------------------------------------------ files, supplement (R-2.4, N-4)

    def upload(self, applicant: Applicant, code: str, filename: str, declared_type: str | None,
               content: bytes) -> AttachmentView:
        """Attach a file to one's dossier: while it is just submitted (before any official has
        completed a step) or a supplement is requested (status 5). Same limits and content sniffing
        as officials' uploads. Raises NotFound, Conflict (not now), TooLarge, UnsupportedMedia."""
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
        return self._intake.upload(applicant, row.id, filename, declared_type, content)

    def _takes_files(self, uow: Any, applicant: Applicant, dossier_id: int) -> DossierRow:
        """In the upload's own transaction: the dossier is the applicant's and takes their files now.
        Its row is held first, so no save (a supplement submitted, a step completed) can pass between
        this check and the file's write (found breaking issue 10: a file racing the supplement was
        attached after it)."""
        self.own(uow, applicant, dossier_id=dossier_id)
        uow.dossiers.lock(dossier_id)
        row = self.own(uow, applicant, dossier_id=dossier_id)  # as it is now that no save can pass
        just_submitted = row.status in (S.NEW.value, S.ACCEPTED.value, S.PROCESSING.value) \
            and row.supplements == 0 and not uow.dossiers.steps(row.id)
        if not (just_submitted or row.status == S.SUPPLEMENT_REQUESTED.value):
            raise Conflict(f"dossier {row.code} takes files from its applicant when just submitted or when a "
                           f"supplement is requested (status 5), not now (status {row.status})")
        return row

    def files_of(self, applicant: Applicant, code: str) -> list[AttachmentView]:
        """The files the applicant may download: their own and, once the result was returned online
        (status 10, R-6.1), the files an official marked as the result, never the officials' working
        documents (appraisal notes, consultation replies, site photos)."""
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
        result_online = row.status == S.RETURNED.value and row.return_channel == "online"
        return [a for a in self.files.list(applicant, row.id)
                if a.uploaded_by == applicant.username or (result_online and a.is_result)]

    def download(self, applicant: Applicant, code: str, attachment_id: int) -> tuple[AttachmentView, bytes]:
        """One of `files_of`; NotFound for any other."""
        if attachment_id not in {a.id for a in self.files_of(applicant, code)}:
            raise NotFound(f"dossier {code} has no file {attachment_id} for you")
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
        return self.files.download(applicant, row.id, attachment_id)

    def supplement(self, applicant: Applicant, code: str) -> ApplicantDossier:
        """Submit the supplement asked for (R-2.4, N-4): only the owner, only while status 5; the
        lifecycle's supplement (delivering `supplement_received` when the diagram waits for it)
        resumes the paused clock: the appointment moves by the paused working time. Raises
        NotFound, Conflict (nothing requested, or nothing attached since the request: an empty
        supplement would use the request up, and a second request counts the dossier late, N-4)."""
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
            brought = [a for a in uow.attachments.for_dossier(row.id) if a.uploaded_by == applicant.username
                       and (row.paused_since is None or a.uploaded_at >= row.paused_since)]
        if row.status != S.SUPPLEMENT_REQUESTED.value:
            raise Conflict(f"no supplement is requested for dossier {row.code} (status {row.status})")
        if not brought:  # an empty one would use the request up: a second one counts the dossier late (N-4)
            raise Conflict(f"attach the missing parts to dossier {row.code} first (POST .../attachments): nothing "
                           "was attached since the supplement was requested")
        self.lifecycle.supplement_as(ApplicantSender(applicant, row.code), row.code)
        return self.get(applicant, code)

    # ------------------------------------------------------------ fees

    def pay(self, applicant: Applicant, code: str) -> ApplicantDossier:
        """Pay the requested fee online through the gateway and record its reference (`fee_paid`,
        method online: 6 → 4), never charging twice nor losing a charge (engine/services/online_payments.py).
        Raises NotFound, Conflict (no fee waiting, or taken but no longer wanted: kept for refund),
        Unavailable (no gateway, or the platform failed), InvalidInput (declined by the platform)."""
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)  # another's dossier is 404 whatever else holds
        if self.gateway is None:
            raise Unavailable("online payment is not available here: pay the fee at the one-stop desk")
        sender = ApplicantSender(applicant, row.code)
        pay_online(self.ctx, self.gateway,
                   lambda reference: self.lifecycle.pay_as(sender, row.code, reference, "online"), applicant, row)
        return self.get(applicant, code)

    # ------------------------------------------------------------ withdraw, rate

    def withdraw(self, applicant: Applicant, code: str, reason: str | None = None) -> ApplicantDossier:
        """Withdraw one's dossier (status 7) before a result exists, through the lifecycle's
        withdrawal with the applicant as sender; its process ends. Raises NotFound, Conflict
        (ended, or processed already), InvalidInput (reason too long)."""
        if reason is not None and (not isinstance(reason, str) or len(reason) > ratings.MAX_COMMENT):
            raise InvalidInput("the reason is a text of at most 2000 characters", [("reason", "too long")])
        with self.ctx.uow(write=False) as uow:
            row = self.own(uow, applicant, code)
        self.lifecycle.withdraw_as(ApplicantSender(applicant, row.code), row.code, (reason or "").strip() or None)
        return self.get(applicant, code)

    def rate(self, applicant: Applicant, code: str, rating: str, comment: str | None = None) -> RatingRow:
        """Rate the handling of one's ended dossier (R-7.3), once (engine/services/ratings.py)."""
        with self.ctx.uow() as uow:
            row = self.own(uow, applicant, code)
            done = ratings.rate(uow, applicant, row, rating, comment, self.ctx.clock.now())
            uow.commit()
        return done

    # ------------------------------------------------------------ reading

    def _view(self, uow: Any, row: DossierRow, with_history: bool) -> ApplicantDossier:
        history: list[StatusStep] = []
        notices: list[ApplicantNotice] = []
        rated = uow.ratings.get(row.id) if row.completed_at is not None else None
        if with_history:
            for e in uow.dossiers.events(row.id):
                if e.kind == "status":
                    d = e.detail or {}
                    history.append(StatusStep(e.at, d.get("to"), d.get("status_code"), d.get("reason")))
                elif e.kind.startswith("notice."):
                    notices.append(ApplicantNotice(e.at, e.kind.removeprefix("notice."), dict(e.detail or {})))
        return ApplicantDossier(
            code=row.code, procedure_code=row.procedure_code, procedure_name=self._procedure_name(uow, row),
            channel=row.channel, channel_code=Channel(row.channel).national_code, status=row.status,
            status_code=DossierStatus(row.status).national_code, received_at=row.received_at,
            started_at=row.started_at, due_at=row.due_at, completed_at=row.completed_at, outcome=row.outcome,
            status_reason=row.status_reason, paused_since=row.paused_since, fee=row.fee,
            returned_at=row.returned_at, return_channel=row.return_channel, applicant=dict(row.applicant or {}),
            rating={"rating": rated.rating, "comment": rated.comment, "rated_at": rated.rated_at} if rated else None,
            history=history, notices=notices)

    def _procedure_name(self, uow: Any, row: DossierRow) -> str:
        """The procedure's name in the version the dossier runs on (a published version never changes)."""
        name = self._names.get(row.procedure_version_id)
        if name is None:
            version = uow.procedures.get_version(row.procedure_version_id)
            name = str((version.meta or {}).get("name") or row.procedure_code) if version else row.procedure_code
            self._names[row.procedure_version_id] = name
        return name
