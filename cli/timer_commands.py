"""`motcua timers …` and `motcua scheduler`: fire due timers, recalculate after a calendar change."""
from __future__ import annotations

import argparse
import logging
import signal
import sys

from engine.scheduler import TimerScheduler
from engine.services.recalculation import BATCH, RecalculationReport

from .common import services, setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("timers", help="working-time timers")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("fire", help="fire every due timer once and exit")
    c.set_defaults(func=_fire)
    c = cmds.add_parser("recalculate", help="recompute pending deadlines after the calendar file changed "
                                            "(safe to interrupt and to run again: nothing moves twice)")
    c.add_argument("--batch", type=_positive, default=BATCH,
                   help=f"dossiers saved per transaction (default {BATCH}; smaller holds locks for less time)")
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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _recalculate(args: argparse.Namespace) -> int:
    """Progress on stderr every tenth of the way (a run over 100,000 dossiers takes minutes, see
    docs/operations.md); the totals on stdout. Exit 1 if a dossier could not be saved, 130 if
    interrupted: either way what was saved stays, and running it again moves only the rest."""
    svc = services()
    last = RecalculationReport()
    shown = {"tenth": 0}

    def progress(r: RecalculationReport) -> None:
        nonlocal last
        last = r
        if r.done == 0:
            print(f"recalculating: {r.candidates} dossiers have a deadline the calendar moves", file=sys.stderr,
                  flush=True)
        elif r.done * 10 // r.candidates > shown["tenth"] and r.done < r.candidates:
            shown["tenth"] = r.done * 10 // r.candidates
            print(f"recalculating: {r.done} of {r.candidates} dossiers done, {r.saved} saved", file=sys.stderr,
                  flush=True)

    try:
        r = svc.timers.recalculate(batch=args.batch, progress=progress)
    except KeyboardInterrupt:
        print(f"interrupted: {last.done} of {last.candidates} dossiers done ({last.saved} saved, each with its "
              "deadlines_recalculated event); the others are as they were: run it again to move them "
              "(nothing moves twice)", file=sys.stderr)
        return 130
    finally:
        svc.close()
    print(f"moved {r.timers_moved} timers, {r.tasks_moved} task due dates, {r.dossiers_moved} dossier due dates"
          + (f" ({r.conflicts} retried after concurrent changes)" if r.conflicts else ""))
    for dossier_id, error in r.failed:
        print(f"dossier {dossier_id} NOT recalculated: {error}", file=sys.stderr)
    if r.failed:
        print(f"{len(r.failed)} dossiers left as they were: see the errors above, then run it again "
              "(the others are not moved twice)", file=sys.stderr)
        return 1
    return 0


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
