"""`motcua calendar …`: working-time arithmetic for operators and analysts."""
from __future__ import annotations

import argparse

from engine.calendar import WorkingCalendar

from .common import instant


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r}: hours must be a finite number >= 0")
    return value


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: days must be >= 0")
    return value


def _year(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a year") from None
    if not 1900 <= value <= 2400:
        raise argparse.ArgumentTypeError(f"{text!r}: year must be between 1900 and 2400")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calendar", help="working-time calendar (deadlines in working hours)")
    p.add_argument("--file", help="calendar file (default: $MOTCUA_CALENDAR or config/calendar.toml)")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True

    c = cmds.add_parser("add-hours", help="the instant N working hours after a start")
    c.add_argument("start", type=instant)
    c.add_argument("hours", type=_hours)
    c.set_defaults(func=lambda a: print(_cal(a).add_working_hours(a.start, a.hours).isoformat()))

    c = cmds.add_parser("add-days", help="the same position in the working day, N working days later")
    c.add_argument("start", type=instant)
    c.add_argument("days", type=_days)
    c.set_defaults(func=lambda a: print(_cal(a).add_working_days(a.start, a.days).isoformat()))

    c = cmds.add_parser("next", help="the start of the next working time (the instant itself if working)")
    c.add_argument("start", type=instant)
    c.set_defaults(func=lambda a: print(_cal(a).next_working_time(a.start).isoformat()))

    c = cmds.add_parser("between", help="working hours between two instants")
    c.add_argument("a", type=instant)
    c.add_argument("b", type=instant)
    c.set_defaults(func=lambda a: print(_format_hours(_cal(a).working_hours_between(a.a, a.b))))

    c = cmds.add_parser("show", help="table of the days off (and worked weekend days) of a year")
    c.add_argument("year", type=_year)
    c.set_defaults(func=_show)


def _cal(args: argparse.Namespace) -> WorkingCalendar:
    return WorkingCalendar.load(args.file)


def _format_hours(hours: float) -> str:
    return f"{hours:.4f}".rstrip("0").rstrip(".")


def _show(args: argparse.Namespace) -> None:
    cal = _cal(args)
    rows = [(d.day, "off", d.kind, d.reason) for d in cal.non_working_days(args.year)]
    rows += [(d.day, "worked", "make-up", d.reason) for d in cal.make_up_days(args.year)]
    rows.sort()
    print(f"{'date':<10}  {'day':<3}  {'status':<6}  {'kind':<9}  reason")
    for day, status, kind, reason in rows:
        print(f"{day.isoformat():<10}  {day.strftime('%a'):<3}  {status:<6}  {kind:<9}  {reason}")
    off = sum(1 for r in rows if r[1] == "off")
    print(f"{args.year}: {off} days off, {len(rows) - off} worked weekend days")
