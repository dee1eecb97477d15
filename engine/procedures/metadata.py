"""procedure.toml: what the catalogue says of a procedure (R-1.1)."""
from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields
from marshmallow import validate as v

from engine.domain.dossier_code import AGENCY_ID_RE
from engine.validation_errors import flatten_errors

METADATA_FILE = "procedure.toml"
CODE_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9.\-_]{0,63}\Z")
LEVELS = ("province", "department", "district", "commune")
ONLINE_LEVELS = ("full", "partial", "none")  # toàn trình / một phần / không
KINDS = ("dossier", "feedback")  # absent: dossier; feedback: its cases are feedback cases


class FeeSchema(Schema):
    name = fields.String(required=True, validate=v.Length(min=1))
    amount = fields.Integer(required=True, validate=v.Range(min=0), metadata={"description": "VND"})
    note = fields.String()


class ComponentSchema(Schema):
    name = fields.String(required=True, validate=v.Length(min=1))
    copies = fields.Integer(load_default=1, validate=v.Range(min=1))
    original = fields.Boolean(load_default=False)
    required = fields.Boolean(load_default=True)
    note = fields.String()


class MetadataSchema(Schema):
    code = fields.String(required=True, validate=v.Regexp(CODE_RE, error="letters, digits, '.', '-', '_' (max 64)"))
    name = fields.String(required=True, validate=v.Length(min=1))
    field = fields.String(required=True, validate=v.Length(min=1))
    agency_id = fields.String(required=True, validate=v.Regexp(AGENCY_ID_RE, error="an agency electronic id, max 35 chars"))
    agency_name = fields.String()
    level = fields.String(required=True, validate=v.OneOf(LEVELS))
    statutory_days = fields.Integer(required=True, validate=v.Range(min=0))
    online_level = fields.String(required=True, validate=v.OneOf(ONLINE_LEVELS))
    result_on_the_spot = fields.Boolean(load_default=False)
    # Received after this local hour, the statutory time counts from the next working day; with
    # statutory_days = 0 the result is due by the end of that working day (DeadlineBasis.cutoff_hour).
    cutoff_hour = fields.Integer(validate=v.Range(min=0, max=23))
    process_id = fields.String()
    kind = fields.String(validate=v.OneOf(KINDS))
    description = fields.String()
    fees = fields.List(fields.Nested(FeeSchema), load_default=list)
    components = fields.List(fields.Nested(ComponentSchema), load_default=list)


def validate_metadata(raw: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Returns (metadata, [(key path, problem)])."""
    try:
        return MetadataSchema().load(raw), []
    except ValidationError as err:
        return {}, flatten_errors(err.messages)
