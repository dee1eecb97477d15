"""Schemas of the procedure review endpoints (issue 12): drafts, reports, diffs, decisions, catalogue."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.domain.procedure_version import DECISION_NUMBER_MAX, VersionState
from engine.services.drafts import REASON_MAX

from .schemas import ComponentSchema, FeeSchema, LocalDateTime


class ProblemItemSchema(Schema):
    file = fields.String(required=True)
    element_id = fields.String(allow_none=True, required=True)
    line = fields.Integer(allow_none=True, required=True, metadata={"description": "where the XML parser gives one"})
    severity = fields.String(required=True, validate=validate.OneOf(["error", "warning"]))
    message = fields.String(required=True, metadata={"description": "a sentence a modeler understands"})


class ReportSchema(Schema):
    code = fields.String(allow_none=True, required=True)
    valid = fields.Boolean(required=True, metadata={"description": "no errors (warnings do not refuse)"})
    errors = fields.Integer(required=True)
    warnings = fields.Integer(required=True)
    content_hash = fields.String(allow_none=True, required=True)
    problems = fields.List(fields.Nested(ProblemItemSchema), required=True)


class DraftOutcomeSchema(Schema):
    code = fields.String(allow_none=True, required=True)
    outcome = fields.String(required=True, validate=validate.OneOf(["created", "replaced", "unchanged"]),
                            metadata={"description": "created: a new draft number; replaced: the unsubmitted draft, "
                                                     "same number; unchanged: the same files as `version`"})
    version = fields.Integer(required=True)
    report = fields.Nested(ReportSchema, required=True)


class VersionSchema(Schema):
    code = fields.String(required=True)
    number = fields.Integer(required=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in VersionState]))
    content_hash = fields.String(required=True)
    created_at = LocalDateTime(required=True)
    submitted_at = LocalDateTime(allow_none=True)
    submitted_by = fields.String(allow_none=True)
    decision_number = fields.String(allow_none=True)
    decision_date = fields.Date(allow_none=True)
    effective_from = LocalDateTime(allow_none=True)
    published_at = LocalDateTime(allow_none=True)
    published_by = fields.String(allow_none=True)
    backdate_reason = fields.String(allow_none=True)
    retired_at = LocalDateTime(allow_none=True)


class VersionListSchema(Schema):
    items = fields.List(fields.Nested(VersionSchema), required=True)


_NUMBER = dict(validate=validate.Length(min=1, max=DECISION_NUMBER_MAX),
               metadata={"description": "the announcing decision's number", "example": "1234/QĐ-UBND"})
_REASON = dict(validate=validate.Length(max=REASON_MAX))


class SubmitSchema(Schema):
    decision_number = fields.String(**_NUMBER)
    decision_date = fields.Date(metadata={"description": "when known: starts the setup clock (R-1.2)"})


class ReturnSchema(Schema):
    remarks = fields.String(required=True, validate=validate.Length(min=1, max=REASON_MAX))


class PublishSchema(Schema):
    decision_number = fields.String(required=True, **_NUMBER)
    decision_date = fields.Date(required=True, metadata={"description": "the date the decision was signed"})
    effective_from = fields.AwareDateTime(metadata={"description": "default now; in the past needs `reason`"})
    reason = fields.String(**_REASON)


class RepealSchema(PublishSchema):
    replaced_by = fields.String(validate=validate.Length(min=1, max=64),
                                metadata={"description": "the code of the procedure that replaces it"})


class RepealOutSchema(Schema):
    code = fields.String(required=True)
    effective_from = LocalDateTime(required=True)
    decision_number = fields.String(required=True)
    decision_date = fields.Date(required=True)
    replaced_by = fields.String(allow_none=True, required=True)
    reason = fields.String(allow_none=True, required=True)
    repealed_by = fields.String(required=True)
    repealed_at = LocalDateTime(required=True)


class DiffQuerySchema(Schema):
    against = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                             metadata={"description": "the old version (default: the one in effect now)"})
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "text"]))


class LateSetupsQuerySchema(Schema):
    days = fields.Integer(validate=validate.Range(min=1, max=60),
                          metadata={"description": "working days allowed (default MOTCUA_SETUP_WORKING_DAYS)"})


class LateSetupSchema(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    state = fields.String(required=True)
    decision_number = fields.String(required=True)
    decision_date = fields.Date(required=True)
    due_at = LocalDateTime(required=True)
    published_at = LocalDateTime(allow_none=True, required=True)
    working_days = fields.Integer(required=True)


class LateSetupListSchema(Schema):
    items = fields.List(fields.Nested(LateSetupSchema), required=True)


class ProcedureEventSchema(Schema):
    version = fields.Integer(allow_none=True, required=True)
    at = LocalDateTime(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    decision_number = fields.String(allow_none=True, required=True)
    decision_date = fields.Date(allow_none=True, required=True)
    detail = fields.Dict(required=True)


class ProcedureEventListSchema(Schema):
    items = fields.List(fields.Nested(ProcedureEventSchema), required=True)


class CatalogueEntrySchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    field = fields.String(required=True)
    agency_id = fields.String(required=True)
    agency_name = fields.String(allow_none=True, required=True)
    level = fields.String(required=True)
    online_level = fields.String(required=True)
    statutory_days = fields.Integer(required=True, metadata={"description": "working days (R-5.1)"})
    result_on_the_spot = fields.Boolean(required=True)
    fees = fields.List(fields.Nested(FeeSchema), required=True)
    components = fields.List(fields.Nested(ComponentSchema), required=True)
    effective_from = LocalDateTime(allow_none=True, required=True)
    decision_number = fields.String(allow_none=True, required=True)
    decision_date = fields.Date(allow_none=True, required=True)
    version = fields.Integer(allow_none=True, required=True)
    published_by = fields.String(allow_none=True, required=True)


class CatalogueSchema(Schema):
    items = fields.List(fields.Nested(CatalogueEntrySchema), required=True)


# A multipart upload of a procedure's files (read by the view itself).
DRAFT_UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object",
    "properties": {
        "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                  "description": "procedure.toml, *.bpmn, *.dmn and forms (forms/x.json or x.json), each part's "
                                 "file name its path in the folder"},
        "archive": {"type": "string", "format": "binary", "description": "or: one zip of the folder"},
    }}}}}}
