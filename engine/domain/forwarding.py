"""When a received dossier must be forwarded to the competent agency (R-3.3, N-3).

R-3.3: within 8 working hours of reception. N-3: a paper dossier (desk or postal) received after
15:00 local time is forwarded at the start of the next working day, so its forwarding step starts
counting then; online dossiers are forwarded at once, their count starting at reception. The hour
and the amount are configuration (LifecyclePolicy.forward_cutoff_hour, forward_hours)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from .deadline import DeadlineBasis
from .dossier_status import Channel


def forwarding_basis(received_at: datetime, channel: Channel, calendar: Any, cutoff_hour: int = 15,
                     hours: float = 8) -> DeadlineBasis:
    """The forwarding step's deadline basis. `received_at` is the reception instant (aware);
    `calendar` gives `tz` and `next_working_time`. Received exactly at the cut-off hour is not after it."""
    start = received_at
    local = received_at.astimezone(calendar.tz)
    if channel is not Channel.ONLINE and local.timetz().replace(tzinfo=None) > time(cutoff_hour):
        next_day = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=calendar.tz)
        start = calendar.next_working_time(next_day)
    return DeadlineBasis(start, working_hours=hours)
