"""Settings of the notification senders and their worker, from MOTCUA_NOTIFY_* and MOTCUA_SMTP_*
environment variables (documented in docs/operations.md, "Notifications to applicants")."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Mapping

EMAIL_SENDERS = ("off", "log", "smtp")
SMS_SENDERS = ("off", "log")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class NotifySettings:
    """Which senders deliver notices (R-3.1, N-6) and how the worker retries.

    `email`: off | log (written to the log, for development) | smtp; `sms`: off | log. With both
    off (the default) nothing is sent by the worker and `motcua outbox export --topic notification`
    hands the notices to an outside sender, as before. Durations are in seconds."""

    email: str = "off"
    sms: str = "off"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_from: str = "motcua@localhost"
    smtp_timeout: float = 30.0  # seconds for connecting and each command
    max_attempts: int = 8  # after this many failed attempts a notice is left `failed`
    backoff_seconds: float = 60.0  # wait after the 1st failure; doubled after each further one
    backoff_max_seconds: float = 6 * 3600.0  # the wait never grows past this
    lease_seconds: float = 300.0  # a claimed notice is due again after this if its worker died mid-send
    batch: int = 50  # notices claimed per run
    interval_seconds: float = 30.0  # between the scheduler's runs of the worker

    def __post_init__(self) -> None:
        if self.email not in EMAIL_SENDERS:
            raise ValueError(f"MOTCUA_NOTIFY_EMAIL must be one of {', '.join(EMAIL_SENDERS)}, got {self.email!r}")
        if self.sms not in SMS_SENDERS:
            raise ValueError(f"MOTCUA_NOTIFY_SMS must be one of {', '.join(SMS_SENDERS)}, got {self.sms!r}")
        if self.email == "smtp" and not self.smtp_host:
            raise ValueError("MOTCUA_NOTIFY_EMAIL=smtp needs MOTCUA_SMTP_HOST")
        if self.max_attempts < 1 or self.batch < 1:
            raise ValueError("MOTCUA_NOTIFY_MAX_ATTEMPTS and MOTCUA_NOTIFY_BATCH must be at least 1")
        if min(self.backoff_seconds, self.backoff_max_seconds, self.lease_seconds, self.interval_seconds) <= 0:
            raise ValueError("MOTCUA_NOTIFY_BACKOFF, _BACKOFF_MAX, _LEASE and _INTERVAL must be above 0 seconds")
        if self.lease_seconds <= 2 * self.smtp_timeout:
            raise ValueError("MOTCUA_NOTIFY_LEASE must be longer than two sends (2 x MOTCUA_SMTP_TIMEOUT): a notice "
                             "is started only while its lease outlasts the send")

    @property
    def enabled(self) -> bool:
        """Whether the worker sends anything (at least one channel is not off)."""
        return self.email != "off" or self.sms != "off"

    def backoff(self, failed_attempts: int) -> timedelta:
        """The wait after the `failed_attempts`-th failed attempt (1, 2, …): backoff · 2^(n-1),
        at most backoff_max. With the defaults: 1, 2, 4, 8, 16, 32, 64 min (then failed at the 8th)."""
        n = max(1, failed_attempts)
        seconds = self.backoff_seconds * 2.0 ** min(n - 1, 62)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "NotifySettings":
        env = os.environ if env is None else env

        def num(name: str, default: float) -> float:
            raw = env.get(name)
            try:
                return float(raw) if raw not in (None, "") else default
            except ValueError:
                raise ValueError(f"{name} must be a number of seconds, got {raw!r}") from None

        def whole(name: str, default: int) -> int:
            raw = env.get(name)
            try:
                return int(raw) if raw not in (None, "") else default
            except ValueError:
                raise ValueError(f"{name} must be a whole number, got {raw!r}") from None

        return cls(
            email=(env.get("MOTCUA_NOTIFY_EMAIL") or "off").strip().lower(),
            sms=(env.get("MOTCUA_NOTIFY_SMS") or "off").strip().lower(),
            smtp_host=(env.get("MOTCUA_SMTP_HOST") or "").strip(),
            smtp_port=whole("MOTCUA_SMTP_PORT", 25),
            smtp_user=env.get("MOTCUA_SMTP_USER") or None,
            smtp_password=env.get("MOTCUA_SMTP_PASSWORD") or None,
            smtp_starttls=_flag(env.get("MOTCUA_SMTP_STARTTLS"), False),
            smtp_from=(env.get("MOTCUA_SMTP_FROM") or "motcua@localhost").strip(),
            smtp_timeout=num("MOTCUA_SMTP_TIMEOUT", 30.0),
            max_attempts=whole("MOTCUA_NOTIFY_MAX_ATTEMPTS", 8),
            backoff_seconds=num("MOTCUA_NOTIFY_BACKOFF", 60.0),
            backoff_max_seconds=num("MOTCUA_NOTIFY_BACKOFF_MAX", 6 * 3600.0),
            lease_seconds=num("MOTCUA_NOTIFY_LEASE", 300.0),
            batch=whole("MOTCUA_NOTIFY_BATCH", 50),
            interval_seconds=num("MOTCUA_NOTIFY_INTERVAL", 30.0),
        )
