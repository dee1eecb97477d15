"""Forwarding to the competent agency (R-3.3, N-3), on the shipped calendar (07:00-11:30, 13:30-17:00)."""
from datetime import datetime
from zoneinfo import ZoneInfo

from engine.calendar import WorkingCalendar
from engine.domain.dossier_status import Channel
from engine.domain.forwarding import forwarding_basis

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.load()


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def test_paper_received_before_15h_counts_8_working_hours_from_reception():
    # Thu 3 Dec 2026 14:00 + 8 h: Thu 14:00-17:00 (3) + Fri 07:00-11:30 (4.5) + 13:30-14:00 (0.5) -> Fri 14:00.
    assert forwarding_basis(at(2026, 12, 3, 14), Channel.DESK, CAL).due(CAL) == at(2026, 12, 4, 14)


def test_paper_received_after_15h_counts_from_the_next_working_day_n_3():
    # Thu 15:30 at the desk -> forwarded from Fri 07:00: 8 h -> Fri 17:00. Fri 15:30 by post -> Mon.
    assert forwarding_basis(at(2026, 12, 3, 15, 30), Channel.DESK, CAL).due(CAL) == at(2026, 12, 4, 17)
    assert forwarding_basis(at(2026, 12, 4, 15, 30), Channel.POSTAL, CAL).due(CAL) == at(2026, 12, 7, 17)
    # exactly 15:00 is not after 15:00: 15:00-17:00 (2) + Fri 07:00-11:30 (4.5) + 13:30-15:00 (1.5) -> Fri 15:00
    assert forwarding_basis(at(2026, 12, 3, 15), Channel.DESK, CAL).due(CAL) == at(2026, 12, 4, 15)


def test_online_dossiers_count_from_reception_whatever_the_hour_and_the_hour_is_configurable():
    # Online Thu 15:30: 15:30-17:00 (1.5) + Fri 07:00-11:30 (4.5) + 13:30-15:30 (2) -> Fri 15:30.
    assert forwarding_basis(at(2026, 12, 3, 15, 30), Channel.ONLINE, CAL).due(CAL) == at(2026, 12, 4, 15, 30)
    # With the cut-off at 16:00, a desk dossier at 15:30 counts from reception like the online one.
    assert forwarding_basis(at(2026, 12, 3, 15, 30), Channel.DESK, CAL, cutoff_hour=16).due(CAL) == at(2026, 12, 4, 15, 30)
