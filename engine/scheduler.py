"""The timer scheduler: APScheduler runs a sweep of the timer table at a fixed interval.

It runs inside each API process and as `motcua scheduler`; any number of them may run against
one PostgreSQL database (the sweep locks dossiers with SKIP LOCKED). Each sweep leaves a
heartbeat row so /api/health can tell whether timers are being fired. When a notification sender
is on, the same scheduler runs the notification worker too (its own job and interval; several
processes share the notices, engine/persistence/notifications.py).
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timezone
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from engine import metrics
from engine.services.notifications import NotificationService, SendReport
from engine.services.timers import SweepReport, TimerService

log = logging.getLogger(__name__)


class TimerScheduler:
    def __init__(self, timers: TimerService, interval_seconds: float = 30.0, blocking: bool = False,
                 name: str | None = None, notifications: NotificationService | None = None):
        self.timers = timers
        self.notifications = notifications if notifications is not None and notifications.enabled else None
        self.interval = interval_seconds
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10000}"
        cls = BlockingScheduler if blocking else BackgroundScheduler
        self._scheduler: Any = cls(timezone="UTC")

    def sweep(self) -> SweepReport:
        """One pass over due timers; never raises (a failing sweep must not stop the schedule)."""
        ctx = self.timers.ctx
        try:
            report = self.timers.fire_due()
        except Exception:  # e.g. database unreachable: try again next interval
            log.exception("timer sweep failed")
            report = SweepReport()
        try:
            with ctx.uow() as uow:
                uow.scheduler.beat(self.name, ctx.clock.now(), len(report.fired), len(report.failed))
                uow.commit()
        except Exception:
            log.exception("could not record the scheduler heartbeat")
        metrics.sweep_done(report.due, report.delays, len(report.failed), self.interval)
        if report.fired or report.failed:
            log.info("timers: %d dossiers fired, %d failed, %d skipped", len(report.fired), len(report.failed),
                     report.skipped)
        return report

    def send_notifications(self) -> SendReport:
        """One run of the notification worker; never raises (a failing run must not stop the schedule)."""
        if self.notifications is None:
            return SendReport()
        try:
            report = self.notifications.send_due()
        except Exception:  # e.g. database unreachable: try again next interval
            log.exception("notification run failed")
            return SendReport()
        if report.claimed:
            log.info("notifications: %d sent, %d to retry, %d failed, %d undeliverable", report.sent,
                     report.retrying, report.failed, report.undeliverable)
        return report

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start sweeping now and every interval (BlockingScheduler: blocks until shutdown)."""
        self._scheduler.add_job(self.sweep, "interval", seconds=self.interval, id="timer-sweep",
                                max_instances=1, coalesce=True, next_run_time=datetime.now(timezone.utc))
        if self.notifications is not None:
            self._scheduler.add_job(self.send_notifications, "interval", id="notification-send",
                                    seconds=self.notifications.settings.interval_seconds, max_instances=1,
                                    coalesce=True, next_run_time=datetime.now(timezone.utc))
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)  # let a running sweep finish before we mark it stopped
        try:
            with self.timers.ctx.uow() as uow:
                uow.scheduler.stop(self.name)
                uow.commit()
        except Exception:
            log.exception("could not mark the scheduler stopped")
