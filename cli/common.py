"""Helpers shared by command groups."""
from __future__ import annotations

import argparse
from datetime import datetime

from engine.bootstrap import Services, build
from engine.settings import Settings


def services(migrate: bool = True) -> Services:
    return build(Settings.from_env(), migrate=migrate)


def instant(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO date-time such as 2026-12-01T00:00+07:00") from None
    if t.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; write e.g. {text}+07:00")
    return t


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be at least 1")
    return value


def province_time(svc: Services, t: datetime) -> str:
    """An instant as a person in the province reads it: its zone's time with the offset (2026-11-26T09:00:00+07:00)."""
    return t.astimezone(svc.ctx.calendars.get().tz).isoformat(timespec="seconds")
