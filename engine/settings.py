"""Deployment settings, from environment variables (documented in docs/operations.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from engine.persistence.database import ROOT, default_url


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=default_url)
    processes_dir: Path = ROOT / "processes"
    forms_dir: Path = ROOT / "forms"
    calendar_path: Path | None = None  # None: $MOTCUA_CALENDAR or config/calendar.toml
    scheduler_enabled: bool = True
    scheduler_interval: float = 30.0  # seconds between timer sweeps
    migrate_on_start: bool = True
    sync_on_start: bool = True

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        env = os.environ
        values: dict[str, object] = {
            "database_url": default_url(),
            "processes_dir": Path(env.get("MOTCUA_PROCESSES_DIR", ROOT / "processes")),
            "forms_dir": Path(env.get("MOTCUA_FORMS_DIR", ROOT / "forms")),
            "calendar_path": Path(env["MOTCUA_CALENDAR"]) if env.get("MOTCUA_CALENDAR") else None,
            "scheduler_enabled": _flag("MOTCUA_SCHEDULER", True),
            "scheduler_interval": float(env.get("MOTCUA_SCHEDULER_INTERVAL", "30")),
            "migrate_on_start": _flag("MOTCUA_MIGRATE_ON_START", True),
            "sync_on_start": _flag("MOTCUA_SYNC_ON_START", True),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
