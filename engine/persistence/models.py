"""Database tables (SQLAlchemy 2.x). The schema is managed by Alembic migrations in migrations/."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (no time zones) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


# none_as_null: a Python None is SQL NULL (not JSON null), so "IS NULL" filters work.
Json = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")  # SQLite autoincrements INTEGER keys only


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Procedure(Base):
    __tablename__ = "procedures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcedureVersion(Base):
    """One loaded set of a procedure's files. States: engine.domain.procedure_version.VersionState (R-1.2, R-1.3)."""

    __tablename__ = "procedure_versions"
    __table_args__ = (
        UniqueConstraint("procedure_id", "number"),
        UniqueConstraint("procedure_id", "content_hash"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), index=True)
    effective_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_by: Mapped[str | None] = mapped_column(String(128))
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    meta: Mapped[dict] = mapped_column("metadata", Json)
    sources: Mapped[dict] = mapped_column(Json)  # relative path -> text (BPMN, DMN, forms, metadata)
    process_id: Mapped[str] = mapped_column(String(255))
    spec: Mapped[dict] = mapped_column(Json)  # serialized spec, subprocess specs, human-task metadata
    serializer_version: Mapped[str] = mapped_column(String(16))
    # The review (issue 12): who submitted it, the announcing decision, why it takes effect in the past.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(128))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    backdate_reason: Mapped[str | None] = mapped_column(Text)


class ProcedureRepeal(Base):
    """From `effective_from` no new dossier starts on the procedure (R-1.2, 001 Đ19.6.e)."""

    __tablename__ = "procedure_repeals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    decision_number: Mapped[str] = mapped_column(String(64))
    decision_date: Mapped[date] = mapped_column(Date)
    replaced_by: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    repealed_by: Mapped[str] = mapped_column(String(128))
    repealed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProcedureEvent(Base):
    """What analysts and the control office did to a procedure: who, when, which decision (R-8.5)."""

    __tablename__ = "procedure_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("procedures.id"), index=True)
    version_number: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    decision_number: Mapped[str | None] = mapped_column(String(64))
    decision_date: Mapped[date | None] = mapped_column(Date)
    detail: Mapped[dict] = mapped_column(Json)


class Dossier(Base):
    __tablename__ = "dossiers"
    __table_args__ = (
        # Reports (N-4): open dossiers past due that were paused for a supplement are few; this
        # partial index finds them without a scan (engine/persistence/report_queries.py).
        Index("ix_dossiers_pausing", "due_at", postgresql_where=text("due_basis ? 'pauses' OR paused_since IS NOT NULL"),
              sqlite_where=text("json_extract(due_basis, '$.pauses') IS NOT NULL OR paused_since IS NOT NULL")),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"), index=True)
    procedure_code: Mapped[str] = mapped_column(String(64), index=True)
    agency_id: Mapped[str] = mapped_column(String(35), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(Text)  # SpiffWorkflow state without the spec
    version: Mapped[int] = mapped_column(Integer)  # optimistic concurrency counter
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())  # next working time
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    due_basis: Mapped[dict | None] = mapped_column(Json)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    applicant: Mapped[dict] = mapped_column(Json)
    created_by: Mapped[str | None] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The lifecycle aggregate's fields (engine/domain/dossier.py), written only by its save.
    applicant_name: Mapped[str | None] = mapped_column(String(255), index=True)  # find by name
    # the name folded (engine/domain/search_text.py): case and diacritics do not matter
    applicant_name_key: Mapped[str | None] = mapped_column(String(255), index=True)
    applicant_id_number: Mapped[str | None] = mapped_column(String(12), index=True)  # citizen ID
    on_the_spot: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    outcome: Mapped[str | None] = mapped_column(String(16))  # result, refused, stopped, ...
    status_reason: Mapped[str | None] = mapped_column(Text)
    timeliness: Mapped[str | None] = mapped_column(String(16), index=True)  # N-7, stored at the end
    timeliness_reappointed: Mapped[str | None] = mapped_column(String(16))
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime())  # N-4: waiting for a supplement
    supplements: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    forced_late: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    fee: Mapped[dict | None] = mapped_column(Json)  # R-6.2/6.3: amount, paid, refunded
    result_ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    return_channel: Mapped[str | None] = mapped_column(String(16))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    # the official the head chose in an assignment task; the dossier's next `official` tasks of
    # the competent agency go to that official only (pre-assigned when created).
    assigned_official: Mapped[str | None] = mapped_column(String(128))


class ReadyTask(Base):
    """Human tasks waiting for an official: inboxes are read from here, never from workflow state."""

    __tablename__ = "ready_tasks"
    __table_args__ = (Index("ix_ready_tasks_candidate", "candidate_agency", "candidate_role"),)
    task_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    form: Mapped[str | None] = mapped_column(String(255))
    candidate_role: Mapped[str] = mapped_column(String(32))
    candidate_agency: Mapped[str] = mapped_column(String(35))
    assignee: Mapped[str | None] = mapped_column(String(128), index=True)
    owner: Mapped[str | None] = mapped_column(String(128), index=True)  # who delegated it, to get it back
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    due_basis: Mapped[dict | None] = mapped_column(Json)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Timer(Base):
    """Pending timer events; the scheduler reads due rows by index only."""

    __tablename__ = "timers"
    __table_args__ = (UniqueConstraint("dossier_id", "task_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    basis: Mapped[dict | None] = mapped_column(Json)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)


class Incident(Base):
    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    element_id: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    error: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(128))  # who closed it by hand (None: it fired again)
    resolution_note: Mapped[str | None] = mapped_column(Text)


class Step(Base):
    """A finished human task: who, received, due, done, early/on time/late (N-2 control sheet)."""

    __tablename__ = "steps"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    candidate_role: Mapped[str] = mapped_column(String(32))
    candidate_agency: Mapped[str] = mapped_column(String(35))
    completed_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timeliness: Mapped[str | None] = mapped_column(String(16))
    data: Mapped[dict] = mapped_column(Json)
    back_entered: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    back_entry_reason: Mapped[str | None] = mapped_column(Text)


class DossierEvent(Base):
    """Everything else that happened to a dossier: start, timers fired, completion."""

    __tablename__ = "dossier_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(Json)


class OutboxEntry(Base):
    """Events waiting to leave the system, written in the same transaction as the change (R-9.5).

    topic `portal`: every status change with its national codes (N-8), for the national portal;
    topic `notification`: every notice the applicant must get (R-3.1, N-6), for the senders."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "topic", "sent_at", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened
    payload: Mapped[dict] = mapped_column(Json)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    # Notification delivery (engine/services/notifications.py): due again at (also a send's lease),
    # last tried at, given up as `failed` / `undeliverable`, channels sent ({"email": {"to", "at"}}).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery: Mapped[str | None] = mapped_column(String(16))
    delivered: Mapped[dict | None] = mapped_column(Json)


class DossierCodeCounter(Base):
    """Per agency and receipt day, the last sequence number handed out (N-1)."""

    __tablename__ = "dossier_code_counters"
    agency_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class SchedulerHeartbeat(Base):
    __tablename__ = "scheduler_heartbeats"
    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


NO_PASSWORD = ""  # password_hash of an SSO official remembered in the directory: no local login


class Account(Base):
    """A local account (small deployments, development); production officials come from SSO (R-8.1)."""

    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(128), unique=True)
    display_name: Mapped[str] = mapped_column(String(255))
    agency_id: Mapped[str] = mapped_column(String(35), index=True)
    roles: Mapped[list] = mapped_column(Json)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Local tokens carry the generation they were issued in; raising it (password change,
    # deactivation) ends every session of the account at once.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the account was last deactivated or reactivated: SSO tokens issued before it stay refused
    # (they carry no generation of ours, only `iat`).
    sessions_ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RateCounter(Base):
    """Attempts per (scope, subject) in the current window, e.g. logins per client address. In the
    database so every API process counts together; updated with one atomic upsert per attempt."""

    __tablename__ = "rate_counters"
    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    resets_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class RevokedToken(Base):
    __tablename__ = "revoked_tokens"
    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditRecord(Base):
    """Every state-changing request: who, what, on what, when, and how it ended (R-8.5)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str | None] = mapped_column(String(128), index=True)
    agency_id: Mapped[str | None] = mapped_column(String(35))
    action: Mapped[str] = mapped_column(String(128))
    target: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[int] = mapped_column(Integer)  # HTTP status
    detail: Mapped[dict] = mapped_column(Json)
    # Hash chain (engine/domain/audit_chain.py): the previous record's hash and this one's.
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row (id 1): the last audit record's id and hash. Appends lock it, so records from
    several processes form one chain in id order (R-8.5)."""

    __tablename__ = "audit_chain_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int | None] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(BigInteger)


class Comment(Base):
    __tablename__ = "comments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), index=True)
    author: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierRating(Base):
    """The applicant's rating of a finished dossier (R-7.3): one per dossier."""

    __tablename__ = "dossier_ratings"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    rating: Mapped[str] = mapped_column(String(16))  # satisfied | acceptable | not_satisfied
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApplicantForm(Base):
    """The applicant's personal data store (R-2.3): a copy of each form they submitted online,
    reusable to prefill a later submission."""

    __tablename__ = "applicant_forms"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    dossier_code: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(Json)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApplicantSubmission(Base):
    """An online submission sent with an `Idempotency-Key` (R-2): the dossier it made, written in the
    same transaction, so the same key again (a double click, a retry after a lost answer) gets that
    dossier back instead of a second one; `fingerprint` (SHA-256 of the request) tells a different
    submission under a reused key."""

    __tablename__ = "applicant_submissions"
    __table_args__ = (UniqueConstraint("id_number", "idempotency_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(12))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    dossier_code: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OnlinePayment(Base):
    """An applicant's online payment of a dossier's fee (R-6.2; one fee per dossier), written before
    the platform is asked (engine/services/online_payments.py): `order_id` is what the platform sees
    (one per attempt, so a retry after a failure re-sends it and is charged at most once), `state`
    charging | declined | recorded | unrecorded (taken but the dossier could not take it: refund)."""

    __tablename__ = "online_payments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    order_id: Mapped[str] = mapped_column(String(80), unique=True)
    attempt: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)  # VND
    payer_id_number: Mapped[str] = mapped_column(String(12))
    state: Mapped[str] = mapped_column(String(16), index=True)
    reference: Mapped[str | None] = mapped_column(String(128))  # the platform's, once charged
    detail: Mapped[str | None] = mapped_column(Text)  # why declined, or why not recorded
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """Files of a dossier, kept in the database so every API process sees them and backups hold them."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(128))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content: Mapped[bytes] = mapped_column(LargeBinary)
    # an official marks the file that IS the result; only such files (and the applicant's own)
    # reach the applicant after an online return, never the officials' working documents.
    is_result: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class FeedbackCase(Base):
    """A piece of feedback or a complaint (phản ánh, kiến nghị, R-7.2): a case of procedure PAKN-01,
    apart from dossiers (engine/domain/feedback.py). `dossier_id`: the dossier it concerns, if any."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency_id: Mapped[str] = mapped_column(String(35), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # online | desk | phone | postal | email
    status: Mapped[str] = mapped_column(String(16))  # received | assigned | answered
    sender: Mapped[dict] = mapped_column(Json)  # name, id_number, contact
    sender_id_number: Mapped[str | None] = mapped_column(String(12), index=True)
    sender_name_key: Mapped[str | None] = mapped_column(Text)  # applicant.name_key: "my feedback" in SQL (0020)
    subject: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    dossier_code: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime())
    entered_by: Mapped[str] = mapped_column(String(128))
    entry_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # offline: 8 working hours
    entered_late: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)  # 13 working days
    assigned_to: Mapped[str | None] = mapped_column(String(128))
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by: Mapped[str | None] = mapped_column(String(128))
    timeliness: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The case's instance of PAKN-01 (engine/services/feedback_workflow.py); NULL: received before
    # cases ran on the diagram, started lazily at its status when next acted on (migration 0018).
    procedure_version_id: Mapped[int | None] = mapped_column(ForeignKey("procedure_versions.id"))
    state: Mapped[str | None] = mapped_column(Text)  # SpiffWorkflow state without the spec


class FeedbackEventRow(Base):
    """A feedback case's timeline: received, entered (late or not), assigned, answered."""

    __tablename__ = "feedback_events"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("feedback.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[dict] = mapped_column(Json)


class FeedbackCodeCounter(Base):
    """Per agency and receipt day, the last feedback sequence number handed out (PAKN- series)."""

    __tablename__ = "feedback_code_counters"
    agency_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
