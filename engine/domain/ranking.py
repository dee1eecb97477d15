"""Ranking of agencies by the Decision 766 indicators (R-7.4, N-9), with configurable points.

N-9 gives only the group weights (transparency 18, progress 20, digitisation 22, online 22,
satisfaction 18); the points of each indicator are configuration. DEFAULT_POINTS splits each
group's weight over the indicators this system can measure in it:

| group (weight) | indicator: points | why |
|---|---|---|
| progress (20) | on_time_rate 14, average_handling_days 6 | the on-time rate is what N-7 reports are about |
| online (22) | online_share 11, online_payment_share 11 | the two items N-9 names, halves |
| digitisation (22) | electronic_result_share 8 | 1/3 of 22, rounded up: digitised dossiers and reuse are not recorded |
| satisfaction (18) | satisfaction 9, composite 9 | complaints handled on time are not recorded |
| transparency (18) | — | publication of procedures is evaluated outside this system |

Score of an indicator: points × its fraction. A percentage whose higher value is better gives
value/100; the composite likewise (never below 0). `average_handling_days` (lower is better)
gives best/own, the best being the lowest average among the agencies ranked (1 for the best).
An indicator with no value for an agency (not recorded yet, or no dossier to measure) is left out
of that agency's available points: the rank is by score / available points, in percent, so an
agency is not ranked down for what the system cannot measure. Equal percentages share a rank
(1, 1, 3), listed by agency id.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from .indicators import BY_CODE, GROUPS, Value

DEFAULT_POINTS: dict[str, float] = {
    "on_time_rate": 14, "average_handling_days": 6,
    "online_share": 11, "online_payment_share": 11,
    "electronic_result_share": 8,
    "satisfaction": 9, "composite": 9,
}


class PointsError(ValueError):
    """Points that name an unknown indicator, are not a finite number >= 0, or exceed a group's weight."""


def check_points(points: Mapping[str, Any]) -> dict[str, float]:
    """The points per indicator, checked: known codes, finite numbers >= 0, each N-9 group's sum
    within its weight. Raises PointsError naming the indicator or the group."""
    out: dict[str, float] = {}
    for code, value in points.items():
        if code not in BY_CODE:
            raise PointsError(f"unknown indicator {code!r}; known: {', '.join(BY_CODE)}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise PointsError(f"points of {code} must be a number >= 0, got {value!r}")
        out[code] = float(value)
    for group, weight in GROUPS.items():
        total = sum(p for c, p in out.items() if BY_CODE[c].group == group)
        if total > weight + 1e-9:
            raise PointsError(f"the {group} group's points add up to {total:g}, more than its weight {weight} (N-9)")
    return out


@dataclass(frozen=True)
class Score:
    code: str
    points: float  # the indicator's points in the configuration
    fraction: float | None  # None: left out (no value)
    earned: float


@dataclass(frozen=True)
class Ranked:
    rank: int
    agency_id: str
    percent: float | None  # earned / available × 100; None when nothing could be measured
    earned: float
    available: float
    scores: tuple[Score, ...]


def rank(values: Mapping[str, Mapping[str, Value]], points: Mapping[str, float]) -> list[Ranked]:
    """Rank agencies: `values` maps agency id -> indicator code -> Value (indicators.compute)."""
    averages = [v["average_handling_days"].value for v in values.values()
                if "average_handling_days" in v and v["average_handling_days"].value is not None]
    best_avg = min(averages) if averages else None
    rows = []
    for agency, vals in values.items():
        scores = []
        for code, pts in points.items():
            val = vals.get(code)
            fraction = _fraction(code, val.value if val else None, best_avg)
            scores.append(Score(code, pts, fraction, pts * fraction if fraction is not None else 0.0))
        earned = sum(s.earned for s in scores)
        available = sum(s.points for s in scores if s.fraction is not None)
        percent = 100.0 * earned / available if available else None
        rows.append((agency, percent, earned, available, tuple(scores)))
    rows.sort(key=lambda r: (r[1] is None, -(r[1] or 0.0), r[0]))
    out: list[Ranked] = []
    for i, (agency, percent, earned, available, scores) in enumerate(rows):
        tie = out and out[-1].percent is not None and percent is not None and math.isclose(out[-1].percent, percent)
        out.append(Ranked(out[-1].rank if tie else i + 1, agency, percent, earned, available, scores))
    return out


def _fraction(code: str, value: float | None, best_avg: float | None) -> float | None:
    if value is None:
        return None
    if code == "average_handling_days":
        if best_avg is None:
            return None
        return 1.0 if value <= best_avg else best_avg / value
    if BY_CODE[code].higher_is_better:
        return min(max(value / 100.0, 0.0), 1.0)
    return min(max(1.0 - value / 100.0, 0.0), 1.0)  # a share whose lower value is better
