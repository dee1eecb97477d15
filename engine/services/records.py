"""Slips and records of a dossier (N-2), built from the dossier view and its notice events.

Each record bears the dossier code. What a slip says is what the applicant was told: its content
comes from the notice event the aggregate emitted (engine/domain/dossier.py, `Notice`: missing
items, reason, appointment, new appointment…), so a slip printed again later says the same. The
process control sheet comes from the dossier's timeline (N-7 classification as stored).

Kinds (`RecordKind`), the notice each is built from, and when it does not apply (NotFound):
- `receipt`: receipt and appointment slip (R-3.5), notice `received`; none before reception, none
  for a result on the spot unless the applicant asks (`requested=True`, R-3.5);
- `supplement`: supplement request listing everything missing in one go (R-3.2, R-4.6), notices
  `guidance` (at reception) and `supplement_requested` (after appraisal); the latest, or the n-th;
- `refusal`: refusal at reception (R-3.2, notice `not_accepted`) or the written refusal after
  appraisal (R-4.6, notice `refused`);
- `apology`: apology and new appointment (R-5.3, N-6), notice `apology`;
- `stop`: notice of stopping (N-2), notice `stopped`;
- `control`: process control sheet (N-2, N-7): every step, who, received, due, done, class.
"""
from __future__ import annotations

from dataclasses import dataclass, field, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from engine.domain.access import Official
from engine.domain.dossier import NoticeKind

from .context import EngineContext
from .dossiers import DossierService, DossierView
from .errors import NotFound


class RecordKind(str, Enum):
    RECEIPT = "receipt"
    SUPPLEMENT = "supplement"
    REFUSAL = "refusal"
    APOLOGY = "apology"
    STOP = "stop"
    CONTROL = "control"


TITLES = {
    RecordKind.RECEIPT: "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
    RecordKind.SUPPLEMENT: "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
    RecordKind.REFUSAL: "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
    RecordKind.APOLOGY: "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
    RecordKind.STOP: "Thông báo dừng giải quyết hồ sơ",
    RecordKind.CONTROL: "Phiếu kiểm soát quá trình giải quyết hồ sơ",
}
REFUSAL_AFTER_APPRAISAL = "Thông báo từ chối giải quyết hồ sơ"  # the written refusal


@dataclass(frozen=True)
class Person:
    username: str
    name: str | None  # the account's display name, when the official has an account here


@dataclass(frozen=True)
class Header:
    """What every record shows about its dossier."""

    dossier_id: int
    dossier_code: str  # N-1, on every record (N-2)
    procedure_code: str
    procedure_name: str | None
    procedure_version: int
    agency_id: str
    agency_name: str | None
    channel: str  # desk | online | postal
    applicant: dict[str, str]  # name, id_number, phone, email, address: the texts given, nothing else


@dataclass(frozen=True)
class ReceiptSlip:
    received_at: datetime  # the reception time (R-3.4: as entered; the count starts at counted_from)
    counted_from: datetime
    statutory_days: int | None  # working days
    appointment: datetime  # the appointment on the slip as issued
    received_by: Person | None
    on_the_spot: bool  # issued because the applicant asked


@dataclass(frozen=True)
class SupplementRequest:
    stage: str  # reception (R-3.2) | appraisal
    issued_at: datetime
    issued_by: Person | None
    missing: list[str]
    reason: str
    number: int  # 1 for the first request of the dossier…
    of: int


@dataclass(frozen=True)
class Refusal:
    stage: str  # reception (R-3.2, status 3) | appraisal (R-4.6, status 8)
    issued_at: datetime
    issued_by: Person | None
    reason: str


@dataclass(frozen=True)
class Apology:
    issued_at: datetime
    issued_by: Person | None
    reason: str
    previous_appointment: datetime | None
    new_appointment: datetime


@dataclass(frozen=True)
class StopNotice:
    issued_at: datetime
    issued_by: Person | None
    reason: str


@dataclass(frozen=True)
class ControlStep:
    name: str
    role: str
    agency: str
    who: Person | None
    received_at: datetime
    due_at: datetime | None
    done_at: datetime | None  # None: still open
    timeliness: str | None  # early | on_time | late (N-7); open: late once past due, else None
    back_entered: bool
    back_entry_reason: str | None


@dataclass(frozen=True)
class ControlSheet:
    received_at: datetime
    appointment: datetime | None  # in force (the re-appointment's, if any)
    original_appointment: datetime | None  # before the re-appointment (N-6)
    completed_at: datetime | None
    status: str
    status_code: int  # N-8
    timeliness: str | None  # the dossier's class (N-7)
    steps: list[ControlStep] = field(default_factory=list)
    pauses: list[dict[str, datetime]] = field(default_factory=list)  # N-4: supplement time not counted


Body = ReceiptSlip | SupplementRequest | Refusal | Apology | StopNotice | ControlSheet


@dataclass(frozen=True)
class Record:
    kind: RecordKind
    title: str
    header: Header
    body: Body
    printed_at: datetime

    def to_json(self, tz: Any) -> dict[str, Any]:
        """Plain JSON: times as ISO 8601 in the province's zone (tz) with their offset."""
        return {"kind": self.kind.value, "title": self.title, "dossier_code": self.header.dossier_code,
                "printed_at": _json(self.printed_at, tz), "dossier": _json(self.header, tz),
                **_json(self.body, tz)}


class RecordService:
    def __init__(self, ctx: EngineContext, dossiers: DossierService):
        self.ctx = ctx
        self.dossiers = dossiers

    def get_for(self, user: Official, dossier_id: int, kind: str, *, requested: bool = False,
                number: int | None = None) -> Record:
        """The record `kind` of a dossier `user` may see (the dossier view's rule: NotFound otherwise).
        `requested`: the applicant asked for the receipt slip of an on-the-spot result (R-3.5).
        `number`: which supplement request (1 = first; default the latest). Raises NotFound, naming
        why, for an unknown kind or a record that does not apply to the dossier."""
        try:
            kind_ = RecordKind(kind)
        except ValueError:
            raise NotFound(f"no record kind {kind!r}; kinds: {', '.join(k.value for k in RecordKind)}") from None
        view = self.dossiers.get_for(user, dossier_id)
        return self.build(view, kind_, requested=requested, number=number)

    def build(self, view: DossierView, kind: RecordKind, *, requested: bool = False,
              number: int | None = None) -> Record:
        with self.ctx.uow(write=False) as uow:
            version = uow.procedures.version(view.procedure_code, view.procedure_version)
            meta = dict(version.meta) if version is not None else {}
            actors = {e["actor"] for e in view.events if e["actor"]} | {s.who for s in view.timeline if s.who}
            names = {}
            for username in actors:
                account = uow.accounts.by_username(username)
                names[username] = account.display_name if account is not None else None
        people = _People(names)
        header = Header(view.id, view.code, view.procedure_code, meta.get("name"), view.procedure_version,
                        view.agency_id, meta.get("agency_name"), view.channel, _applicant(view.applicant))
        builder = _BUILDERS[kind]
        body = builder(view, people, meta, requested=requested, number=number)
        title = TITLES[kind]
        if isinstance(body, Refusal) and body.stage == "appraisal":
            title = REFUSAL_AFTER_APPRAISAL
        return Record(kind, title, header, body, self.ctx.clock.now())


class _People:
    def __init__(self, names: dict[str, str | None]):
        self.names = names

    def __call__(self, username: str | None) -> Person | None:
        return Person(username, self.names.get(username)) if username else None


def _notices(view: DossierView, *kinds: NoticeKind) -> list[dict[str, Any]]:
    wanted = {f"notice.{k.value}" for k in kinds}
    return [e for e in view.events if e["kind"] in wanted]


def _when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _receipt(view: DossierView, who: _People, meta: dict[str, Any], *, requested: bool, **_: Any) -> ReceiptSlip:
    days = meta.get("statutory_days")
    days = int(days) if isinstance(days, (int, float)) and not isinstance(days, bool) else None
    notices = _notices(view, NoticeKind.RECEIVED)
    if notices:
        n = notices[0]
        # the notice is stamped when the reception step was done; the slip names the reception time
        received_at = _when(n["detail"].get("received_at")) or n["at"]  # R-3.4 (notices before 2026-12 lack it)
        return ReceiptSlip(received_at, view.started_at, days,
                           _when(n["detail"].get("appointment")) or view.due_at, who(n["actor"]), False)
    received = next((e for e in view.events if e["kind"] == "status" and e["detail"].get("to") == "accepted"), None)
    if received is None:
        raise NotFound(f"dossier {view.code} was never received (status {view.status_code} {view.status}): "
                       "it has no receipt and appointment slip")
    if not requested:  # received without the slip's notice: the result is on the spot
        raise NotFound(f"dossier {view.code} has its result on the spot: no receipt and appointment slip "
                       "unless the applicant asks for one (R-3.5; ask with requested=true)")
    received_at = received["at"] if view.channel == "online" else view.received_at  # as Dossier.reception_time
    return ReceiptSlip(received_at, view.started_at, days, view.due_at or view.started_at,
                       who(received["actor"]), True)


def _supplement(view: DossierView, who: _People, meta: dict[str, Any], *, number: int | None,
                **_: Any) -> SupplementRequest:
    notices = _notices(view, NoticeKind.GUIDANCE, NoticeKind.SUPPLEMENT_REQUESTED)
    if not notices:
        raise NotFound(f"dossier {view.code} was never asked for a supplement: it has no supplement request")
    if number is not None and not 1 <= number <= len(notices):
        raise NotFound(f"dossier {view.code} has {len(notices)} supplement request(s), not a number {number}")
    k = number or len(notices)
    n = notices[k - 1]
    stage = "reception" if n["kind"] == f"notice.{NoticeKind.GUIDANCE.value}" else "appraisal"
    return SupplementRequest(stage, n["at"], who(n["actor"]), list(n["detail"].get("missing") or []),
                             n["detail"].get("reason") or "", k, len(notices))


def _refusal(view: DossierView, who: _People, meta: dict[str, Any], **_: Any) -> Refusal:
    notices = _notices(view, NoticeKind.NOT_ACCEPTED, NoticeKind.REFUSED)
    if not notices:
        raise NotFound(f"dossier {view.code} was not refused (status {view.status_code} {view.status}): "
                       "it has no refusal")
    n = notices[-1]
    stage = "reception" if n["kind"] == f"notice.{NoticeKind.NOT_ACCEPTED.value}" else "appraisal"
    return Refusal(stage, n["at"], who(n["actor"]), n["detail"].get("reason") or "")


def _apology(view: DossierView, who: _People, meta: dict[str, Any], **_: Any) -> Apology:
    notices = _notices(view, NoticeKind.APOLOGY)
    if not notices:
        raise NotFound(f"dossier {view.code} was never re-appointed: it has no apology and new appointment (N-6)")
    n = notices[-1]
    return Apology(n["at"], who(n["actor"]), n["detail"].get("reason") or "",
                   _when(n["detail"].get("previous_appointment")) or view.original_due_at,
                   _when(n["detail"].get("new_appointment")) or view.due_at)


def _stop(view: DossierView, who: _People, meta: dict[str, Any], **_: Any) -> StopNotice:
    notices = _notices(view, NoticeKind.STOPPED)
    if not notices:
        raise NotFound(f"dossier {view.code} was not stopped: it has no notice of stopping")
    n = notices[-1]
    return StopNotice(n["at"], who(n["actor"]), n["detail"].get("reason") or "")


def _control(view: DossierView, who: _People, meta: dict[str, Any], **_: Any) -> ControlSheet:
    steps = [ControlStep(s.name, s.role, s.agency, who(s.who), s.received_at, s.due_at, s.done_at, s.timeliness,
                         s.back_entered, s.back_entry_reason) for s in view.timeline]
    return ControlSheet(view.received_at, view.due_at, view.original_due_at, view.completed_at, view.status,
                        view.status_code, view.timeliness, steps, list(view.pauses))


_BUILDERS = {
    RecordKind.RECEIPT: _receipt,
    RecordKind.SUPPLEMENT: _supplement,
    RecordKind.REFUSAL: _refusal,
    RecordKind.APOLOGY: _apology,
    RecordKind.STOP: _stop,
    RecordKind.CONTROL: _control,
}

_APPLICANT_FIELDS = ("name", "id_number", "phone", "email", "address")


def _applicant(applicant: Any) -> dict[str, str]:
    if not isinstance(applicant, dict):
        return {}
    return {k: applicant[k].strip() for k in _APPLICANT_FIELDS
            if isinstance(applicant.get(k), str) and applicant[k].strip()}


def _json(value: Any, tz: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(tz).isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _json(getattr(value, k), tz) for k in value.__dataclass_fields__}
    if isinstance(value, dict):
        return {k: _json(v, tz) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v, tz) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value
