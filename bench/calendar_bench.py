"""Benchmark: working-hour arithmetic of our calendar against the `businesstimedelta` package.

What it measures
    Operations per second of "the instant `hours` of working time after `start`":
    ``WorkingCalendar.add_working_hours(start, hours)`` (ours) versus
    ``start + BusinessTimeDelta(rule, hours=hours)`` (businesstimedelta), on the same random
    cases, in the same process. Rounds alternate between the two implementations so machine
    noise hits both; the best round of each counts.

How businesstimedelta is configured
    The same calendar as config/calendar.toml: one WorkDayRule per working period (07:00-11:30
    and 13:30-17:00, Monday to Friday) and a HolidayRule with the days our calendar reports as
    "holiday" or "announced" and that fall on a working weekday, 2024-2029. It has no notion of
    a worked weekend day (make-up Saturday), so by default its rules also work Saturdays and
    every Saturday that is not a make-up day is added to the HolidayRule: the same calendar,
    expressed with its API. ``--literal`` leaves make-up days out instead (its plain setup, about
    3x slower because its holiday search steps day by day) and counts the disagreements they
    cause separately.

    businesstimedelta localizes naive datetimes as UTC and its rules default to UTC, so feeding
    it naive Asia/Ho_Chi_Minh wall time makes it compute in local wall time (Vietnam has no DST).

Agreement
    Results are compared as local wall-clock times. A difference is "equivalent" when no
    working time lies between the two answers (e.g. 17:00 versus 07:00 the next working day),
    "rounding" when under a millisecond of working time, "make-up day" when a make-up day lies
    in the range (expected with ``--literal``), else "real".

Usage
    .venv/bin/python bench/calendar_bench.py [--quick] [--seed N] [--literal]

The last line printed is ``ratio=<ours ops/s / businesstimedelta ops/s>``.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from importlib.metadata import version
from pathlib import Path
from typing import Callable, Sequence

import businesstimedelta as btd

# Let `python bench/calendar_bench.py` import the engine from this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.calendar import WorkingCalendar  # noqa: E402

HOLIDAY_YEARS = range(2024, 2030)  # covers every case: starts end 2028-12-31, +13 working days
CASES_FROM = datetime(2025, 1, 1)
CASES_TO = datetime(2028, 12, 31, 23, 59)
MAX_MINUTES = 13 * 8 * 60  # 13 working days of 8 hours
ROUNDS = 3

_ROUNDING_HOURS = 0.001 / 3600  # a millisecond: hours are floats, both sides round to µs

# From least to most serious; the example printed is taken from the most serious class seen.
KINDS = ("equivalent", "rounding", "make-up day", "real")


@dataclass(frozen=True)
class Case:
    start: datetime  # naive local wall time, Asia/Ho_Chi_Minh
    hours: float


@dataclass(frozen=True)
class Disagreement:
    case: Case
    ours: datetime  # naive local wall time
    theirs: datetime  # naive local wall time
    kind: str


def make_cases(n: int, seed: int) -> list[Case]:
    """Starts uniform over the range at minute resolution; durations of 1 min .. 13 days."""
    rng = random.Random(seed)
    minutes = int((CASES_TO - CASES_FROM).total_seconds() // 60)
    return [
        Case(
            CASES_FROM + timedelta(minutes=rng.randint(0, minutes)),
            rng.randint(1, MAX_MINUTES) / 60,
        )
        for _ in range(n)
    ]


def _clock(us: int) -> clock:
    """A time of day from microseconds since midnight (the calendar's Period unit)."""
    return (datetime.min + timedelta(microseconds=us)).time()


def build_rule(cal: WorkingCalendar, emulate_make_up: bool) -> tuple[btd.Rules, str]:
    """businesstimedelta rules equivalent to `cal`, and a one-line description of them."""
    week = cal.config.week
    worked = [p for p in week if p]
    # A WorkDayRule has one (start, end) for all its weekdays: require one set of weekly hours.
    if cal.config.schedules or not worked or any(p != worked[0] for p in worked):
        raise SystemExit("the benchmark needs the same hours on every working weekday")
    working_days = [wd for wd, p in enumerate(week) if p]

    off = {
        d.day
        for year in HOLIDAY_YEARS
        for d in cal.non_working_days(year)
        if d.kind in ("holiday", "announced") and d.day.weekday() in working_days
    }
    make_up = {d.day for year in HOLIDAY_YEARS for d in cal.make_up_days(year)}
    note = f"{len(off)} weekday holidays {HOLIDAY_YEARS[0]}-{HOLIDAY_YEARS[-1]}"
    if emulate_make_up and make_up:
        # Work every weekday that has a make-up day, then take back the ones that are not.
        extra = sorted({d.weekday() for d in make_up} - set(working_days))
        working_days += extra
        first, last = date(HOLIDAY_YEARS[0], 1, 1), date(HOLIDAY_YEARS[-1], 12, 31)
        days = (first + timedelta(n) for n in range((last - first).days + 1))
        off |= {d for d in days if d.weekday() in extra and d not in make_up}
        note += f", {len(make_up)} make-up days emulated"
    else:
        note += f", {len(make_up)} make-up days NOT expressed (no per-date working day)"

    rules: list[btd.Rule] = [
        btd.WorkDayRule(start_time=_clock(s), end_time=_clock(e), working_days=working_days)
        for s, e in worked[0]
    ]
    # A set, not a list: HolidayRule tests `day in holidays` for every day it walks forward.
    rules.append(btd.HolidayRule(frozenset(off)))
    return btd.Rules(rules), note


def run_ours(cal: WorkingCalendar, cases: Sequence[tuple[datetime, float]]) -> list[datetime]:
    add = cal.add_working_hours
    return [add(t, h) for t, h in cases]


def run_theirs(rule: btd.Rules, cases: Sequence[tuple[datetime, float]]) -> list[datetime]:
    delta = btd.BusinessTimeDelta
    return [t + delta(rule, hours=h) for t, h in cases]


def ops_per_sec(fn: Callable[[], object], n: int) -> float:
    """One timed pass; the collector is off so a collection does not land in one side only."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - t0
    finally:
        gc.enable()
    return n / elapsed


def classify(
    cal: WorkingCalendar, case: Case, ours: datetime, theirs: datetime, make_up: set[date]
) -> str | None:
    """None when the answers are the same wall-clock time, else the kind of difference."""
    if ours == theirs:
        return None
    gap = cal.working_hours_between(ours.replace(tzinfo=cal.tz), theirs.replace(tzinfo=cal.tz))
    if gap == 0:
        return "equivalent"
    if abs(gap) < _ROUNDING_HOURS:
        return "rounding"
    if any(case.start.date() <= d <= max(ours, theirs).date() for d in make_up):
        return "make-up day"
    return "real"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few cases, for a smoke test")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--cases", type=int, help="cases for ours (default 20000, quick 2000)")
    parser.add_argument(
        "--btd-cases", type=int, help="cases for businesstimedelta (default 5000, quick 1000)"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed rounds, best counts")
    parser.add_argument(
        "--literal",
        action="store_true",
        help="configure businesstimedelta without make-up Saturdays (its plain Monday-Friday setup)",
    )
    args = parser.parse_args(argv)
    n = args.cases or (2000 if args.quick else 20000)
    m = min(n, args.btd_cases or (1000 if args.quick else 5000))

    cal = WorkingCalendar.load()
    rule, note = build_rule(cal, emulate_make_up=not args.literal)
    make_up = {d.day for year in HOLIDAY_YEARS for d in cal.make_up_days(year)}

    cases = make_cases(n, args.seed)
    ours_in = [(c.start.replace(tzinfo=cal.tz), c.hours) for c in cases]
    theirs_in = [(c.start, c.hours) for c in cases[:m]]  # a prefix: same distribution

    # Untimed pass: the answers to compare, and a warm-up (ours builds its year tables lazily).
    ours_out = [t.replace(tzinfo=None) for t in run_ours(cal, ours_in)]
    theirs_out = [t.replace(tzinfo=None) for t in run_theirs(rule, theirs_in)]

    best_ours = best_theirs = 0.0
    for _ in range(args.rounds):  # alternate so drift and noise affect both sides
        best_ours = max(best_ours, ops_per_sec(lambda: run_ours(cal, ours_in), n))
        best_theirs = max(best_theirs, ops_per_sec(lambda: run_theirs(rule, theirs_in), m))
    ratio = best_ours / best_theirs

    found: list[Disagreement] = []
    for case, ours, theirs in zip(cases, ours_out, theirs_out):
        kind = classify(cal, case, ours, theirs, make_up)
        if kind is not None:
            found.append(Disagreement(case, ours, theirs, kind))
    counts = {k: sum(d.kind == k for d in found) for k in KINDS}

    print(
        f"calendar {cal.config.source}; businesstimedelta {version('businesstimedelta')}: {note}"
    )
    print(f"seed {args.seed}, best of {args.rounds} interleaved rounds")
    print(f"ours               {best_ours:12,.0f} ops/s  {1e6 / best_ours:9.1f} µs/op  ({n} cases)")
    print(
        f"businesstimedelta  {best_theirs:12,.0f} ops/s  {1e6 / best_theirs:9.1f} µs/op  ({m} cases)"
    )
    print(f"ours / businesstimedelta = {ratio:.1f}x")
    print(
        f"disagreements on {m} cases: {len(found)} "
        f"({', '.join(f'{k} {counts[k]}' for k in KINDS)})"
    )
    if found:
        worst = max(found, key=lambda d: KINDS.index(d.kind))
        print(
            f"example ({worst.kind}): start {worst.case.start:%Y-%m-%d %a %H:%M} "
            f"+ {worst.case.hours:g} h ({round(worst.case.hours * 60)} min) -> "
            f"ours {worst.ours:%Y-%m-%d %a %H:%M:%S.%f}, "
            f"theirs {worst.theirs:%Y-%m-%d %a %H:%M:%S.%f}"
        )
    print(f"ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
