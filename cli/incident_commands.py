"""`motcua incidents list|show|retry|resolve`: steps of dossiers that failed at run time (R-9.1),
for operators acting as `cli:<os user>` (every retry and resolution audited, R-8.5)."""
from __future__ import annotations

import argparse

from engine.services.incidents import IncidentView, parse_age

from .common import local_time, operator, positive_int, request_id, services


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("incidents", help="failed steps of dossiers: list, show, retry, resolve")
    cmds = p.add_subparsers(dest="command", metavar="SUBCOMMAND")
    cmds.required = True
    c = cmds.add_parser("list", help="open incidents, oldest first (one line per dossier, kind and element)")
    c.add_argument("--agency", help="dossiers of this competent agency")
    c.add_argument("--procedure", help="dossiers of this procedure code")
    c.add_argument("--older-than", metavar="AGE", help="open for at least AGE: 45m, 2h, 3d")
    c.add_argument("--limit", type=positive_int, default=100, help="at most this many lines (default 100)")
    c.set_defaults(func=_list)
    c = cmds.add_parser("show", help="one incident: dossier, element, error, every attempt, next retry")
    c.add_argument("id", type=positive_int)
    c.set_defaults(func=_show)
    c = cmds.add_parser("retry", help="fire a failed timer now (its backoff waived), as the sweep would")
    c.add_argument("id", type=positive_int)
    c.set_defaults(func=_retry)
    c = cmds.add_parser("resolve", help="close an incident with a note saying what was done")
    c.add_argument("id", type=positive_int)
    c.add_argument("--note", required=True)
    c.set_defaults(func=_resolve)


def _line(svc, i: IncidentView) -> str:
    retry = f"next retry {local_time(svc, i.next_retry_at)}" if i.next_retry_at else "no automatic retry"
    return (f"#{i.id:<6} {i.dossier_code:<30} {i.procedure_code:<10} {i.kind:<8} {i.element_id or '-':<20} "
            f"attempt {i.attempt}, since {local_time(svc, i.since)}, {retry}")


def _list(args: argparse.Namespace) -> None:
    svc = services()
    try:
        age = parse_age(args.older_than, "--older-than") if args.older_than else None
        items, total = svc.incidents.list(operator(), args.agency, args.procedure, age, limit=args.limit)
        for i in items:
            print(_line(svc, i))
            print(f"        {i.error.splitlines()[0] if i.error else ''}")
    finally:
        svc.close()
    print(f"{total} open incident(s)" + (f", {len(items)} shown" if len(items) < total else ""))


def _show(args: argparse.Namespace) -> None:
    svc = services()
    try:
        d = svc.incidents.show(operator(), args.id)
        i = d.incident
        print(f"incident #{i.id}: {i.kind} on element {i.element_id or '-'}")
        print(f"  dossier: {i.dossier_code} (id {i.dossier_id}), procedure {i.procedure_code}, agency {i.agency_id}, "
              f"status {d.dossier_status}")
        print(f"  error: {i.error}")
        print(f"  attempt {i.attempt} at {local_time(svc, i.occurred_at)}, open since {local_time(svc, i.since)}")
        if i.resolved_at:
            print(f"  resolved {local_time(svc, i.resolved_at)}"
                  + (f" by {i.resolved_by}: {i.note}" if i.resolved_by else " (the step went through)"))
        elif i.next_retry_at:
            print(f"  next retry: {local_time(svc, i.next_retry_at)} (now: motcua incidents retry {i.id})")
        else:
            print("  no automatic retry: the official does the action again; then resolve it with a note")
        print("  attempts:")
        for a in d.attempts:
            state = f"resolved {local_time(svc, a.resolved_at)}" if a.resolved_at else "open"
            print(f"    #{a.id} attempt {a.attempt} at {local_time(svc, a.at)} ({state}): {a.error.splitlines()[0] if a.error else ''}")
        if d.timers:
            print("  timers of the dossier:")
            for t in d.timers:
                print(f"    {t.element_id}: due {local_time(svc, t.due_at)}, {t.attempts} failed attempt(s)"
                      + (f", next {local_time(svc, t.next_attempt_at)}" if t.next_attempt_at else ""))
    finally:
        svc.close()


def _retry(args: argparse.Namespace) -> int:
    svc = services()
    try:
        r = svc.incidents.retry(operator(), args.id, request_id())
        if r.outcome == "fired":
            print(f"incident #{r.incident_id}: dossier {r.dossier_code} went on; the incident is resolved")
            return 0
        if r.outcome == "failed":
            print(f"incident #{r.incident_id}: dossier {r.dossier_code} failed again"
                  + (f" (incident #{r.incident.id}, attempt {r.incident.attempt}): {r.incident.error}" if r.incident else ""))
            return 1
        print(f"incident #{r.incident_id}: dossier {r.dossier_code} is due now; another process holds it, "
              "the next sweep fires it")
        return 0
    finally:
        svc.close()


def _resolve(args: argparse.Namespace) -> None:
    svc = services()
    try:
        i = svc.incidents.resolve(operator(), args.id, args.note, request_id())
        print(f"incident #{i.id} on dossier {i.dossier_code}: resolved {local_time(svc, i.resolved_at)} by {i.resolved_by}")
    finally:
        svc.close()
