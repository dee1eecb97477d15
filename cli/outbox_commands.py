"""`motcua outbox export|status`: the national portal sync and notifications leave as JSON lines (R-9.5, N-8)."""
from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from engine.services.outbox import TOPICS, ExportFailed, FileSink, StreamSink

from .common import positive_int, province_time, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="events waiting for the national portal and the notification senders")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("export", help="write pending events as JSON lines, then mark them sent")
    c.add_argument("--topic", choices=TOPICS, help="only this topic (default: every topic)")
    c.add_argument("--out", default="-", metavar="FILE",
                   help="a new file (written atomically; an existing one is refused) or - for standard output")
    c.add_argument("--limit", type=positive_int, default=1000, help="at most N events (default 1000)")
    c.set_defaults(func=_export)
    c = cmds.add_parser("status", help="pending events per topic, the oldest one's age, failures")
    c.set_defaults(func=_status)


def _export(args: argparse.Namespace) -> int:
    sink = StreamSink(sys.stdout) if args.out == "-" else FileSink(args.out)
    svc = services()
    try:
        report = svc.outbox.export(sink, args.topic, args.limit)
    except ExportFailed as err:
        print(f"motcua: error: {err}", file=sys.stderr)
        return 1
    finally:
        svc.close()
    where = "standard output" if args.out == "-" else args.out
    ids = f" (ids {report.first_id}..{report.last_id})" if report.exported else ""
    left = ", ".join(f"{t} {n}" for t, n in sorted(report.remaining.items()) if n) or "none"
    # The summary goes to stderr: standard output carries only the JSON lines.
    held = (f" ({report.held_back} held back behind an earlier event of their dossier another export is sending)"
            if report.held_back else "")
    print(f"exported {report.exported} events to {where}{ids}; still pending: {left}{held}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    svc = services()
    try:
        rows = svc.outbox.status()
        for s in rows:
            oldest = (f"oldest {province_time(svc, s.oldest_pending_at)} ({_age(s.oldest_pending_age)} ago)"
                      if s.oldest_pending_at else "nothing pending")
            line = f"{s.topic:<13} pending {s.pending:>6}  failing {s.failing:>6}  sent {s.sent:>8}  {oldest}"
            print(line)
            if s.last_error:
                print(f"{'':<13} last failure: {s.last_error}")
    finally:
        svc.close()
    return 1 if any(s.failing for s in rows) else 0


def _age(age: timedelta) -> str:
    seconds = int(age.total_seconds())
    if seconds < 0:
        return "0 s"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {seconds} s" if minutes else f"{seconds} s"
