"""Helpers shared by command groups."""
from __future__ import annotations

import argparse
import getpass
import os
import uuid
from datetime import datetime

from engine.bootstrap import Services, build
from engine.domain.access import Official
from engine.domain.roles import Role
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


def setup_logging(settings: Settings, svc: Services | None = None) -> None:
    """JSON log lines (engine/logs.py) at $MOTCUA_LOG_LEVEL, times in the calendar's zone once known."""
    from engine import logs

    zone = svc.ctx.calendars.get().tz if svc is not None else logs.PROVINCE_ZONE
    logs.configure(settings.log_level, settings.log_format, zone)


def province_time(svc: Services, t: datetime) -> str:
    """An instant as a person in the province reads it: its zone's time with the offset (2026-11-26T09:00:00+07:00)."""
    return t.astimezone(svc.ctx.calendars.get().tz).isoformat(timespec="seconds")


def operator() -> Official:
    """Who acts from the command line: a system administrator named after the operating-system
    user (the shell account is the credential), as the audit records it (R-8.5)."""
    try:
        name = getpass.getuser()
    except (OSError, KeyError):  # no login name (e.g. a container without a passwd entry)
        name = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return Official(f"cli:{name}"[:128], "", frozenset({Role.ADMIN.value}), f"cli:{name}")


def request_id() -> str:
    """An id for one command's audit records (the API's are its requests' X-Request-Id)."""
    return f"cli-{uuid.uuid4().hex[:16]}"


def local_time(svc: Services, t: datetime | None) -> str:
    """An instant as a person reads it: in the province's zone, with its offset; '-' for none."""
    return "-" if t is None else province_time(svc, t)
