"""Reports as CSV (UTF-8 with a byte-order mark, so spreadsheet programs show Vietnamese) and as
JSON-ready dicts. Times are written in the province's local time with their offset (ISO 8601).

Columns (stable names, documented in docs/reports.md):
- on-time: period, agency_id, agency_name, procedure_code, procedure_name, field, then every
  OnTimeCounts figure and on_time_rate (percent, 2 decimals; empty when nothing finished with a class);
  the last row is the total (period "total").
- indicators: agency_id, agency_name, then per indicator its value (empty when it cannot be
  computed) and `<code>_note` (why not).
- ranking: rank, agency_id, agency_name, percent, earned, available, then per indicator its points earned.
- register (N-2): code, procedure_code, procedure_name, agency_id, applicant_name, channel,
  channel_code, received_at, due_at, completed_at, status, status_code, timeliness, reappointed,
  timeliness_reappointed.
"""
from __future__ import annotations

import csv
import io
from dataclasses import fields
from datetime import datetime, tzinfo
from typing import Any, Iterable

from engine.domain.dossier_status import Channel, DossierStatus
from engine.domain.ontime import OnTimeCounts

from .reports import IndicatorReport, OnTimeReport, RankingReport, Register

BOM = "\ufeff"
COUNT_FIELDS = [f.name for f in fields(OnTimeCounts)]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula


def _text_cell(value: str) -> str:
    """A text cell as text in a spreadsheet: a leading apostrophe before a formula's first character
    (R-8.4: names typed by applicants must not run as formulas, e.g. =HYPERLINK sending data away)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def to_csv(header: list[str], rows: Iterable[list[Any]]) -> str:
    """CSV text starting with a BOM; None is an empty cell, floats have 2 decimals, booleans are 1/0,
    a text that a spreadsheet would run as a formula starts with an apostrophe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else int(v) if isinstance(v, bool) else f"{v:.2f}" if isinstance(v, float)
                         else _text_cell(v) if isinstance(v, str) else v for v in row])
    return out.getvalue()


def _t(value: datetime | None, tz: tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value is not None else None


# ------------------------------------------------------------ on-time report

ON_TIME_HEADER = ["period", "agency_id", "agency_name", "procedure_code", "procedure_name", "field",
                  *COUNT_FIELDS, "on_time_rate"]


def on_time_csv(report: OnTimeReport) -> str:
    rows = [[r.period or report.period, r.agency_id, r.agency_name, r.procedure_code, r.procedure_name, r.field,
             *(getattr(r.counts, f) for f in COUNT_FIELDS), r.counts.on_time_rate] for r in report.rows]
    rows.append(["total", None, None, None, None, None, *(getattr(report.total, f) for f in COUNT_FIELDS),
                 report.total.on_time_rate])
    return to_csv(ON_TIME_HEADER, rows)


def counts_json(c: OnTimeCounts) -> dict[str, Any]:
    return {**c.as_dict(), "on_time_rate": c.on_time_rate}


def on_time_json(report: OnTimeReport, tz: tzinfo) -> dict[str, Any]:
    return {
        "subject": report.subject, "period": report.period, "start": _t(report.start, tz),
        "end": _t(report.end, tz), "as_of": _t(report.as_of, tz), "group_by": list(report.group_by),
        "rows": [{"period": r.period, "agency_id": r.agency_id, "agency_name": r.agency_name,
                  "procedure_code": r.procedure_code, "procedure_name": r.procedure_name, "field": r.field,
                  **counts_json(r.counts)} for r in report.rows],
        "total": counts_json(report.total),
    }


# ------------------------------------------------------------ indicators

def indicators_csv(report: IndicatorReport) -> str:
    codes = [i.code for i in report.indicators]
    header = ["agency_id", "agency_name", *[h for c in codes for h in (c, f"{c}_note")]]
    rows = [[r.agency_id or "total", r.agency_name, *[x for c in codes for x in (r.values[c].value, r.values[c].note)]]
            for r in [*report.rows, report.total]]
    return to_csv(header, rows)


def indicators_json(report: IndicatorReport, tz: tzinfo) -> dict[str, Any]:
    def row(r: Any) -> dict[str, Any]:
        return {"agency_id": r.agency_id, "agency_name": r.agency_name, "counts": counts_json(r.counts),
                "values": {c: {"value": v.value, "numerator": v.numerator, "denominator": v.denominator,
                               "note": v.note} for c, v in r.values.items()}}
    return {
        "period": report.period, "as_of": _t(report.as_of, tz),
        "indicators": [{"code": i.code, "name": i.name, "group": i.group, "unit": i.unit,
                        "higher_is_better": i.higher_is_better, "formula": i.formula, "source": i.source}
                       for i in report.indicators],
        "rows": [row(r) for r in report.rows], "total": row(report.total),
    }


# ------------------------------------------------------------ ranking

def ranking_csv(report: RankingReport) -> str:
    codes = list(report.points)
    header = ["rank", "agency_id", "agency_name", "percent", "earned", "available", *codes]
    rows = []
    for r in report.rows:
        earned = {s.code: (s.earned if s.fraction is not None else None) for s in r.ranked.scores}
        rows.append([r.ranked.rank, r.ranked.agency_id, r.agency_name, r.ranked.percent, r.ranked.earned,
                     r.ranked.available, *(earned.get(c) for c in codes)])
    return to_csv(header, rows)


def ranking_json(report: RankingReport, tz: tzinfo) -> dict[str, Any]:
    return {
        "period": report.period, "as_of": _t(report.as_of, tz), "points": report.points,
        "rows": [{"rank": r.ranked.rank, "agency_id": r.ranked.agency_id, "agency_name": r.agency_name,
                  "percent": r.ranked.percent, "earned": r.ranked.earned, "available": r.ranked.available,
                  "scores": [{"code": s.code, "points": s.points, "fraction": s.fraction, "earned": s.earned,
                              "value": r.values[s.code].value, "note": r.values[s.code].note}
                             for s in r.ranked.scores]}
                 for r in report.rows],
    }


# ------------------------------------------------------------ register (N-2)

REGISTER_HEADER = ["code", "procedure_code", "procedure_name", "agency_id", "applicant_name", "channel",
                   "channel_code", "received_at", "due_at", "completed_at", "status", "status_code", "timeliness",
                   "reappointed", "timeliness_reappointed"]


def _code(enum: Any, value: str) -> int | None:
    try:
        return enum(value).national_code
    except ValueError:
        return None


def register_records(register: Register, tz: tzinfo) -> list[dict[str, Any]]:
    out = []
    for r in register.rows:
        entry = register.names.get(r.procedure_code)
        out.append({
            "code": r.code, "procedure_code": r.procedure_code, "procedure_name": entry.name if entry else None,
            "agency_id": r.agency_id, "applicant_name": r.applicant_name, "channel": r.channel,
            "channel_code": _code(Channel, r.channel), "received_at": _t(r.received_at, tz),
            "due_at": _t(r.due_at, tz), "completed_at": _t(r.completed_at, tz), "status": r.status,
            "status_code": _code(DossierStatus, r.status), "timeliness": r.timeliness,
            "reappointed": r.reappointed, "timeliness_reappointed": r.timeliness_reappointed,
        })
    return out


def register_csv(register: Register, tz: tzinfo) -> str:
    return to_csv(REGISTER_HEADER, ([rec[h] for h in REGISTER_HEADER] for rec in register_records(register, tz)))


def register_json(register: Register, tz: tzinfo) -> dict[str, Any]:
    return {"period": register.period, "truncated": register.truncated, "rows": register_records(register, tz)}
