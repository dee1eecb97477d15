"""What a diagram's lifecycle steps do to the dossier (docs/lifecycle.md, "How a diagram says it").

A user task with the property `lifecycle=<effect>` applies the effect when it is completed, with
the data its form submitted; a message with a lifecycle name does when it is delivered. The rules
themselves are the aggregate's (engine/domain/dossier.py): this module only reads the fields.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.dossier import Dossier, LifecycleDataError
from engine.domain.lifecycle_steps import MESSAGE_STEPS, RECEPTION_OUTCOMES, TASK_STEPS

TASK_EFFECTS = TASK_STEPS  # name -> (fields it reads, what it does)
MESSAGE_EFFECTS = frozenset(MESSAGE_STEPS)


def apply_task_effect(d: Dossier, effect: str | None, data: dict[str, Any], now: datetime, cal: Any) -> None:
    """Apply a completed task's `lifecycle` effect. Raises LifecycleDataError naming the field,
    LifecycleStateError when the dossier's status does not allow it, LifecycleRefused for a rule."""
    if effect is None:
        return
    if effect == "reception":
        outcome = data.get("outcome")
        if outcome == "receive":
            # The status changes now; the appointment counts from the reception time.
            d.receive(now, cal, counted_from=d.reception_time(now))
        elif outcome == "guide":
            d.guide_supplement(now, data.get("missing"), data.get("reason"))
        elif outcome == "refuse":
            d.refuse_reception(now, data.get("reason"))
        else:
            raise LifecycleDataError("outcome", f"outcome must be one of {', '.join(RECEPTION_OUTCOMES)}, "
                                                f"got {outcome!r}")
    elif effect == "supplement_request":
        d.request_supplement(now, data.get("missing"), data.get("reason"), cal)
    elif effect == "payment_request":
        d.request_payment(now, data.get("amount"))
    elif effect == "result_ready":
        d.mark_result_ready(now, cal)
    elif effect == "refusal":
        d.refuse(now, data.get("reason"), cal)
    elif effect == "stop":
        d.stop(now, data.get("reason"), cal)
    elif effect == "result_return":
        d.return_result(now, data.get("return_channel"), data.get("tracking_number"), cal)
    elif effect == "assignment":  # the directory was checked by the service (officials.check_assignee)
        d.assign_official(now, data.get("official"))
    # other values are refused when the procedure is checked


def apply_message_effect(d: Dossier, message: str, payload: dict[str, Any], now: datetime) -> None:
    """`supplement_received`: 5 -> 4, the pause ends (N-4). `fee_paid`: 6 -> 4 with `reference`
    and `method` (online by default)."""
    if message == "supplement_received":
        d.supplement_received(now)
    elif message == "fee_paid":
        d.record_payment(now, payload.get("reference"), payload.get("method", "online"))
