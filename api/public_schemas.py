"""Schemas of the applicants' API (/api/public, issue 10)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.services.applicants import CONTACT_FIELDS, MAX_CONTACT
from engine.services.ratings import MAX_COMMENT, RATINGS

from .paging import PageQuerySchema, PageSchema
from .schemas import AttachmentSchema, LocalDateTime

NATIONAL_STATUS = {"description": "national status code (N-8): 1 new … 10 returned"}


class ContactSchema(Schema):
    phone = fields.String(validate=validate.Length(max=MAX_CONTACT))
    email = fields.String(validate=validate.Length(max=MAX_CONTACT))
    address = fields.String(validate=validate.Length(max=MAX_CONTACT))


assert set(ContactSchema._declared_fields) == set(CONTACT_FIELDS)


class OnlineSubmissionSchema(Schema):
    procedure_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(keys=fields.String(), load_default=dict,
                       metadata={"description": "the procedure's registration form (checked against its schema)"})
    contact = fields.Nested(ContactSchema, load_default=dict,
                            metadata={"description": "how to reach the applicant; name and ID number come from the token"})
    digitally_signed = fields.Boolean(load_default=False,
                                      metadata={"description": "the forms were signed with a digital signature (R-2)"})
    start_message = fields.String(validate=validate.Length(min=1, max=255), metadata={
        "description": "for a procedure started by one of several message start events: which one"})


class PublicStatusSchema(Schema):
    code = fields.String(required=True, metadata={"description": "mã số hồ sơ, N-1"})
    procedure_code = fields.String(required=True)
    procedure_name = fields.String(required=True)
    status = fields.String(required=True)
    status_code = fields.Integer(required=True, metadata=NATIONAL_STATUS)
    received_at = LocalDateTime(required=True)
    due_at = LocalDateTime(allow_none=True, metadata={"description": "the appointment in force"})


class StatusStepSchema(Schema):
    at = LocalDateTime(required=True)
    status = fields.String(required=True)
    status_code = fields.Integer(required=True, metadata=NATIONAL_STATUS)
    reason = fields.String(allow_none=True)


class NoticeSchema(Schema):
    at = LocalDateTime(required=True)
    kind = fields.String(required=True, metadata={"description": "submitted, received, supplement_requested, "
                                                                 "payment_requested, apology, result_ready, …"})
    detail = fields.Dict(required=True)


class ApplicantDossierSchema(Schema):
    code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    procedure_name = fields.String(required=True)
    channel = fields.String(required=True)
    channel_code = fields.Integer(required=True, metadata={"description": "N-8: 1 desk, 2 online, 3 postal"})
    status = fields.String(required=True)
    status_code = fields.Integer(required=True, metadata=NATIONAL_STATUS)
    received_at = LocalDateTime(required=True)
    started_at = LocalDateTime(required=True, metadata={"description": "when the count started (R-3.4)"})
    due_at = LocalDateTime(allow_none=True, metadata={"description": "the appointment in force"})
    completed_at = LocalDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    status_reason = fields.String(allow_none=True)
    paused_since = LocalDateTime(allow_none=True, metadata={"description": "waiting for the applicant's supplement"})
    fee = fields.Dict(allow_none=True)
    returned_at = LocalDateTime(allow_none=True)
    return_channel = fields.String(allow_none=True)
    applicant = fields.Dict(required=True)
    rating = fields.Nested("RatingSchema", allow_none=True)
    history = fields.List(fields.Nested(StatusStepSchema), required=True)
    notices = fields.List(fields.Nested(NoticeSchema), required=True)


class ApplicantDossierPageSchema(PageSchema):
    items = fields.List(fields.Nested(ApplicantDossierSchema), required=True)


class MyDossiersQuerySchema(PageQuerySchema):
    pass


class RatingInSchema(Schema):
    rating = fields.String(required=True, validate=validate.OneOf(RATINGS),
                           metadata={"description": "satisfied (hài lòng), acceptable (chấp nhận được), "
                                                    "not_satisfied (không hài lòng)"})
    comment = fields.String(validate=validate.Length(max=MAX_COMMENT), allow_none=True)


class RatingSchema(Schema):
    rating = fields.String(required=True)
    comment = fields.String(allow_none=True)
    rated_at = LocalDateTime(required=True)


class WithdrawalSchema(Schema):
    reason = fields.String(validate=validate.Length(max=MAX_COMMENT), allow_none=True)


class PublicCatalogueEntrySchema(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    name = fields.String(required=True)
    field = fields.String(required=True)
    agency_id = fields.String(required=True)
    level = fields.String(required=True)
    statutory_days = fields.Integer(required=True, metadata={"description": "working days (R-5.2)"})
    online_level = fields.String(required=True)
    effective_from = LocalDateTime(allow_none=True)
    fees = fields.List(fields.Dict(), required=True)
    components = fields.List(fields.Dict(), required=True)
    registration_forms = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True, metadata={
        "description": "message name -> the JSON Schema its data must meet (submit `start_message` when several)"})


class PublicCatalogueSchema(Schema):
    items = fields.List(fields.Nested(PublicCatalogueEntrySchema), required=True)


class StoredFormSchema(Schema):
    procedure_code = fields.String(required=True)
    dossier_code = fields.String(required=True)
    data = fields.Dict(required=True)
    saved_at = LocalDateTime(required=True)


class StoredResultSchema(Schema):
    dossier = fields.Nested(ApplicantDossierSchema, required=True)
    files = fields.List(fields.Nested(AttachmentSchema), required=True)


class DataStoreSchema(Schema):
    forms = fields.List(fields.Nested(StoredFormSchema), required=True)
    results = fields.List(fields.Nested(StoredResultSchema), required=True)
