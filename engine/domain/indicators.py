"""Decision 766/QĐ-TTg indicators (N-9) that the stored data supports, each with its formula and source.

N-9 groups (100 points): transparency 18, progress and results 20 (on-time rate, average time),
digitisation 22 (e-results, digitised dossiers, reuse), online service 22 (share online, online
payment), satisfaction 18 (complaints handled on time, ratings, 100% − (late rate + share with
complaints)). An indicator whose figures were not given (None in Figures) has no value and says
why; it never prints a number. Payments and result returns are read from the dossier's fee
(paid_at, method) and return_channel/returned_at (issue 9); ratings from dossier_ratings (R-7.3)
and complaints from feedback cases linked to a dossier (R-7.2) (issue 10).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .ontime import OnTimeCounts

NOT_RECORDED = "not recorded: the system does not store the data of this indicator"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str  # Vietnamese name used in the province's reports
    group: str  # N-9 group
    unit: str  # "%" or "days"
    higher_is_better: bool
    formula: str
    source: str


GROUPS = {"transparency": 18, "progress": 20, "digitisation": 22, "online": 22, "satisfaction": 18}

INDICATORS: tuple[Indicator, ...] = (
    Indicator("on_time_rate", "Tỷ lệ hồ sơ giải quyết trước và đúng hạn", "progress", "%", True,
              "100 × (early + on_time) / (early + on_time + late), dossiers finished in the period with a stored class",
              "N-9 progress and results; N-7 (Circular 01/2018 Art. 13)"),
    Indicator("average_handling_days", "Thời gian giải quyết trung bình", "progress", "days", False,
              "mean of (completed_at − received_at) in days of 24 h over dossiers finished in the period with a class",
              "N-9 progress and results (average time)"),
    Indicator("online_share", "Tỷ lệ hồ sơ tiếp nhận trực tuyến", "online", "%", True,
              "100 × dossiers received through the online channel / dossiers received in the period",
              "N-9 online service; R-2.1, N-8 channel 2"),
    Indicator("online_payment_share", "Tỷ lệ thanh toán trực tuyến", "online", "%", True,
              "100 × dossiers whose fees were paid online / dossiers with fees paid in the period",
              "N-9 online service; R-6.2"),
    Indicator("electronic_result_share", "Tỷ lệ trả kết quả điện tử", "digitisation", "%", True,
              "100 × dossiers whose result was returned electronically / results returned in the period",
              "N-9 digitisation; R-6.1"),
    Indicator("complaint_share", "Tỷ lệ hồ sơ có phản ánh, kiến nghị", "satisfaction", "%", False,
              "100 × dossiers received in the period with at least one feedback case (phản ánh, kiến nghị) "
              "linked to them, received before the as-of instant / dossiers received in the period",
              "N-9 satisfaction; R-7.2"),
    Indicator("satisfaction", "Mức độ hài lòng", "satisfaction", "%", True,
              "100 × \"satisfied\" ratings / ratings given in the period (by the rated dossier's agency)",
              "N-9 satisfaction; R-7.3"),
    Indicator("composite", "100% − (tỷ lệ trễ hạn + tỷ lệ có phản ánh)", "satisfaction", "%", True,
              "100 − (100 × late / (early + on_time + late) + complaint_share)",
              "N-9 satisfaction: 100% − (late rate + share with complaints)"),
)
BY_CODE = {i.code: i for i in INDICATORS}


@dataclass(frozen=True)
class Figures:
    """What the indicators of one agency and period are computed from; None: not recorded (yet)."""

    counts: OnTimeCounts
    received_online: int = 0
    handling_days_total: float = 0.0  # sum over the finished dossiers with a class
    paid: int | None = None
    paid_online: int | None = None
    results_returned: int | None = None
    results_electronic: int | None = None
    with_complaints: int | None = None
    ratings: int | None = None
    ratings_satisfied: int | None = None


@dataclass(frozen=True)
class Value:
    code: str
    value: float | None  # None: cannot be computed, `note` says why
    numerator: float | None = None
    denominator: float | None = None
    note: str | None = None


def paid_in(fee: Any, start: datetime, end: datetime) -> str | None:
    """The method ("online", "desk") of a fee paid in [start, end), from a dossier's stored fee JSON
    (R-6.2); None when it was not paid then or cannot be read. A later refund (R-6.3) does not undo
    the payment: the channel was used."""
    if not isinstance(fee, dict) or not isinstance(fee.get("paid_at"), str):
        return None
    try:
        paid_at = datetime.fromisoformat(fee["paid_at"])
    except ValueError:
        return None
    if paid_at.tzinfo is None or not start <= paid_at < end:
        return None
    return str(fee.get("method") or "desk")


def _share(code: str, part: int | None, whole: int | None, empty: str) -> Value:
    if part is None or whole is None:
        return Value(code, None, note=NOT_RECORDED)
    if whole == 0:
        return Value(code, None, part, whole, note=empty)
    return Value(code, 100.0 * part / whole, part, whole)


def compute(f: Figures) -> dict[str, Value]:
    """Every indicator of INDICATORS for one agency and period, in that order."""
    c = f.counts
    no_finished = "no dossier finished with a class in the period"
    out = [
        _share("on_time_rate", c.early + c.on_time, c.classified, no_finished),
        (Value("average_handling_days", f.handling_days_total / c.classified, f.handling_days_total, c.classified)
         if c.classified else Value("average_handling_days", None, note=no_finished)),
        _share("online_share", f.received_online, c.received, "no dossier received in the period"),
        _share("online_payment_share", f.paid_online, f.paid, "no fee paid in the period"),
        _share("electronic_result_share", f.results_electronic, f.results_returned, "no result returned in the period"),
        _share("complaint_share", f.with_complaints, c.received, "no dossier received in the period"),
        _share("satisfaction", f.ratings_satisfied, f.ratings, "no rating given in the period"),
    ]
    by = {v.code: v for v in out}
    complaints = by["complaint_share"]
    if complaints.value is None:
        composite = Value("composite", None, note=complaints.note)
    elif c.late_rate is None:
        composite = Value("composite", None, note=no_finished)
    else:
        composite = Value("composite", 100.0 - (c.late_rate + complaints.value))
    by["composite"] = composite
    return {i.code: by[i.code] for i in INDICATORS}
