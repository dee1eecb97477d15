"""How `motcua demo` prints what happened: plain text, times in the province's zone, deterministic
for a given start (no wall-clock time, no generated ids)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from engine.domain.access import Official
from engine.services.records import TITLES, ControlSheet, RecordKind

from .driver import _DAYS, DEMO_PASSWORD
from .feedback_report import feedback_case

if TYPE_CHECKING:  # the runner imports this module
    from .runner import Outcome

_CLASSES = {"early": "early", "on_time": "on time", "late": "late", None: "-"}
# Payload fields worth a glance in a notification (the rest stays in `motcua outbox export`).
_NOTICE_FIELDS = ("appointment", "new_appointment", "previous_appointment", "missing", "reason", "amount",
                  "channel", "tracking_number")


def when(t: datetime | None, tz: Any) -> str:
    """`Fri 13/02/2026 15:30` in the province's zone; '-' for none."""
    if t is None:
        return "-"
    t = t.astimezone(tz)
    return f"{_DAYS[t.weekday()]} {t:%d/%m/%Y %H:%M}"


def print_header(out: TextIO, start: datetime, processes: Path, outcomes: list["Outcome"],
                 accounts: dict[tuple[str, str], Official], tz: Any) -> None:
    out.write(f"motcua demo: clock starts {when(start, tz)} (Asia/Ho_Chi_Minh), procedures from {processes}\n")
    for o in outcomes:
        what = f"{o.procedure.code} published ({o.procedure.name})" if o.procedure else "NOT published"
        out.write(f"  {o.folder:<14} {what}\n")
    out.write(f"accounts ({len(accounts)}; first password {DEMO_PASSWORD}, to change at first login):\n")
    for (role, agency), acc in sorted(accounts.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        out.write(f"  {acc.username:<28} {role:<17} {agency}\n")


def print_outcome(out: TextIO, o: "Outcome", events: dict[str, list[dict[str, Any]]], tz: Any) -> None:
    scenario = o.scenario.rsplit(".", 1)[-1] + ".py" if o.scenario else None
    what = f"scenario {scenario}" if scenario else "no scenario" if o.procedure else "not published"
    out.write(f"\n== {o.folder}: {what}\n")
    for t, text in o.story:
        out.write(f"  {when(t, tz)}  {text}\n")
    for view in o.views:
        _dossier(out, view, o.sheets.get(view.id), events.get(view.code, []), tz)
    for case in o.feedback:
        feedback_case(out, case, tz)
    if o.error:
        out.write(f"  FAILED: {o.error}\n")


def _dossier(out: TextIO, view: Any, sheet: ControlSheet | None, events: list[dict[str, Any]], tz: Any) -> None:
    codes = [e["detail"]["status_code"] for e in view.events if e["kind"] == "status"]
    out.write(f"\n  dossier {view.code}  ({view.procedure_code} v{view.procedure_version}, channel {view.channel} "
              f"[{view.channel_code}], applicant {view.applicant.get('name', '-')})\n")
    outcome = f" ({view.outcome})" if view.outcome not in (None, "result", view.status) else ""
    reason = f": {view.status_reason}" if view.status_reason else ""
    out.write(f"    status {view.status_code} {view.status}{outcome}{reason}\n")
    out.write(f"    statuses (N-8) {' > '.join(map(str, codes))}\n")
    appointment = f"    received {when(view.received_at, tz)}, appointment {when(view.due_at, tz)}"
    if view.original_due_at:
        appointment += f" (apology; was {when(view.original_due_at, tz)})"
    out.write(appointment + "\n")
    klass = _CLASSES.get(view.timeliness, view.timeliness)
    if view.timeliness_reappointed and view.original_due_at:
        klass += f" (against the new appointment: {_CLASSES.get(view.timeliness_reappointed)})"
    out.write(f"    ended {when(view.completed_at, tz)}: {klass}")
    if view.fee:
        out.write(f"; fee {_fee(view.fee)}")
    out.write("\n")
    for p in view.pauses:
        out.write(f"    paused (supplement, N-4) {when(p['from'], tz)} -> {when(p['to'], tz)}\n")
    if sheet is not None:
        out.write(f"    {TITLES[RecordKind.CONTROL]}:\n")
        out.write(f"      {'step':<40} {'who':<26} {'received':<20} {'due':<20} {'done':<20} class\n")
        for s in sheet.steps:
            who = s.who.username if s.who else "-"
            out.write(f"      {s.name[:40]:<40} {who[:26]:<26} {when(s.received_at, tz):<20} "
                      f"{when(s.due_at, tz):<20} {when(s.done_at, tz):<20} {_CLASSES.get(s.timeliness, s.timeliness)}\n")
    if events:
        out.write("    outbox:\n")
        for e in events:
            out.write(f"      #{e['id']:<4} {e['topic']:<12} {e['kind']:<22} {when(datetime.fromisoformat(e['at']), tz)}"
                      f"  {_payload(e, tz)}\n")


def _fee(fee: dict[str, Any]) -> str:
    parts = [f"{fee.get('amount'):,} VND".replace(",", ".")] if fee.get("amount") is not None else []
    for key in ("paid_at", "refunded_at"):
        if fee.get(key):
            parts.append(key.replace("_at", ""))
    return ", ".join(parts) or "-"


def _payload(e: dict[str, Any], tz: Any) -> str:
    p = e["payload"]
    if e["topic"] == "portal":
        return f"{p.get('from') or '-'} -> {p.get('to')} (status {p.get('status_code')}, channel {p.get('channel_code')})"
    shown = {k: p[k] for k in _NOTICE_FIELDS if k in p}
    return ", ".join(f"{k} {_text(v, tz)}" for k, v in shown.items())


def _text(value: Any, tz: Any) -> str:
    """Instants in the payload as the report prints times; lists joined; the rest as is."""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, str) and len(value) >= 16 and value[10:11] == "T":
        try:
            return when(datetime.fromisoformat(value), tz)
        except ValueError:
            pass
    return str(value)


def print_summary(out: TextIO, outcomes: list["Outcome"]) -> None:
    run = [o for o in outcomes if o.scenario]
    dossiers = sum(len(o.views) for o in outcomes)
    failed = [o.folder for o in outcomes if o.failed]
    none = [o.folder for o in outcomes if o.procedure and not o.scenario]
    out.write(f"\n{len(outcomes)} procedure(s): {len(run)} scenario(s) run, {dossiers} dossier(s)")
    cases = sum(len(o.feedback) for o in outcomes)
    if cases:
        out.write(f", {cases} feedback case(s)")
    if none:
        out.write(f"; no scenario: {', '.join(none)}")
    out.write(f"; failed: {', '.join(failed)}\n" if failed else "; all ended\n")
