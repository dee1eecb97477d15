"""Deployment settings, from environment variables (documented in docs/operations.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.domain.json_values import JsonLimits
from engine.execution.sandbox import ScriptLimits
from engine.notifications.settings import NotifySettings
from engine.persistence.database import ROOT, default_url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _names(value: str | None) -> frozenset[str] | None:
    """A comma-separated list; unset or blank means the default."""
    if value is None or not value.strip():
        return None
    return frozenset(n.strip() for n in value.split(",") if n.strip())


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_url)
    processes_dir: Path = ROOT / "processes"
    forms_dir: Path = ROOT / "forms"
    calendar_path: Path | None = None  # None: $MOTCUA_CALENDAR or config/calendar.toml
    scheduler_enabled: bool = True
    scheduler_interval: float = 10.0  # seconds between timer sweeps (issue 15: a timer is late by at most this + one sweep)
    migrate_on_start: bool = True
    sync_on_start: bool = True
    argon2_memory_kib: int = 65536  # argon2id parameters for local passwords
    argon2_time_cost: int = 3
    lock_after_failures: int = 5  # failed logins of one username within lock_minutes before it locks
    lock_minutes: float = 15.0
    login_address_limit: int = 20  # failed logins from one client address per login_address_window
    login_address_window: float = 60.0  # seconds
    # Roles a province SSO token may grant (never admin or control_office); None: the officials' roles.
    sso_allowed_roles: frozenset[str] | None = None
    max_upload_bytes: int = 20 * 1024 * 1024
    max_json_depth: int = 32  # nesting of any JSON body, task data and start data (issue 7)
    max_data_bytes: int = 512 * 1024  # one completion's task data, a dossier's start data, as JSON
    script_timeout_ms: int = 500  # budget of one BPMN expression or script (issue 7)
    script_memory_mb: int = 128
    script_workers: int = 4  # idle sandbox workers kept per server process
    script_step_ms: int = 10_000  # budget of all expressions and scripts of one engine step together
    setup_working_days: int = 3  # a new procedure is set up within 3 (or 5) working days of its decision
    at_risk_hours: float = 8  # N-6: open dossiers due within this many working hours are "at risk"
    log_level: str = "INFO"  # DEBUG adds SpiffWorkflow's per-task lines (engine/logs.py)
    log_format: str = "json"  # json (one object per line) or console (text for a terminal)
    ranking_points_path: Path | None = None  # TOML [points] of the agencies' ranking; None: the default (R-7.4)
    payment_gateway: str | None = None  # "fake" or "package.module:factory" (engine/services/payments.py)
    notify: NotifySettings = field(default_factory=NotifySettings)  # senders of notices (R-3.1, N-6): MOTCUA_NOTIFY_*
    db_pipeline: bool = False  # PostgreSQL: batch statements into fewer round trips (write_behind.py)

    @property
    def data_limits(self) -> JsonLimits:
        return JsonLimits(max_depth=self.max_json_depth, max_bytes=self.max_data_bytes)

    @property
    def script_limits(self) -> ScriptLimits:
        return ScriptLimits(self.script_timeout_ms, self.script_memory_mb, self.script_workers,
                            self.script_step_ms)

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        env = os.environ
        values: dict[str, object] = {
            "database_url": default_url(),
            "processes_dir": Path(env.get("MOTCUA_PROCESSES_DIR", ROOT / "processes")),
            "forms_dir": Path(env.get("MOTCUA_FORMS_DIR", ROOT / "forms")),
            "calendar_path": Path(env["MOTCUA_CALENDAR"]) if env.get("MOTCUA_CALENDAR") else None,
            "scheduler_enabled": _flag("MOTCUA_SCHEDULER", True),
            "scheduler_interval": float(env.get("MOTCUA_SCHEDULER_INTERVAL", "10")),
            "migrate_on_start": _flag("MOTCUA_MIGRATE_ON_START", True),
            "sync_on_start": _flag("MOTCUA_SYNC_ON_START", True),
            "argon2_memory_kib": int(env.get("MOTCUA_ARGON2_MEMORY_KIB", "65536")),
            "argon2_time_cost": int(env.get("MOTCUA_ARGON2_TIME_COST", "3")),
            "lock_after_failures": int(env.get("MOTCUA_LOCK_AFTER_FAILURES", "5")),
            "lock_minutes": float(env.get("MOTCUA_LOCK_MINUTES", "15")),
            "login_address_limit": int(env.get("MOTCUA_LOGIN_ADDRESS_LIMIT", "20")),
            "login_address_window": float(env.get("MOTCUA_LOGIN_ADDRESS_WINDOW", "60")),
            "sso_allowed_roles": _names(env.get("MOTCUA_SSO_ALLOWED_ROLES")),
            "setup_working_days": int(env.get("MOTCUA_SETUP_WORKING_DAYS", "3")),
            "at_risk_hours": float(env.get("MOTCUA_AT_RISK_HOURS", "8")),
            "max_upload_bytes": int(env.get("MOTCUA_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
            "max_json_depth": int(env.get("MOTCUA_MAX_JSON_DEPTH", "32")),
            "max_data_bytes": int(env.get("MOTCUA_MAX_DATA_BYTES", str(512 * 1024))),
            "script_timeout_ms": int(env.get("MOTCUA_SCRIPT_TIMEOUT_MS", "500")),
            "script_memory_mb": int(env.get("MOTCUA_SCRIPT_MEMORY_MB", "128")),
            "script_workers": int(env.get("MOTCUA_SCRIPT_WORKERS", "4")),
            "script_step_ms": int(env.get("MOTCUA_SCRIPT_STEP_MS", "10000")),
            "log_level": env.get("MOTCUA_LOG_LEVEL", "INFO"),
            "log_format": env.get("MOTCUA_LOG_FORMAT", "json"),
            "ranking_points_path": Path(env["MOTCUA_RANKING_POINTS"]) if env.get("MOTCUA_RANKING_POINTS") else None,
            "payment_gateway": env.get("MOTCUA_PAYMENT_GATEWAY") or None,
            "notify": NotifySettings.from_env(env),
            "db_pipeline": _flag("MOTCUA_DB_PIPELINE", False),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
