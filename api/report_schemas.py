"""Schemas of /api/reports and of a dossier's path (the OpenAPI document is generated from them).

Report answers are the JSON shapes of engine/services/report_export.py; lists in a query string
are comma-separated (`agency=000.00.12.H15,000.00.13.H15`): a repeated parameter is refused.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.domain.periods import GRAINS
from engine.services.reports import DIMENSIONS, SUBJECTS

from .schemas import LocalDateTime, TimelineEntrySchema

PERIOD = fields.String(required=True, validate=validate.Length(min=4, max=32),
                       metadata={"description": "2026, 2026-Q4, 2026-11 or 2026-11-01..2026-11-15 (local days)",
                                 "example": "2026-11"})


# A CSV download (UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese).
CSV_RESPONSE = {"description": "CSV, UTF-8 with a byte-order mark; columns in docs/reports.md",
                "content": {"text/csv": {"schema": {"type": "string"}}}}


def _list(description: str) -> fields.String:
    return fields.String(validate=validate.Length(max=2000), metadata={"description": description})


class OnTimeQuerySchema(Schema):
    period = PERIOD
    by = fields.String(load_default="agency", validate=validate.Length(max=64),
                       metadata={"description": f"comma-separated, any of {', '.join(DIMENSIONS)}; empty: totals only"})
    grain = fields.String(validate=validate.OneOf(GRAINS), metadata={"description": "split the period (a trend)"})
    subject = fields.String(load_default="dossiers", validate=validate.OneOf(SUBJECTS))
    agency = _list("agency ids, comma-separated")
    procedure = _list("procedure codes, comma-separated")
    field = _list("procedure fields (lĩnh vực), comma-separated")


class IndicatorQuerySchema(Schema):
    period = PERIOD
    agency = _list("agency ids, comma-separated")


class RankingQuerySchema(Schema):
    period = PERIOD


class RegisterQuerySchema(Schema):
    period = PERIOD
    agency = _list("agency ids, comma-separated")
    procedure = _list("procedure codes, comma-separated")
    limit = fields.Integer(load_default=10000, validate=validate.Range(min=1, max=100000))


class CountsSchema(Schema):
    received = fields.Integer(required=True)
    finished = fields.Integer(required=True, metadata={"description": "early + on_time + late + unclassified"})
    early = fields.Integer(required=True)
    on_time = fields.Integer(required=True)
    late = fields.Integer(required=True)
    unclassified = fields.Integer(required=True, metadata={"description": "ended without a class (withdrawn, …)"})
    reappointed = fields.Integer(required=True)
    reappointed_met = fields.Integer(required=True)
    open = fields.Integer(required=True, metadata={"description": "as of `as_of`"})
    open_late = fields.Integer(required=True, metadata={"description": "as of `as_of`, supplement pauses excluded"})
    on_time_rate = fields.Float(allow_none=True, metadata={"description": "percent; null when nothing finished"})


class OnTimeRowSchema(CountsSchema):
    period = fields.String(allow_none=True)
    agency_id = fields.String(allow_none=True)
    agency_name = fields.String(allow_none=True)
    procedure_code = fields.String(allow_none=True)
    procedure_name = fields.String(allow_none=True)
    field = fields.String(allow_none=True)


class OnTimeReportSchema(Schema):
    subject = fields.String(required=True)
    period = fields.String(required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    as_of = fields.String(required=True)
    group_by = fields.List(fields.String(), required=True)
    rows = fields.List(fields.Nested(OnTimeRowSchema), required=True)
    total = fields.Nested(CountsSchema, required=True)


class IndicatorSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    group = fields.String(required=True)
    unit = fields.String(required=True)
    higher_is_better = fields.Boolean(required=True)
    formula = fields.String(required=True)
    source = fields.String(required=True)


class IndicatorValueSchema(Schema):
    value = fields.Float(allow_none=True, metadata={"description": "null: cannot be computed, `note` says why"})
    numerator = fields.Float(allow_none=True)
    denominator = fields.Float(allow_none=True)
    note = fields.String(allow_none=True)


class AgencyIndicatorsSchema(Schema):
    agency_id = fields.String(allow_none=True, metadata={"description": "null in `total`"})
    agency_name = fields.String(allow_none=True)
    counts = fields.Nested(CountsSchema, required=True)
    values = fields.Dict(keys=fields.String(), values=fields.Nested(IndicatorValueSchema), required=True)


class IndicatorReportSchema(Schema):
    period = fields.String(required=True)
    as_of = fields.String(required=True)
    indicators = fields.List(fields.Nested(IndicatorSchema), required=True)
    rows = fields.List(fields.Nested(AgencyIndicatorsSchema), required=True)
    total = fields.Nested(AgencyIndicatorsSchema, required=True)


class ScoreSchema(Schema):
    code = fields.String(required=True)
    points = fields.Float(required=True)
    fraction = fields.Float(allow_none=True, metadata={"description": "null: left out (no value)"})
    earned = fields.Float(required=True)
    value = fields.Float(allow_none=True)
    note = fields.String(allow_none=True)


class RankedSchema(Schema):
    rank = fields.Integer(required=True)
    agency_id = fields.String(required=True)
    agency_name = fields.String(allow_none=True)
    percent = fields.Float(allow_none=True)
    earned = fields.Float(required=True)
    available = fields.Float(required=True)
    scores = fields.List(fields.Nested(ScoreSchema), required=True)


class RankingReportSchema(Schema):
    period = fields.String(required=True)
    as_of = fields.String(required=True)
    points = fields.Dict(keys=fields.String(), values=fields.Float(), required=True)
    rows = fields.List(fields.Nested(RankedSchema), required=True)


class RegisterRowSchema(Schema):
    code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    procedure_name = fields.String(allow_none=True)
    agency_id = fields.String(required=True)
    applicant_name = fields.String(allow_none=True)
    channel = fields.String(required=True)
    channel_code = fields.Integer(allow_none=True, metadata={"description": "N-8: 1 in person, 2 online, 3 postal"})
    received_at = fields.String(required=True)
    due_at = fields.String(allow_none=True)
    completed_at = fields.String(allow_none=True)
    status = fields.String(required=True)
    status_code = fields.Integer(allow_none=True, metadata={"description": "N-8 national status code"})
    timeliness = fields.String(allow_none=True)
    reappointed = fields.Boolean(required=True)
    timeliness_reappointed = fields.String(allow_none=True)


class RegisterSchema(Schema):
    period = fields.String(required=True)
    truncated = fields.Boolean(required=True, metadata={"description": "more dossiers than `limit`"})
    rows = fields.List(fields.Nested(RegisterRowSchema), required=True)


class DossierPathSchema(Schema):
    dossier_id = fields.Integer(required=True)
    code = fields.String(required=True)
    procedure_code = fields.String(required=True)
    procedure_version = fields.Integer(required=True)
    status = fields.String(required=True)
    due_at = LocalDateTime(allow_none=True)
    timeliness = fields.String(allow_none=True)
    process_id = fields.String(required=True)
    diagram_file = fields.String(required=True)
    diagram = fields.String(required=True, metadata={"description": "BPMN 2.0 XML of the version the dossier runs on"})
    completed = fields.List(fields.String(), required=True, metadata={"description": "element ids of finished steps"})
    current = fields.List(fields.String(), required=True, metadata={"description": "element ids waiting now"})
    late = fields.List(fields.String(), required=True,
                       metadata={"description": "element ids finished late or waiting past due"})
    sheet = fields.List(fields.Nested(TimelineEntrySchema), required=True,
                        metadata={"description": "process control sheet (N-2)"})


def split(value: str | None) -> list[str] | None:
    """A comma-separated query value as a list; None when absent."""
    if value is None:
        return None
    return [v.strip() for v in value.split(",") if v.strip()]
