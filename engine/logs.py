"""Structured logs: one JSON object per line, with the context of the work being done.

Every log record (Motcua's own, SpiffWorkflow's, waitress', APScheduler's: all go through the
standard `logging` module) is rendered by structlog's `ProcessorFormatter` as JSON, e.g.

    {"time": "2026-11-26T09:00:00.123+07:00", "level": "info", "logger": "motcua.access",
     "event": "POST /api/tasks/<id>/complete 200", "request_id": "…", "user": "desk1",
     "dossier": "000.00.12.H15-261126-0001", "element": "receive", "status": 200, "duration_ms": 41.2}

Context comes from `contextvars` (structlog.contextvars): the API binds `request_id` and `user`
per request, the service and scheduler entry points bind `dossier` (its code) and `element` (the
BPMN element id) when they start working on one, so every line written meanwhile carries them.
Times are in the province's zone with their offset (a person reads them). SpiffWorkflow's
per-task chatter ("State changed to READY", an INFO line per task change) is demoted to DEBUG.
"""
from __future__ import annotations

import contextvars
import logging
import sys
from datetime import datetime, tzinfo
from typing import IO, Any, Callable, TypeVar
from zoneinfo import ZoneInfo

import structlog

PROVINCE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")  # the calendar's default zone (config/calendar.toml)
T = TypeVar("T")


def bind(**values: Any) -> None:
    """Add context to every line logged from here on in this request / task (None values skipped)."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in values.items() if v is not None})


def clear() -> None:
    """Start a fresh context (the API does this at the start of each request)."""
    structlog.contextvars.clear_contextvars()


def isolated(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run `fn` with a copy of the current context: what it binds does not outlive it (one
    dossier of a timer sweep must not lend its code to the next)."""
    return contextvars.copy_context().run(fn, *args, **kwargs)


def incident_recorded(logger: logging.Logger, incident_id: int | None, kind: str, element_id: str | None,
                      err: BaseException) -> None:
    """The ERROR line of a failure that became an incident: its id leads to `incidents` (operations.md)."""
    logger.error("incident %s (%s) at %s: %s", incident_id, kind, element_id or "(no element)", err,
                 extra={"incident": incident_id, "incident_kind": kind, "element": element_id})


class _ProvinceTime:
    def __init__(self, zone: tzinfo):
        self.zone = zone

    def __call__(self, _logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event["time"] = datetime.now(self.zone).isoformat(timespec="milliseconds")
        return event


class _SpiffChatterToDebug(logging.Filter):
    """SpiffWorkflow logs every task state change at INFO: that is debugging detail for us."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


# Attributes every LogRecord has; anything else came in through `extra=` and is kept as a field.
_RECORD_ATTRS = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_SPIFF_EXTRAS = {"task_spec": "element", "task_id": "task_id", "state": "state"}


def _extras(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    record: logging.LogRecord | None = event.get("_record")
    if record is None:
        return event
    spiff = record.name.startswith("spiff")
    for key, value in vars(record).items():
        if key in _RECORD_ATTRS or key.startswith("_"):
            continue
        if spiff:  # SpiffWorkflow passes its task's details; keep the few that help
            if key in _SPIFF_EXTRAS:
                event.setdefault(_SPIFF_EXTRAS[key], value if isinstance(value, (str, int, float)) else str(value))
            continue
        event[key] = value
    return event


def configure(level: str | int = "INFO", fmt: str = "json", zone: tzinfo = PROVINCE_ZONE,
              stream: IO[str] | None = None) -> logging.Handler:
    """Send every log record to `stream` (stderr) as JSON lines (`fmt="console"`: aligned text for
    a terminal). Replaces the root logger's handlers; returns the new handler."""
    level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {level!r} (DEBUG, INFO, WARNING, ERROR)")
    if fmt not in {"json", "console"}:
        raise ValueError(f"unknown log format {fmt!r} (json or console)")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        _ProvinceTime(zone),
        _extras,
    ]
    renderer = (structlog.processors.JSONRenderer(ensure_ascii=False, default=str) if fmt == "json"
                else structlog.dev.ConsoleRenderer(colors=False))
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    handler.setLevel(level)  # checked after logger filters: demoted Spiff lines stop here
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    spiff = logging.getLogger("spiff")
    chatty = [logging.getLogger(name) for name in ("spiff.task", "spiff.workflow")]
    for logger in chatty:
        logger.filters = [f for f in logger.filters if not isinstance(f, _SpiffChatterToDebug)]
    if level > logging.DEBUG:
        # Skip building ~one record per task change at all; SpiffWorkflow's warnings still pass.
        spiff.setLevel(max(level, logging.WARNING))
    else:
        spiff.setLevel(logging.DEBUG)
        for logger in chatty:
            logger.addFilter(_SpiffChatterToDebug())
    for noisy in ("apscheduler", "alembic"):  # a line per sweep / per migration step is noise
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    return handler
