"""How `motcua demo` prints a feedback case (R-7.2): a case of a feedback procedure such as
processes/PAKN-01, not a dossier, so it has no portal statuses nor control sheet; its times, its
class and its timeline instead (docs/feedback.md)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, TextIO

from engine.services.feedback import FeedbackView

from .driver import _DAYS

_CLASSES = {"early": "early", "on_time": "on time", "late": "late", None: "-"}


def _when(t: datetime | None, tz: Any) -> str:
    if t is None:
        return "-"
    t = t.astimezone(tz)
    return f"{_DAYS[t.weekday()]} {t:%d/%m/%Y %H:%M}"


def feedback_case(out: TextIO, case: FeedbackView, tz: Any) -> None:
    out.write(f"\n  feedback {case.code}  ({case.procedure_code} v{case.procedure_version}, channel {case.channel}, "
              f"sender {case.sender.get('name', '-')})\n")
    out.write(f"    feedback status {case.status}; assigned to {case.assigned_to or '-'}\n")
    entry = ""
    if case.entry_due_at is not None:
        entry = f", entered {_when(case.entered_at, tz)} (due {_when(case.entry_due_at, tz)}" \
                f"{': LATE' if case.entered_late else ''})"
    out.write(f"    received {_when(case.received_at, tz)}{entry}, answer due {_when(case.due_at, tz)}\n")
    out.write(f"    answered {_when(case.answered_at, tz)}: {_CLASSES.get(case.timeliness, case.timeliness)}\n")
    out.write("    timeline:\n")
    for e in case.timeline:
        out.write(f"      {_when(e.at, tz):<20} {e.kind:<18} {e.actor or '-'}\n")
