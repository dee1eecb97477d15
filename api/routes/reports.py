"""/api/reports: on-time statistics (N-7), Decision 766 indicators (N-9), ranking (R-7.4), the dossier
register (N-2), as JSON or CSV (UTF-8 with a byte-order mark). Rules and columns: docs/reports.md."""
from __future__ import annotations

from flask import Response

from engine.services import report_export as export
from engine.services.reports import ReportQuery

from ..access import current_user
from ..endpoints import Blueprint
from ..report_schemas import (
    CSV_RESPONSE,
    IndicatorQuerySchema,
    IndicatorReportSchema,
    OnTimeQuerySchema,
    OnTimeReportSchema,
    RankingQuerySchema,
    RankingReportSchema,
    RegisterQuerySchema,
    RegisterSchema,
    split,
)
from .common import services

bp = Blueprint("reports", __name__, url_prefix="/api/reports",
               description="Reports for the control office and agency heads: on-time statistics (N-7), "
                           "Decision 766 indicators (N-9), ranking (R-7.4), dossier register (N-2)")


def _tz():
    return services().ctx.calendars().tz


def _csv(text: str, name: str) -> Response:
    return Response(text.encode("utf-8"), mimetype="text/csv", content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _on_time(query: dict):
    q = ReportQuery.parse(query["period"], split(query.get("by")) or [], query.get("grain"), query["subject"],
                          split(query.get("agency")), split(query.get("procedure")), split(query.get("field")))
    return services().reports.on_time(current_user(), q)


def _indicators(query: dict):
    return services().reports.indicators(current_user(), query["period"], split(query.get("agency")))


def _register(query: dict):
    return services().reports.register(current_user(), query["period"], split(query.get("agency")),
                                       split(query.get("procedure")), query["limit"])


@bp.get("/ontime")
@bp.arguments(OnTimeQuerySchema, location="query")
@bp.response(200, OnTimeReportSchema)
def on_time(query: dict) -> object:
    """Early / on time / late per agency, procedure, field and period (N-7)

    Counted from the class stored when each dossier or step ended; open and open-and-late as of the
    period's end, or now for a period still running (docs/reports.md). Control office: every agency;
    an agency head: their own (another: 403); other officials: 403."""
    return export.on_time_json(_on_time(query), _tz())


@bp.get("/ontime.csv")
@bp.arguments(OnTimeQuerySchema, location="query")
@bp.doc(responses={"200": CSV_RESPONSE})
def on_time_csv(query: dict) -> Response:
    """The on-time report as CSV (UTF-8 with BOM)

    Same query and rules as GET /api/reports/ontime; the last row is the total."""
    report = _on_time(query)
    return _csv(export.on_time_csv(report), f"ontime-{report.period}.csv")


@bp.get("/indicators")
@bp.arguments(IndicatorQuerySchema, location="query")
@bp.response(200, IndicatorReportSchema)
def indicators(query: dict) -> object:
    """Decision 766 indicators per agency (N-9)

    Each indicator with its formula and source; one the data cannot support yet has a null value and
    a note saying why."""
    return export.indicators_json(_indicators(query), _tz())


@bp.get("/indicators.csv")
@bp.arguments(IndicatorQuerySchema, location="query")
@bp.doc(responses={"200": CSV_RESPONSE})
def indicators_csv(query: dict) -> Response:
    """The indicators as CSV (UTF-8 with BOM)"""
    report = _indicators(query)
    return _csv(export.indicators_csv(report), f"indicators-{report.period}.csv")


@bp.get("/ranking")
@bp.arguments(RankingQuerySchema, location="query")
@bp.response(200, RankingReportSchema)
def ranking(query: dict) -> object:
    """Agencies ranked by the indicators (R-7.4)

    With the points of each indicator (MOTCUA_RANKING_POINTS) and the figures behind each rank. The
    ranking is published: the control office and every agency head see all agencies."""
    return export.ranking_json(services().reports.ranking(current_user(), query["period"]), _tz())


@bp.get("/ranking.csv")
@bp.arguments(RankingQuerySchema, location="query")
@bp.doc(responses={"200": CSV_RESPONSE})
def ranking_csv(query: dict) -> Response:
    """The ranking as CSV (UTF-8 with BOM)"""
    report = services().reports.ranking(current_user(), query["period"])
    return _csv(export.ranking_csv(report), f"ranking-{report.period}.csv")


@bp.get("/register")
@bp.arguments(RegisterQuerySchema, location="query")
@bp.response(200, RegisterSchema)
def register(query: dict) -> object:
    """The dossier register: dossiers received in the period (N-2)

    At most `limit` rows, oldest first; `truncated` says when there were more."""
    return export.register_json(_register(query), _tz())


@bp.get("/register.csv")
@bp.arguments(RegisterQuerySchema, location="query")
@bp.doc(responses={"200": CSV_RESPONSE})
def register_csv(query: dict) -> Response:
    """The dossier register as CSV (UTF-8 with BOM)"""
    reg = _register(query)
    return _csv(export.register_csv(reg, _tz()), f"register-{reg.period}.csv")
