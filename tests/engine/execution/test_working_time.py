"""`deadline(...)` as diagrams call it: computed and recorded through the deadline basis (issue 9)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.domain.deadline import DeadlineBasis, DeadlineError
from engine.execution.working_time import WorkingTimeFunctions, recording

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.load()


def functions(at: datetime) -> WorkingTimeFunctions:
    return WorkingTimeFunctions(lambda: CAL, ManualClock(at))


def test_deadline_names_the_end_and_records_its_basis():
    # Appointment arithmetic (R-5.2, N-10): Tue 1 Dec 2026 07:00 + 3 working days uses up Tue, Wed
    # and Thu -> Thu 3 Dec 17:00 (not Fri 4 Dec 07:00); the basis read back gives the same instant.
    f = functions(datetime(2026, 12, 1, 7, tzinfo=VN))
    with recording() as sink:
        due = f.deadline(working_days=3)
    assert due == "2026-12-03T17:00:00+07:00"
    assert sink == [{"from": "2026-12-01T07:00:00+07:00", "working_days": 3}]
    assert DeadlineBasis.from_json(sink[0]).due(CAL).isoformat() == due
    # A whole number computed as a float is still days; 2.0 from Tue 07:00 -> Wed 2 Dec 17:00.
    assert f.deadline(working_days=2.0) == "2026-12-02T17:00:00+07:00"


@pytest.mark.parametrize("kwargs", [{"working_days": 1.5}, {"working_hours": -1}, {}, {"working_hours": 1, "working_days": 1}])
def test_a_bad_amount_is_refused(kwargs):
    with pytest.raises(DeadlineError):
        functions(datetime(2026, 12, 1, 7, tzinfo=VN)).deadline(**kwargs)
