"""`motcua timers …` and `motcua scheduler`: fire due timers, recalculate after a calendar change."""
from __future__ import annotations

import argparse
import logging
import signal

from engine.scheduler import TimerScheduler

from .common import services, setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("timers", help="working-time timers")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("fire", help="fire every due timer once and exit")
    c.set_defaults(func=_fire)
    c = cmds.add_parser("recalculate", help="recompute pending deadlines after the calendar file changed")
    c.set_defaults(func=_recalculate)

    p = sub.add_parser("scheduler", help="run the timer scheduler as a standalone process")
    p.add_argument("--interval", type=float, help="seconds between sweeps (default $MOTCUA_SCHEDULER_INTERVAL or 30)")
    p.set_defaults(func=_scheduler)


def _fire(args: argparse.Namespace) -> int:
    svc = services()
    try:
        report = svc.timers.fire_due()
    finally:
        svc.close()
    print(f"fired {len(report.fired)} dossiers, {len(report.failed)} failed, {report.skipped} skipped")
    return 1 if report.failed else 0


def _recalculate(args: argparse.Namespace) -> None:
    svc = services()
    try:
        r = svc.timers.recalculate()
    finally:
        svc.close()
    print(f"moved {r.timers_moved} timers, {r.tasks_moved} task due dates, {r.dossiers_moved} dossier due dates"
          + (f" ({r.conflicts} retried after concurrent changes)" if r.conflicts else ""))


def _scheduler(args: argparse.Namespace) -> None:
    svc = services()
    setup_logging(svc.settings, svc)
    interval = args.interval or svc.settings.scheduler_interval
    scheduler = TimerScheduler(svc.timers, interval, blocking=True, notifications=svc.notifications)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown())
    logging.getLogger("motcua").info("scheduler %s sweeping every %.0f s", scheduler.name, interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.shutdown()
        svc.close()
