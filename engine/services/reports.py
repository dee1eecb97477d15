"""Reports read model (R-5.4, R-7.4, N-2, N-7, N-9): on-time counts, indicators, ranking, register.

Everything is counted from what was stored when a dossier or step ended (engine/domain/ontime.py
has the rules); the queries are in engine/persistence/report_queries.py.

Who sees what: the control office and administrators every agency; an agency head their own
agency (asking for another is Forbidden). The ranking is published (R-7.4): both see every
agency in it. Other officials get Forbidden.
"""
from __future__ import annotations

import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from engine.domain.access import Official
from engine.domain.indicators import INDICATORS, Figures, Indicator, Value, compute, paid_in
from engine.domain.ontime import OnTimeCounts, Window, paused_at
from engine.domain.periods import GRAINS, Period, PeriodError, parse_period
from engine.domain.ranking import DEFAULT_POINTS, PointsError, Ranked, check_points, rank
from engine.domain.roles import Role
from engine.persistence.report_queries import CatalogueEntry, GroupCounts, RegisterRow

from .context import EngineContext
from .errors import Forbidden, InvalidInput

DIMENSIONS = ("period", "agency", "procedure", "field")
SUBJECTS = ("dossiers", "steps")


@dataclass(frozen=True)
class ReportQuery:
    """What to count. `grain` splits the period (month / quarter / year: a trend); `group_by` is any
    of DIMENSIONS ("period" is implied by a grain). Filters combine (AND); None means all."""

    period: Period
    group_by: tuple[str, ...] = ("agency",)
    grain: str | None = None
    subject: str = "dossiers"
    agencies: tuple[str, ...] | None = None
    procedures: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None

    @classmethod
    def parse(cls, period: str, group_by: Iterable[str] = ("agency",), grain: str | None = None,
              subject: str = "dossiers", agencies: Iterable[str] | None = None,
              procedures: Iterable[str] | None = None, fields: Iterable[str] | None = None) -> "ReportQuery":
        """From plain values (CLI, API); InvalidInput names the field at fault."""
        try:
            p = parse_period(period)
        except PeriodError as err:
            raise InvalidInput(str(err), [("period", str(err))]) from None
        group_by = tuple(dict.fromkeys(g for g in group_by if g))
        unknown = [g for g in group_by if g not in DIMENSIONS]
        if unknown:
            raise InvalidInput(f"cannot group by {', '.join(unknown)}",
                               [("group_by", f"{', '.join(unknown)}: use {', '.join(DIMENSIONS)}")])
        if grain is not None and grain not in GRAINS:
            raise InvalidInput(f"unknown grain {grain!r}", [("grain", f"use one of {', '.join(GRAINS)}")])
        if subject not in SUBJECTS:
            raise InvalidInput(f"unknown subject {subject!r}", [("subject", f"use one of {', '.join(SUBJECTS)}")])
        if grain is not None and "period" not in group_by:
            group_by = ("period", *group_by)

        def opt(values: Iterable[str] | None) -> tuple[str, ...] | None:
            return None if values is None else tuple(dict.fromkeys(values))
        return cls(p, group_by, grain, subject, opt(agencies), opt(procedures), opt(fields))


@dataclass(frozen=True)
class OnTimeRow:
    period: str | None
    agency_id: str | None
    agency_name: str | None
    procedure_code: str | None
    procedure_name: str | None
    field: str | None
    counts: OnTimeCounts


@dataclass(frozen=True)
class OnTimeReport:
    subject: str
    period: str
    start: datetime
    end: datetime
    as_of: datetime  # open and open-and-late are counted as of this instant
    group_by: tuple[str, ...]
    rows: list[OnTimeRow]
    total: OnTimeCounts


@dataclass(frozen=True)
class AgencyIndicators:
    agency_id: str | None  # None: the whole province (or the scope asked for)
    agency_name: str | None
    counts: OnTimeCounts
    values: dict[str, Value]


@dataclass(frozen=True)
class IndicatorReport:
    period: str
    as_of: datetime
    indicators: tuple[Indicator, ...]
    rows: list[AgencyIndicators]
    total: AgencyIndicators


@dataclass(frozen=True)
class RankingRow:
    ranked: Ranked
    agency_name: str | None
    values: dict[str, Value]


@dataclass(frozen=True)
class RankingReport:
    period: str
    as_of: datetime
    points: dict[str, float]
    rows: list[RankingRow]


@dataclass(frozen=True)
class Register:
    period: str
    rows: list[RegisterRow]
    truncated: bool = False
    names: dict[str, CatalogueEntry] = field(default_factory=dict)


def load_points(path: str | Path) -> dict[str, float]:
    """Points per indicator from a TOML file with a ``[points]`` table (docs/operations.md);
    InvalidInput naming the indicator when they break a rule of engine/domain/ranking.py."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InvalidInput(f"cannot read ranking points from {path}: {err}", [("points", str(err))]) from None
    points = data.get("points")
    if not isinstance(points, dict):
        raise InvalidInput(f"{path} has no [points] table", [("points", "missing [points] table")])
    return checked_points(points)


def checked_points(points: Mapping[str, Any]) -> dict[str, float]:
    try:
        return check_points(points)
    except PointsError as err:
        raise InvalidInput(str(err), [("points", str(err))]) from None


class ReportService:
    def __init__(self, ctx: EngineContext, points: Mapping[str, float] | None = None):
        self.ctx = ctx
        self.points = dict(points) if points is not None else dict(DEFAULT_POINTS)

    # ------------------------------------------------------------ who sees what

    @staticmethod
    def scope(user: Official, agencies: Sequence[str] | None) -> tuple[str, ...] | None:
        """The agencies `user` may count, given the ones asked for (None: all they may see)."""
        if user.oversees:
            return None if agencies is None else tuple(agencies)
        if user.has(Role.AGENCY_HEAD):
            if agencies is None:
                return (user.agency_id,)
            others = sorted(set(agencies) - {user.agency_id})
            if others:
                raise Forbidden(f"an agency head sees the reports of {user.agency_id} only, not {', '.join(others)}")
            return tuple(agencies)
        raise Forbidden("reports are for the control office and agency heads (R-7.4, R-8.3)")

    @staticmethod
    def check_ranking(user: Official) -> None:
        if not (user.oversees or user.has(Role.AGENCY_HEAD)):
            raise Forbidden("the ranking is for the control office and agency heads (R-7.4)")

    # ------------------------------------------------------------ on-time report (N-7)

    def on_time(self, user: Official, query: ReportQuery) -> OnTimeReport:
        agencies = self.scope(user, query.agencies)
        tz, now = self.ctx.calendars().tz, self.ctx.clock.now()
        periods = query.period.split(query.grain) if query.grain else [query.period]
        acc: dict[tuple, OnTimeCounts] = defaultdict(OnTimeCounts)
        with self.ctx.uow(write=False) as uow:
            catalogue = uow.reports.catalogue()
            procedures = self._procedures(catalogue, query)
            for p in periods:
                window = Window.of(*p.bounds(tz), now)
                for g, counts in self._groups(uow, query.subject, window, agencies, procedures, now):
                    acc[self._key(query.group_by, p, g, catalogue)] += counts
        start, end = query.period.bounds(tz)
        rows = [self._row(query.group_by, key, counts, catalogue) for key, counts in sorted(acc.items(), key=_order)
                if counts != OnTimeCounts()]
        return OnTimeReport(query.subject, query.period.label, start, end, Window.of(start, end, now).as_of,
                            query.group_by, rows, OnTimeCounts.sum(r.counts for r in rows))

    def _groups(self, uow: Any, subject: str, w: Window, agencies: Sequence[str] | None,
                procedures: Sequence[str] | None, now: datetime,
                for_indicators: bool = False) -> list[tuple[GroupCounts, OnTimeCounts]]:
        if subject == "steps":
            groups = uow.reports.step_counts(w.start, w.end, w.as_of, agencies, procedures)
            return [(g, _counts(g, g.open_late)) for g in groups]
        groups = uow.reports.dossier_counts(w.start, w.end, w.as_of, agencies, procedures, for_indicators)
        paused: dict[tuple[str, str], int] = defaultdict(int)
        # N-4: a dossier past due whose clock stood still at the as-of instant is not late.
        if any(g.pause_candidates for g in groups):
            for d in uow.reports.pause_states(w.as_of, agencies, procedures):
                if paused_at(d.paused_since, d.due_basis, w.as_of):
                    paused[(d.agency_id, d.procedure_code)] += 1
        return [(g, _counts(g, g.open_late - paused[(g.agency_id, g.procedure_code)])) for g in groups]

    @staticmethod
    def _procedures(catalogue: Mapping[str, CatalogueEntry], query: ReportQuery) -> tuple[str, ...] | None:
        procedures = query.procedures
        if query.fields is not None:
            in_fields = tuple(c for c, e in catalogue.items() if e.field in query.fields)
            procedures = in_fields if procedures is None else tuple(c for c in procedures if c in in_fields)
        return procedures

    @staticmethod
    def _key(group_by: tuple[str, ...], p: Period, g: GroupCounts,
             catalogue: Mapping[str, CatalogueEntry]) -> tuple:
        entry = catalogue.get(g.procedure_code)
        values = {"period": (p.first, p.label), "agency": g.agency_id, "procedure": g.procedure_code,
                  "field": entry.field if entry else ""}
        return tuple(values[d] if d in group_by else None for d in DIMENSIONS)

    @staticmethod
    def _row(group_by: tuple[str, ...], key: tuple, counts: OnTimeCounts,
             catalogue: Mapping[str, CatalogueEntry]) -> OnTimeRow:
        period, agency, procedure, field_ = key
        entry = catalogue.get(procedure) if procedure else None
        return OnTimeRow(period[1] if period else None, agency, _agency_name(catalogue, agency) if agency else None,
                         procedure, entry.name if entry else None, field_, counts)

    # ------------------------------------------------------------ indicators (N-9) and ranking

    def indicators(self, user: Official, period: str, agencies: Sequence[str] | None = None) -> IndicatorReport:
        scope = self.scope(user, agencies)
        return self._indicators(ReportQuery.parse(period, agencies=scope))

    def _indicators(self, query: ReportQuery) -> IndicatorReport:
        tz, now = self.ctx.calendars().tz, self.ctx.clock.now()
        window = Window.of(*query.period.bounds(tz), now)
        by_agency: dict[str, list[tuple[GroupCounts, OnTimeCounts]]] = defaultdict(list)
        paid: dict[str, list[str]] = defaultdict(list)  # agency -> methods of fees paid in the period
        with self.ctx.uow(write=False) as uow:
            catalogue = uow.reports.catalogue()
            for g, counts in self._groups(uow, "dossiers", window, query.agencies, None, now, for_indicators=True):
                by_agency[g.agency_id].append((g, counts))
            returns = uow.reports.returns(window.start, window.end, query.agencies)
            for agency, fee in uow.reports.fees(window.start, window.end, query.agencies):
                if (method := paid_in(fee, window.start, window.end)) is not None:
                    paid[agency].append(method)
            ratings = uow.reports.ratings(window.start, window.end, query.agencies)
            complaints = uow.reports.with_complaints(window.start, window.end, window.as_of, query.agencies)
        agencies = sorted(set(by_agency) | set(returns) | set(paid) | set(ratings) | set(complaints))
        rows = [self._agency_indicators(a, _agency_name(catalogue, a), by_agency[a], [returns.get(a, (0, 0))],
                                        paid[a], [ratings.get(a, (0, 0))], complaints.get(a, 0)) for a in agencies]
        total = self._agency_indicators(None, None, [gc for a in agencies for gc in by_agency[a]],
                                        list(returns.values()), [m for a in agencies for m in paid[a]],
                                        list(ratings.values()), sum(complaints.values()))
        return IndicatorReport(query.period.label, window.as_of, INDICATORS, rows, total)

    @staticmethod
    def _agency_indicators(agency: str | None, name: str | None, groups: list[tuple[GroupCounts, OnTimeCounts]],
                           returns: list[tuple[int, int]], paid: list[str], ratings: list[tuple[int, int]],
                           with_complaints: int) -> AgencyIndicators:
        """`ratings`: (given, satisfied) per agency; `with_complaints`: dossiers received with feedback."""
        counts = OnTimeCounts.sum(c for _, c in groups)
        figures = Figures(counts, received_online=sum(g.received_online for g, _ in groups),
                          handling_days_total=sum(g.handling_seconds for g, _ in groups) / 86400.0,
                          paid=len(paid), paid_online=sum(m == "online" for m in paid),
                          results_returned=sum(r for r, _ in returns), results_electronic=sum(o for _, o in returns),
                          with_complaints=with_complaints, ratings=sum(n for n, _ in ratings),
                          ratings_satisfied=sum(s for _, s in ratings))
        return AgencyIndicators(agency, name, counts, compute(figures))

    def ranking(self, user: Official, period: str, points: Mapping[str, Any] | None = None) -> RankingReport:
        self.check_ranking(user)
        pts = checked_points(points) if points is not None else self.points
        report = self._indicators(ReportQuery.parse(period))
        ranked = rank({r.agency_id: r.values for r in report.rows}, pts)
        by_agency = {r.agency_id: r for r in report.rows}
        return RankingReport(report.period, report.as_of, pts,
                             [RankingRow(r, by_agency[r.agency_id].agency_name, by_agency[r.agency_id].values)
                              for r in ranked])

    # ------------------------------------------------------------ dossier register (N-2)

    def register(self, user: Official, period: str, agencies: Sequence[str] | None = None,
                 procedures: Sequence[str] | None = None, limit: int | None = None) -> Register:
        """Dossiers received in the period, oldest first; `limit` rows at most (truncated says so)."""
        scope = self.scope(user, agencies)
        query = ReportQuery.parse(period, agencies=scope, procedures=procedures)
        start, end = query.period.bounds(self.ctx.calendars().tz)
        with self.ctx.uow(write=False) as uow:
            rows = uow.reports.register(start, end, query.agencies, query.procedures,
                                        None if limit is None else limit + 1)
            catalogue = uow.reports.catalogue()
        truncated = limit is not None and len(rows) > limit
        return Register(query.period.label, rows[:limit] if truncated else rows, truncated, catalogue)


def _counts(g: GroupCounts, open_late: int) -> OnTimeCounts:
    classified = g.early + g.on_time + g.late
    return OnTimeCounts(g.received, g.finished, g.early, g.on_time, g.late, g.finished - classified,
                        g.reappointed, g.reappointed_met, g.open, open_late)


def _agency_name(catalogue: Mapping[str, CatalogueEntry], agency: str | None) -> str | None:
    for entry in catalogue.values():
        if entry.agency_id == agency and entry.agency_name:
            return entry.agency_name
    return None


def _order(item: tuple[tuple, OnTimeCounts]) -> tuple:
    """Rows by period (its first day), agency, procedure, field; a dimension not grouped is None."""
    return tuple((0, "") if v is None else (1, v[0] if isinstance(v, tuple) else v) for v in item[0])
