"""Schemas of feedback and complaints (R-7.2): officials' /api/feedback, applicants'
/api/public/feedback, the overdue list's feedback and the feedback report."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.domain.feedback import MAX_SUBJECT, MAX_TEXT, FeedbackChannel, FeedbackStatus

from .paging import PageQuerySchema, PageSchema
from .public_schemas import ContactSchema
from .report_schemas import PERIOD
from .schemas import Instant, LocalDateTime

SUBJECT = validate.Length(min=1, max=MAX_SUBJECT)
TEXT = validate.Length(min=1, max=MAX_TEXT)
CODE = validate.Length(min=1, max=64)
OFFLINE = [c.value for c in FeedbackChannel if c.offline]
STATUSES = [s.value for s in FeedbackStatus]


class SenderInSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    id_number = fields.String(validate=validate.Regexp(r"^[0-9]{12}$", error="12 digits"),
                              metadata={"description": "the sender's citizen ID number, when known: they then see "
                                                       "the answer online too"})
    contact = fields.Nested(ContactSchema, load_default=dict)


class FeedbackEntryInSchema(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(OFFLINE),
                            metadata={"description": "how it reached the agency (Đ21.2-3)"})
    received_at = Instant(required=True, metadata={"description": "when the agency received it; entered more than "
                                                                  "8 working hours later is flagged (R-7.2)"})
    sender = fields.Nested(SenderInSchema, required=True)
    subject = fields.String(required=True, validate=SUBJECT)
    content = fields.String(required=True, validate=TEXT)
    dossier_code = fields.String(validate=CODE, metadata={"description": "the dossier it concerns, of your agency"})


class FeedbackSubmitSchema(Schema):
    subject = fields.String(required=True, validate=SUBJECT)
    content = fields.String(required=True, validate=TEXT)
    dossier_code = fields.String(validate=CODE, metadata={"description": "one of my dossiers it concerns"})
    agency_id = fields.String(validate=validate.Length(min=1, max=35),
                              metadata={"description": "the agency it is for, without a dossier"})
    contact = fields.Nested(ContactSchema, load_default=dict)


class AssignInSchema(Schema):
    official = fields.String(required=True, validate=validate.Length(min=1, max=128),
                             metadata={"description": "an active official of the agency"})


class AnswerInSchema(Schema):
    answer = fields.String(required=True, validate=TEXT,
                           metadata={"description": "published to the sender at once (R-7.2)"})


class FeedbackQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    overdue = fields.Boolean(load_default=False,
                             metadata={"description": "only unanswered past the 13 working days, most overdue first"})


class FeedbackTimelineEntrySchema(Schema):
    at = LocalDateTime(required=True)
    kind = fields.String(required=True)
    actor = fields.String(allow_none=True)
    detail = fields.Dict(required=True)


class FeedbackSchema(Schema):
    code = fields.String(required=True, metadata={"description": "PAKN-<agency>-YYMMDD-NNNN"})
    procedure_code = fields.String(required=True)
    procedure_version = fields.Integer(allow_none=True, metadata={
        "description": "the version of the feedback procedure the case runs on (in effect at its receipt); "
                       "null for a case received before cases ran on the diagram, until it is next acted on"})
    agency_id = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True, metadata={"description": ", ".join(STATUSES)})
    sender = fields.Dict(required=True)
    subject = fields.String(required=True)
    content = fields.String(required=True)
    dossier_code = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    entered_at = LocalDateTime(required=True)
    entered_by = fields.String(required=True)
    entry_due_at = LocalDateTime(allow_none=True, metadata={"description": "offline: 8 working hours after receipt"})
    entered_late = fields.Boolean(required=True)
    due_at = LocalDateTime(required=True, metadata={"description": "13 working days after receipt"})
    overdue = fields.Boolean(required=True)
    assigned_to = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_at = LocalDateTime(allow_none=True)
    answered_by = fields.String(allow_none=True)
    timeliness = fields.String(allow_none=True, metadata={"description": "of the answer: early, on_time, late"})
    version = fields.Integer(required=True)
    timeline = fields.List(fields.Nested(FeedbackTimelineEntrySchema), required=True)


class FeedbackPageSchema(PageSchema):
    items = fields.List(fields.Nested(FeedbackSchema), required=True)


class SenderFeedbackSchema(Schema):
    code = fields.String(required=True)
    agency_id = fields.String(required=True)
    status = fields.String(required=True)
    subject = fields.String(required=True)
    content = fields.String(required=True)
    dossier_code = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(required=True)
    answer = fields.String(allow_none=True, metadata={"description": "the published answer"})
    answered_at = LocalDateTime(allow_none=True)


class SenderFeedbackPageSchema(PageSchema):
    items = fields.List(fields.Nested(SenderFeedbackSchema), required=True)


class WatchedFeedbackSchema(Schema):
    code = fields.String(required=True)
    agency_id = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    subject = fields.String(required=True)
    dossier_code = fields.String(allow_none=True)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(required=True)
    hours_left = fields.Float(required=True, metadata={"description": "working hours until due; negative: overdue by"})
    assigned_to = fields.String(allow_none=True)


class FeedbackCountsSchema(Schema):
    agency_id = fields.String(required=True, metadata={"description": "empty in the total"})
    received = fields.Integer(required=True)
    received_online = fields.Integer(required=True)
    entered_late = fields.Integer(required=True, metadata={"description": "offline, entered after 8 working hours"})
    answered = fields.Integer(required=True)
    early = fields.Integer(required=True)
    on_time = fields.Integer(required=True)
    late = fields.Integer(required=True)
    open = fields.Integer(required=True)
    open_overdue = fields.Integer(required=True)


class FeedbackReportQuerySchema(Schema):
    period = PERIOD
    agency = fields.String(validate=validate.Length(max=2000), metadata={"description": "agency ids, comma-separated"})


class FeedbackReportSchema(Schema):
    period = fields.String(required=True)
    start = LocalDateTime(required=True)
    end = LocalDateTime(required=True)
    as_of = LocalDateTime(required=True)
    rows = fields.List(fields.Nested(FeedbackCountsSchema), required=True)
    total = fields.Nested(FeedbackCountsSchema, required=True)
