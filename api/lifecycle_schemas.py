"""Schemas of the officials' lifecycle endpoints (issue 9, docs/lifecycle.md): actions on a dossier,
late dossiers (R-5.3, N-6) and finding a dossier (R-7.1)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .admin_schemas import IncidentSchema
from .feedback_schemas import WatchedFeedbackSchema
from .paging import PageQuerySchema, PageSchema
from .schemas import Instant, LocalDateTime, TaskSchema

REASON = validate.Length(min=1, max=2000)


class ApologyInSchema(Schema):
    new_due = Instant(required=True, metadata={"description": "the new appointment (N-6), later than the current one"})
    reason = fields.String(required=True, validate=REASON, metadata={"description": "why the dossier is late"})


class ReasonInSchema(Schema):
    reason = fields.String(required=True, validate=REASON)


class WithdrawalInSchema(Schema):
    reason = fields.String(validate=REASON, metadata={"description": "as written in the applicant's request"})


class PaymentInSchema(Schema):
    receipt_number = fields.String(required=True, validate=validate.Length(min=1, max=128),
                                   metadata={"description": "the desk's receipt number (R-6.2)"})


class PaymentRequestInSchema(Schema):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=10**15),
                            metadata={"description": "the fee in VND, a whole number (R-6.2)"})


class ResultReturnInSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(["online", "postal", "desk"]),
                            metadata={"description": "how the result reaches the applicant (R-6.1)"})
    tracking_number = fields.String(validate=validate.Length(min=1, max=64),
                                    metadata={"description": "required for postal"})


class SupplementInSchema(Schema):
    note = fields.String(validate=validate.Length(min=1, max=2000),
                         metadata={"description": "what was brought to the desk"})


class DossierSearchQuerySchema(PageQuerySchema):
    code = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "a prefix of the dossier code"})
    applicant = fields.String(validate=validate.Length(min=1, max=255), metadata={
        "description": "part of the applicant's name (case and diacritics ignored) or the whole 12-digit ID number"})
    status = fields.String(validate=validate.OneOf(["new", "accepted", "not_accepted", "processing",
                                                     "supplement_requested", "payment_requested", "withdrawn",
                                                     "stopped", "processed", "returned"]))


class DossierSummarySchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    agency_id = fields.String(required=True)
    channel = fields.String(required=True)
    channel_code = fields.Integer(required=True)
    status = fields.String(required=True)
    status_code = fields.Integer(required=True)
    applicant_name = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True)
    completed_at = LocalDateTime(allow_none=True)
    timeliness = fields.String(allow_none=True)
    version = fields.Integer(required=True)


class DossierPageSchema(PageSchema):
    items = fields.List(fields.Nested(DossierSummarySchema), required=True)


class LateQuerySchema(Schema):
    within_hours = fields.Float(validate=validate.Range(min=0, max=8 * 260), metadata={
        "description": "at risk: due within this many working hours (default MOTCUA_AT_RISK_HOURS, 8)"})


class WatchedDossierSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    agency_id = fields.String(required=True)
    status = fields.String(required=True)
    status_code = fields.Integer(required=True)
    applicant_name = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(required=True)
    reappointed = fields.Boolean(required=True, metadata={"description": "already re-appointed: no second apology (N-6)"})
    original_due_at = LocalDateTime(allow_none=True)
    hours_left = fields.Float(required=True, metadata={"description": "working hours until due; negative: overdue by"})
    assigned_official = fields.String(allow_none=True)
    incidents = fields.List(fields.Nested(IncidentSchema), required=True,
                            metadata={"description": "its open problems, as GET /api/admin/incidents shows them"})


class WatchlistSchema(Schema):
    at = LocalDateTime(required=True)
    within_hours = fields.Float(required=True)
    agencies = fields.List(fields.String(), allow_none=True, metadata={"description": "null: every agency"})
    overdue = fields.List(fields.Nested(WatchedDossierSchema), required=True)
    at_risk = fields.List(fields.Nested(WatchedDossierSchema), required=True)
    overdue_steps = fields.List(fields.Nested(TaskSchema), required=True)
    overdue_feedback = fields.List(fields.Nested(WatchedFeedbackSchema), required=True, metadata={
        "description": "feedback unanswered past its 13 working days (R-7.2)"})
