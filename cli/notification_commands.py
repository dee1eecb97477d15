"""`motcua notifications send|status|retry ID`: the notices sent to applicants by e-mail and SMS
(R-3.1, N-6), for operators acting as `cli:<os user>` (a retry is audited, R-8.5)."""
from __future__ import annotations

import argparse

from engine.services.notifications import STATES, NotificationView

from .common import operator, positive_int, province_time, request_id, services
from .outbox_commands import _age


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("notifications", help="notices to applicants by e-mail and SMS: send, status, retry")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("send", help="send the notices due now (what the scheduler does every interval)")
    c.add_argument("--limit", type=positive_int, help="at most N notices (default MOTCUA_NOTIFY_BATCH)")
    c.set_defaults(func=_send)
    c = cmds.add_parser("status", help="counts by state, then the failed, undeliverable and retrying notices")
    c.add_argument("--state", choices=STATES, help="list only notices in this state")
    c.add_argument("--limit", type=positive_int, default=50, help="at most this many lines (default 50)")
    c.set_defaults(func=_status)
    c = cmds.add_parser("retry", help="send a failed, undeliverable or retrying notice again at the next run")
    c.add_argument("id", type=positive_int)
    c.set_defaults(func=_retry)


def _send(args: argparse.Namespace) -> int:
    svc = services()
    try:
        r = svc.notifications.send_due(args.limit)
    finally:
        svc.close()
    print(f"claimed {r.claimed}: sent {r.sent}, to retry {r.retrying}, failed {r.failed}, "
          f"undeliverable {r.undeliverable}" + (f", {r.lost} taken over by another worker" if r.lost else "")
          + (f", {r.given_back} given back for the next run (lease too short for the batch)" if r.given_back else ""))
    return 1 if r.failed or r.undeliverable else 0


def _line(svc, v: NotificationView) -> str:
    nxt = f", next attempt {province_time(svc, v.next_attempt_at)}" if v.next_attempt_at else ""
    return (f"#{v.id:<7} {v.state:<13} {v.kind:<21} {v.dossier_code or '-':<30} attempts {v.attempts}"
            f"{nxt}\n         {v.last_error or ''}")


def _status(args: argparse.Namespace) -> int:
    svc = services()
    try:
        s = svc.notifications.summary(operator())
        items, total = svc.notifications.problems(operator(), args.state, limit=args.limit)
        oldest = (f"; oldest waiting {province_time(svc, s.oldest_waiting_at)} ({_age(s.oldest_waiting_age)} ago)"
                  if s.oldest_waiting_at else "")
        print(f"senders: e-mail {s.email}, SMS {s.sms}")
        print(f"pending {s.pending}, retrying {s.retrying}, failed {s.failed}, undeliverable {s.undeliverable}, "
              f"sent {s.sent}{oldest}")
        for v in items:
            print(_line(svc, v))
        if len(items) < total:
            print(f"({total - len(items)} more: --limit)")
    finally:
        svc.close()
    return 1 if s.failed or s.undeliverable else 0


def _retry(args: argparse.Namespace) -> int:
    svc = services()
    try:
        v = svc.notifications.retry(operator(), args.id, request_id())
    finally:
        svc.close()
    print(f"notification #{v.id} ({v.kind}, {v.dossier_code}) will be sent at the next run of the worker "
          "(`motcua notifications send` sends it now)")
    return 0
