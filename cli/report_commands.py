"""`motcua reports ontime|indicators|ranking|register`: the statistics of R-5.4 / R-7.4 and the
dossier register (N-2) as CSV (UTF-8 with BOM) or JSON, on stdout or into a file.

The command line is the operator's: it sees every agency, like the control office.
"""
from __future__ import annotations

import argparse
import json
import sys

from engine.domain.access import Official
from engine.domain.roles import Role
from engine.services import report_export as export
from engine.services.reports import ReportQuery, load_points

from .common import positive_int, services

OPERATOR = Official("motcua-cli", "", frozenset({Role.CONTROL_OFFICE.value}), "operator (command line)")


def _csv_list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("reports", help="on-time statistics, Decision 766 indicators, ranking, dossier register")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True

    def common(c: argparse.ArgumentParser) -> None:
        c.add_argument("--period", required=True, help="2026, 2026-Q4, 2026-11 or 2026-11-01..2026-11-15")
        c.add_argument("--format", choices=("csv", "json"), default="csv")
        c.add_argument("--output", "-o", help="write to this file (default: stdout)")

    def filters(c: argparse.ArgumentParser) -> None:
        c.add_argument("--agency", action="append", help="agency id (repeat for several)")
        c.add_argument("--procedure", action="append", help="procedure code (repeat for several)")

    c = cmds.add_parser("ontime", help="early / on time / late, received, finished, open and open-and-late (N-7)")
    common(c)
    filters(c)
    c.add_argument("--field", action="append", help="procedure field (lĩnh vực), as in procedure.toml")
    c.add_argument("--by", type=_csv_list, default=["agency"],
                   help="comma-separated: period, agency, procedure, field (default: agency)")
    c.add_argument("--grain", choices=("month", "quarter", "year"), help="split the period (a trend)")
    c.add_argument("--steps", action="store_true", help="count steps by the agency that handled them")
    c.set_defaults(func=_ontime)

    c = cmds.add_parser("indicators", help="Decision 766 indicators per agency (N-9)")
    common(c)
    c.add_argument("--agency", action="append", help="agency id (repeat for several)")
    c.set_defaults(func=_indicators)

    c = cmds.add_parser("ranking", help="agencies ranked by the indicators (R-7.4)")
    common(c)
    c.add_argument("--points", help="TOML file with a [points] table (default: MOTCUA_RANKING_POINTS or built in)")
    c.set_defaults(func=_ranking)

    c = cmds.add_parser("register", help="the dossier register: dossiers received in the period (N-2)")
    common(c)
    filters(c)
    c.add_argument("--limit", type=positive_int, help="at most this many rows")
    c.set_defaults(func=_register)


def _emit(args: argparse.Namespace, csv_text: str, data: dict) -> None:
    text = csv_text if args.format == "csv" else json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)


def _ontime(args: argparse.Namespace) -> None:
    svc = services()
    try:
        query = ReportQuery.parse(args.period, args.by, args.grain, "steps" if args.steps else "dossiers",
                                  args.agency, args.procedure, args.field)
        report = svc.reports.on_time(OPERATOR, query)
        tz = svc.ctx.calendars().tz
    finally:
        svc.close()
    _emit(args, export.on_time_csv(report), export.on_time_json(report, tz))


def _indicators(args: argparse.Namespace) -> None:
    svc = services()
    try:
        report = svc.reports.indicators(OPERATOR, args.period, args.agency)
        tz = svc.ctx.calendars().tz
    finally:
        svc.close()
    _emit(args, export.indicators_csv(report), export.indicators_json(report, tz))


def _ranking(args: argparse.Namespace) -> None:
    svc = services()
    try:
        points = load_points(args.points) if args.points else None
        report = svc.reports.ranking(OPERATOR, args.period, points)
        tz = svc.ctx.calendars().tz
    finally:
        svc.close()
    _emit(args, export.ranking_csv(report), export.ranking_json(report, tz))


def _register(args: argparse.Namespace) -> None:
    svc = services()
    try:
        reg = svc.reports.register(OPERATOR, args.period, args.agency, args.procedure, args.limit)
        tz = svc.ctx.calendars().tz
    finally:
        svc.close()
    _emit(args, export.register_csv(reg, tz), export.register_json(reg, tz))
    if reg.truncated:
        print(f"motcua: only the first {args.limit} dossiers were written", file=sys.stderr)
