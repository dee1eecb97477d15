"""Request and response schemas (marshmallow); the OpenAPI document is generated from them."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, validate

from .paging import PageQuerySchema, PageSchema
from .problems import PROBLEMS, OutOfRange


class LocalDateTime(fields.DateTime):
    """Instants are shown in the province's time zone (the calendar's), e.g. 2026-11-26T09:00:00+07:00."""

    def _serialize(self, value: datetime | None, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is not None and has_app_context():
            value = value.astimezone(current_app.extensions["motcua"].ctx.calendars().tz)
        return super()._serialize(value, attr, obj, **kwargs)


class Instant(fields.AwareDateTime):
    """An instant with its offset, from 1900 to 9000 (UTC). Beyond that, converting it to UTC or to
    the province's zone overflows (year 1 at +14:00 was a 500 before issue 7), and no dossier or
    deadline lies there."""

    EARLIEST = datetime(1900, 1, 1, tzinfo=timezone.utc)
    LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        instant = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = instant.astimezone(timezone.utc)
        except OverflowError:
            utc = None
        if utc is None or not self.EARLIEST <= utc < self.LATEST:
            raise ValidationError(OutOfRange("out of range: from 1900-01-01 to 9000-01-01 (UTC)"))
        return instant


class ProblemFieldSchema(Schema):
    field = fields.String(required=True)
    problem = fields.String(required=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details."""

    type = fields.String(required=True, validate=validate.OneOf([f"urn:motcua:problem:{code}" for code in PROBLEMS]),
                         metadata={"example": "urn:motcua:problem:not-found"})
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(ProblemFieldSchema))
    locked_until = fields.String()
    element_id = fields.String()
    waiting_for = fields.List(fields.String(), metadata={
        "description": "409 on a message: the messages the dossier waits for now"})
    limit = fields.Integer(metadata={"description": "the limit broken (413 too-large: bytes; 422: nesting levels or the "
                                                    "largest accepted value)"})
    line = fields.Integer(metadata={"description": "body-not-json: line of the syntax error (from 1)"})
    column = fields.Integer(metadata={"description": "body-not-json: column of the syntax error (from 1)"})
    position = fields.Integer(metadata={"description": "body-not-json: character offset; body-not-utf8: byte offset"})


# ---------------------------------------------------------------- auth


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=128))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(min=1, max=256))
    new_password = fields.String(required=True, validate=validate.Length(min=1, max=256))


class TokenSchema(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_at = LocalDateTime(required=True)
    scope = fields.String(required=True, metadata={"description": "'api', or 'password-change' until the first password change"})
    must_change_password = fields.Boolean(required=True)


class MeSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    agency_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    source = fields.String(required=True, metadata={"description": "local or sso"})


# ---------------------------------------------------------------- tasks


class TaskSchema(Schema):
    task_id = fields.String(required=True)
    dossier_id = fields.Integer(required=True)
    dossier_code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    lane = fields.String(allow_none=True)
    form = fields.String(allow_none=True)
    candidate_role = fields.String(required=True)
    candidate_agency = fields.String(required=True)
    assignee = fields.String(allow_none=True)
    owner = fields.String(allow_none=True, metadata={"description": "who delegated the task (gets it back on resolve)"})
    created_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True)
    overdue = fields.Boolean(required=True)
    version = fields.Integer(required=True, metadata={"description": "also the ETag; send If-Match to act only on this version"})


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema), required=True)


class TaskListQuerySchema(PageQuerySchema):
    assignee = fields.String(validate=validate.OneOf(["me"]), metadata={"description": "tasks assigned to the caller"})
    unassigned = fields.Boolean(metadata={"description": "only tasks nobody has claimed"})
    candidate = fields.String(validate=validate.OneOf(["me"]),
                              metadata={"description": "tasks whose lane role is one of the caller's roles in the caller's agency"})
    procedure = fields.String(validate=validate.Length(min=1, max=64))
    dossier = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "dossier code"})
    due_before = Instant()
    overdue = fields.Boolean()
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "created"]))


class UserRefSchema(Schema):
    user = fields.String(required=True, validate=validate.Length(min=1, max=128))


class CompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True,
                       metadata={"description": "the task form's data, checked against its JSON Schema"})
    happened_at = Instant(metadata={"description": "R-9.3: the real, past time of a step done on paper during an "
                                                   "outage (with `reason`; agency head or one-stop officer)"})
    reason = fields.String(validate=validate.Length(min=1, max=2000), metadata={
        "description": "R-9.3: why the step is entered late, required with `happened_at`"})


class CompletionSchema(Schema):
    dossier_id = fields.Integer(required=True)
    dossier_code = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    completed_task_id = fields.String(required=True)
    current_tasks = fields.List(fields.Nested(TaskSchema), required=True,
                                metadata={"description": "the dossier's ready tasks after this one"})


class CommentInSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class CommentSchema(Schema):
    id = fields.Integer(required=True)
    task_id = fields.String(required=True)
    author = fields.String(required=True)
    body = fields.String(required=True)
    created_at = LocalDateTime(required=True)


class CommentListSchema(Schema):
    items = fields.List(fields.Nested(CommentSchema), required=True)


# ---------------------------------------------------------------- dossiers


class ApplicantSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id_number = fields.String(validate=validate.Regexp(r"^[0-9A-Za-z]{6,20}$", error="6-20 letters or digits"),
                              metadata={"description": "citizen ID (CCCD) or passport number"})
    phone = fields.String(validate=validate.Regexp(r"^\+?[0-9 .-]{6,20}$", error="a phone number"))
    email = fields.Email()
    address = fields.String(validate=validate.Length(max=500))
    organisation = fields.String(validate=validate.Length(max=255))


class StartDossierSchema(Schema):
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    channel = fields.String(load_default="desk", validate=validate.OneOf(["desk", "postal"]),
                            metadata={"description": "desk (trực tiếp) or postal (bưu chính công ích)"})
    applicant = fields.Nested(ApplicantSchema, required=True)
    data = fields.Dict(keys=fields.String(), load_default=dict)
    received_at = Instant(metadata={"description": "when the dossier really arrived (default: now); a past time "
                                                   "is a back-dated entry (R-9.3): it needs `reason`, by an agency "
                                                   "head or one-stop officer of the procedure's agency"})
    reason = fields.String(validate=validate.Length(min=1, max=2000), metadata={
        "description": "why the dossier is entered with a past received_at (R-9.3), e.g. an outage"})
    start_message = fields.String(validate=validate.Length(min=1, max=255), metadata={
        "description": "for a procedure started by a message start event: which message this registration is "
                       "(needed only when its diagram has several)"})


class TimelineEntrySchema(Schema):
    task_id = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    agency = fields.String(required=True)
    who = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True)
    done_at = LocalDateTime(allow_none=True)
    timeliness = fields.String(allow_none=True, metadata={"description": "early, on_time or late (N-7)"})
    back_entered = fields.Boolean(required=True, metadata={"description": "recorded after an outage (R-9.3)"})
    back_entry_reason = fields.String(allow_none=True)


class PauseSchema(Schema):
    from_ = LocalDateTime(required=True, data_key="from", attribute="from")
    to = LocalDateTime(required=True)


class EventSchema(Schema):
    at = LocalDateTime(required=True)
    kind = fields.String(required=True)
    actor = fields.String(allow_none=True)
    detail = fields.Dict(required=True)


class DossierIncidentSchema(Schema):
    """A step of the dossier that failed at run time (docs/operations.md, "Incidents")."""

    id = fields.Integer(required=True)
    at = LocalDateTime(required=True)
    element_id = fields.String(allow_none=True)
    kind = fields.String(required=True, metadata={"description": "timer, task or message"})
    error = fields.String(required=True)
    attempt = fields.Integer(required=True)
    resolved_at = LocalDateTime(allow_none=True, metadata={"description": "null while it is open"})


class DossierSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "mã số hồ sơ, N-1"})
    procedure_code = fields.String(required=True)
    procedure_version = fields.Integer(required=True)
    agency_id = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    version = fields.Integer(required=True)
    received_at = LocalDateTime(required=True)
    started_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    timeliness = fields.String(allow_none=True, metadata={
        "description": "N-7: stored when the dossier ended (early, on_time, late); open: late once past due"})
    applicant = fields.Dict(required=True)
    status_code = fields.Integer(required=True, metadata={"description": "national status code 1-10 (N-8)"})
    channel_code = fields.Integer(required=True, metadata={"description": "national channel code 1-3 (N-8)"})
    outcome = fields.String(allow_none=True, metadata={
        "description": "how it ended: result, not_accepted, refused, stopped, withdrawn"})
    status_reason = fields.String(allow_none=True)
    original_due_at = LocalDateTime(allow_none=True, metadata={
        "description": "the appointment before the re-appointment (N-6), when there is one"})
    reappointment = fields.Dict(allow_none=True)
    paused_since = LocalDateTime(allow_none=True, metadata={"description": "waiting for a supplement (N-4)"})
    supplements = fields.Integer(required=True)
    pauses = fields.List(fields.Nested(PauseSchema), required=True)
    timeliness_reappointed = fields.String(allow_none=True)
    fee = fields.Dict(allow_none=True)
    result_ready_at = LocalDateTime(allow_none=True)
    returned_at = LocalDateTime(allow_none=True)
    return_channel = fields.String(allow_none=True)
    tracking_number = fields.String(allow_none=True)
    assigned_official = fields.String(allow_none=True, metadata={"description": "R-4.1: chosen in an assignment task"})
    current_tasks = fields.List(fields.Nested(TaskSchema), required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)
    events = fields.List(fields.Nested(EventSchema), required=True)
    incidents = fields.List(fields.Nested(DossierIncidentSchema),
                            metadata={"description": "failed steps, open and resolved (R-9.1)"})


class TaskDetailSchema(Schema):
    task = fields.Nested(TaskSchema, required=True)
    form_schema = fields.Dict(allow_none=True, required=True)
    data = fields.Dict(required=True)
    dossier = fields.Nested(DossierSchema, required=True)


class AttachmentSchema(Schema):
    id = fields.Integer(required=True)
    dossier_id = fields.Integer(required=True)
    filename = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    sha256 = fields.String(required=True)
    uploaded_by = fields.String(required=True)
    uploaded_at = LocalDateTime(required=True)
    is_result = fields.Boolean(required=True, metadata={"description": "an official marked it as the result (R-6.1)"})


class JsonBoolean(fields.Boolean):
    """true or false as JSON writes them: not 1, "yes" or "true" (marshmallow's Boolean takes those)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class AttachmentMarkSchema(Schema):
    is_result = JsonBoolean(required=True, metadata={"description": "true: the file is the dossier's result, which "
                                                     "the applicant may download once it is returned online (R-6.1)"})


class AttachmentListSchema(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


class AttachmentUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class OfficialAttachmentUploadSchema(AttachmentUploadSchema):
    is_result = fields.String(validate=validate.OneOf(["true", "false"]),
                              metadata={"description": "true: the file is the dossier's result, which the applicant "
                                        "may download once it is returned online (R-6.1); default false"})


# ---------------------------------------------------------------- procedures, health


class FeeSchema(Schema):
    name = fields.String(required=True)
    amount = fields.Integer(required=True)
    note = fields.String()


class ComponentSchema(Schema):
    name = fields.String(required=True)
    copies = fields.Integer(required=True)
    original = fields.Boolean(required=True)
    required = fields.Boolean(required=True)
    note = fields.String()


class ProcedureSchema(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    field = fields.String(required=True)
    agency_id = fields.String(required=True)
    level = fields.String(required=True)
    statutory_days = fields.Integer(required=True)
    online_level = fields.String(required=True)
    effective_from = LocalDateTime(required=True)
    fees = fields.List(fields.Nested(FeeSchema), required=True)
    components = fields.List(fields.Nested(ComponentSchema), required=True)


class ProcedureListSchema(Schema):
    items = fields.List(fields.Nested(ProcedureSchema), required=True)


class SchedulerHealthSchema(Schema):
    running_here = fields.Boolean(required=True)
    last_sweep_at = LocalDateTime(allow_none=True, required=True)
    last_sweep_by = fields.String(allow_none=True, required=True)


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok or degraded"})
    database = fields.String(required=True)
    schema_revision = fields.String(allow_none=True, required=True)
    scheduler = fields.Nested(SchedulerHealthSchema, required=True)


# ---------------------------------------------------------------- messages


class MessageInSchema(Schema):
    payload = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "the message's data: checked against the JSON Schema form the diagram gives the message, "
                       "else any JSON object (at most 64 KiB, 16 levels deep); it must not set the data a "
                       "dossier starts with (dossier_code, due_at, applicant, ...)"})


class DeliverySchema(Schema):
    dossier_id = fields.Integer(required=True)
    dossier_code = fields.String(required=True)
    message = fields.String(required=True)
    caught_by = fields.List(fields.String(), required=True,
                            metadata={"description": "ids of the diagram's events or receive tasks that caught it"})
    status = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "the dossier's version after the delivery"})
    current_tasks = fields.List(fields.Nested(TaskSchema), required=True,
                                metadata={"description": "the dossier's ready tasks after the delivery"})
