"""Schemas of the administrators' endpoints (accounts R-8, incidents R-9.1) and of reassignment."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.domain.roles import ROLE_CODES

from .paging import PageQuerySchema, PageSchema
from .schemas import LocalDateTime, TaskSchema

USERNAME = validate.Length(min=1, max=128)
# Role names are checked by the service (422 naming `roles`), not by the schema (400).
ROLE = fields.String(validate=validate.Length(min=1, max=32))


class AccountListQuerySchema(PageQuerySchema):
    agency = fields.String(validate=validate.Length(min=1, max=35),
                           metadata={"description": "only this agency (an agency administrator: its own)"})
    role = fields.String(validate=validate.Length(min=1, max=32), metadata={"description": "accounts holding it"})
    active = fields.Boolean(metadata={"description": "true: active accounts only; false: deactivated only"})


class ClaimedTaskSchema(Schema):
    task_id = fields.String(required=True)
    dossier_code = fields.String(required=True)
    name = fields.String(required=True)
    candidate_role = fields.String(required=True)
    due_at = LocalDateTime(allow_none=True)


class AccountSchema(Schema):
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    agency_id = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    active = fields.Boolean(required=True)
    source = fields.String(required=True, metadata={"description": "local (password here) or sso (province login)"})
    must_change_password = fields.Boolean(required=True)
    created_at = LocalDateTime(required=True)
    password_changed_at = LocalDateTime(allow_none=True)
    sessions_ended_at = LocalDateTime(allow_none=True, metadata={"description": "last (de)activation"})
    locked_until = LocalDateTime(allow_none=True, metadata={"description": "failed logins lock it until then"})
    claimed_tasks = fields.List(fields.Nested(ClaimedTaskSchema), required=True,
                                metadata={"description": "tasks it holds (one account only; empty in lists)"})


class AccountPageSchema(PageSchema):
    items = fields.List(fields.Nested(AccountSchema), required=True)


class AccountCreateSchema(Schema):
    username = fields.String(required=True, validate=USERNAME)
    agency_id = fields.String(required=True, validate=validate.Length(min=1, max=35))
    roles = fields.List(ROLE, required=True, validate=validate.Length(min=1, max=len(ROLE_CODES)))
    display_name = fields.String(validate=validate.Length(min=1, max=255))
    password = fields.String(validate=validate.Length(min=1, max=256),
                             metadata={"description": "first password; default: a random one, in the answer"})


class PasswordResetSchema(Schema):
    password = fields.String(validate=validate.Length(min=1, max=256),
                             metadata={"description": "the new first password; default: a random one, in the answer"})


class AccountWithPasswordSchema(Schema):
    account = fields.Nested(AccountSchema, required=True)
    password = fields.String(required=True, metadata={"description": "the first password: changed at first login (R-8.2)"})


class RolesSchema(Schema):
    roles = fields.List(ROLE, required=True, validate=validate.Length(min=1, max=len(ROLE_CODES)))


class UnlockSchema(Schema):
    username = fields.String(required=True)
    failed_logins = fields.Integer(required=True, metadata={"description": "how many were counted and forgotten"})


class ReassignSchema(Schema):
    from_ = fields.String(required=True, data_key="from", validate=USERNAME,
                          metadata={"description": "the official whose tasks move"})
    to = fields.String(required=True, validate=USERNAME, metadata={"description": "the colleague who takes them"})


class SkippedTaskSchema(Schema):
    task_id = fields.String(required=True)
    dossier_code = fields.String(required=True)
    reason = fields.String(required=True)


class ReassignmentSchema(Schema):
    from_username = fields.String(required=True)
    to_username = fields.String(required=True)
    moved = fields.List(fields.Nested(TaskSchema), required=True)
    skipped = fields.List(fields.Nested(SkippedTaskSchema), required=True)


class IncidentListQuerySchema(PageQuerySchema):
    agency = fields.String(validate=validate.Length(min=1, max=35))
    procedure = fields.String(validate=validate.Length(min=1, max=64))
    older_than = fields.String(validate=validate.Length(min=1, max=16),
                               metadata={"description": "open for at least: 45m, 2h, 3d"})


class IncidentSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "the latest attempt's incident"})
    dossier_id = fields.Integer(required=True)
    dossier_code = fields.String(required=True)
    agency_id = fields.String(required=True)
    procedure_code = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    kind = fields.String(required=True, metadata={"description": "timer, task or message (docs/operations.md)"})
    error = fields.String(required=True)
    attempt = fields.Integer(required=True)
    occurred_at = LocalDateTime(required=True)
    since = LocalDateTime(required=True, metadata={"description": "the first attempt still open"})
    resolved_at = LocalDateTime(allow_none=True)
    resolved_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    next_retry_at = LocalDateTime(allow_none=True, metadata={"description": "timers: the sweep's next attempt"})


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentSchema), required=True)


class AttemptSchema(Schema):
    id = fields.Integer(required=True)
    attempt = fields.Integer(required=True)
    at = LocalDateTime(required=True)
    error = fields.String(required=True)
    resolved_at = LocalDateTime(allow_none=True)


class TimerStateSchema(Schema):
    element_id = fields.String(required=True)
    due_at = LocalDateTime(required=True)
    attempts = fields.Integer(required=True)
    next_attempt_at = LocalDateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class IncidentDetailSchema(Schema):
    incident = fields.Nested(IncidentSchema, required=True)
    dossier_status = fields.String(required=True)
    attempts = fields.List(fields.Nested(AttemptSchema), required=True)
    timers = fields.List(fields.Nested(TimerStateSchema), required=True)


class RetryOutcomeSchema(Schema):
    incident_id = fields.Integer(required=True)
    dossier_code = fields.String(required=True)
    outcome = fields.String(required=True, metadata={"description": "fired (resolved), failed (one more attempt), "
                                                                    "pending (another process holds it)"})
    incident = fields.Nested(IncidentSchema, allow_none=True, metadata={"description": "still open: its latest attempt"})


class ResolveSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "what was done"})
