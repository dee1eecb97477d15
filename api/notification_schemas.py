"""Schemas of the administrators' view of notifications to applicants (R-3.1, N-6)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.services.notifications import STATES

from .paging import PageQuerySchema, PageSchema
from .schemas import LocalDateTime


class NotificationListQuerySchema(PageQuerySchema):
    state = fields.String(validate=validate.OneOf(STATES), metadata={
        "description": "failed (attempts exhausted or refused), undeliverable (no usable contact) or retrying "
                       "(waiting for its next attempt); default: all three"})
    agency = fields.String(validate=validate.Length(min=1, max=35),
                           metadata={"description": "notices of this agency's dossiers (an agency administrator: its own)"})


class DeliveredSchema(Schema):
    to = fields.String(required=True)
    at = fields.String(required=True, metadata={"description": "when it went out (ISO 8601)"})


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"description": "the notice: received, supplement_requested, apology…"})
    dossier_code = fields.String(allow_none=True)
    at = LocalDateTime(required=True, metadata={"description": "when the event happened"})
    state = fields.String(required=True, metadata={"description": "pending, retrying, failed, undeliverable or sent"})
    attempts = fields.Integer(required=True, metadata={"description": "attempts made (a retry starts again from 0)"})
    last_attempt_at = LocalDateTime(allow_none=True)
    next_attempt_at = LocalDateTime(allow_none=True, metadata={"description": "pending or retrying: due then"})
    last_error = fields.String(allow_none=True)
    sent_at = LocalDateTime(allow_none=True)
    delivered = fields.Dict(keys=fields.String(), values=fields.Nested(DeliveredSchema), required=True,
                            metadata={"description": "channels sent: email, sms"})


class NotificationPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)


class NotificationSummarySchema(Schema):
    pending = fields.Integer(required=True, metadata={"description": "waiting for their first attempt"})
    retrying = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    undeliverable = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    oldest_waiting_at = LocalDateTime(allow_none=True, metadata={"description": "the oldest notice pending or retrying"})
    email = fields.String(required=True, metadata={"description": "the e-mail sender in use: off, log or smtp"})
    sms = fields.String(required=True, metadata={"description": "the SMS sender in use: off or log"})
