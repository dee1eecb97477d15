"""The feedback case (R-7.2, QĐ 04/2024 Đắk Lắk Đ21): entry within 8 working hours, answer within 13
working days, counted on the province's calendar (config/calendar.toml: Mon-Fri 07:00-11:30,
13:30-17:00, 8 working hours a day)."""
from datetime import date, datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.domain.feedback import (
    Feedback,
    FeedbackDataError,
    FeedbackRefused,
    FeedbackStatus,
    Sender,
    format_feedback_code,
)
from engine.domain.dossier_code import format_dossier_code
from engine.domain.timeliness import Timeliness
from tests.conftest import VN

CAL = WorkingCalendar.load()
AGENCY = "000.00.12.H15"


def case(channel="desk", received_at=None, entered_at=None):
    return Feedback.receive(code="PAKN-X", agency_id=AGENCY, channel=channel, sender=Sender("Lê Văn Cường"),
                            subject="Chậm trả kết quả", content="Hồ sơ của tôi quá hạn.",
                            received_at=received_at, entered_at=entered_at or received_at, entered_by="desk",
                            calendar=CAL)


def test_offline_feedback_entered_after_8_working_hours_is_flagged():
    # Received by phone Friday 27 Nov 2026 15:00. 8 working hours: Fri 15:00-17:00 (2 h), Mon 30 Nov
    # 07:00-11:30 (4.5 h), 13:30-15:00 (1.5 h) = 8 h: due for entry Monday 15:00.
    received = datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    on_time = case("phone", received, datetime(2026, 11, 30, 15, 0, tzinfo=VN))
    assert on_time.entry_due_at == datetime(2026, 11, 30, 15, 0, tzinfo=VN)
    assert not on_time.entered_late
    late = case("phone", received, datetime(2026, 11, 30, 15, 1, tzinfo=VN))
    assert late.entered_late
    [entered] = [e for e in late.pending if e.kind == "entered"]
    assert entered.detail["late"] is True and entered.detail["rule"] == "R-7.2"
    # The weekend is not counted: Sunday evening is still within the 8 hours.
    assert not case("postal", received, datetime(2026, 11, 29, 20, 0, tzinfo=VN)).entered_late


def test_online_feedback_has_no_entry_deadline_and_no_backdating():
    now = datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    online = case("online", now)
    assert online.entry_due_at is None and not online.entered_late
    with pytest.raises(FeedbackDataError) as err:
        case("online", datetime(2026, 11, 26, 15, 0, tzinfo=VN), now)
    assert err.value.field == "received_at"
    with pytest.raises(FeedbackDataError) as err:  # received after it was entered: in the future
        case("desk", datetime(2026, 11, 28, 15, 0, tzinfo=VN), now)
    assert err.value.field == "received_at"
    with pytest.raises(FeedbackDataError) as err:
        case("fax", now)
    assert err.value.field == "channel"


def test_answered_on_working_day_13_is_on_time_and_on_day_14_late():
    # Received Monday 30 Nov 2026 07:00 (the start of working day 1). 13 working days, no holiday in
    # between: 30 Nov, 1, 2, 3, 4, 7, 8, 9, 10, 11, 14, 15, 16 Dec: due Wednesday 16 Dec 17:00.
    received = datetime(2026, 11, 30, 7, 0, tzinfo=VN)
    c = case("desk", received)
    assert c.due_at == datetime(2026, 12, 16, 17, 0, tzinfo=VN)
    c.assign(received, "an")
    day_13 = datetime(2026, 12, 16, 16, 30, tzinfo=VN)
    c.answer_with(day_13, "Đã trả kết quả ngày 16/12.", "an", CAL)
    assert c.timeliness is Timeliness.ON_TIME
    # the status is where the case's workflow stands (engine/services/feedback_workflow.py), not
    # what the aggregate's methods guess: they record, `follow` moves it
    assert c.status is FeedbackStatus.RECEIVED
    c.follow(FeedbackStatus.ANSWERED)
    assert c.status is FeedbackStatus.ANSWERED
    [answered] = [e for e in c.pending if e.kind == "feedback_answered"]
    assert answered.notify and answered.detail["answer"] == "Đã trả kết quả ngày 16/12."

    late = case("desk", received)
    late.assign(received, "an")
    day_14 = datetime(2026, 12, 17, 8, 0, tzinfo=VN)  # Thursday 17 Dec: working day 14
    assert late.overdue(day_14)
    late.answer_with(day_14, "Xin lỗi vì trả lời chậm.", "an", CAL)
    assert late.timeliness is Timeliness.LATE and not late.overdue(day_14)


def test_answering_needs_an_assignment_and_happens_once():
    received = datetime(2026, 11, 30, 7, 0, tzinfo=VN)
    c = case("desk", received)
    with pytest.raises(FeedbackRefused, match="assign it first"):
        c.answer_with(received, "Trả lời", "an", CAL)
    c.assign(received, "an")
    c.assign(received, "binh")  # the head may change their mind before the answer
    assert c.assigned_to == "binh" and c.pending[-1].detail["previous"] == "an"
    with pytest.raises(FeedbackDataError) as err:
        c.answer_with(received, "  ", "binh", CAL)
    assert err.value.field == "answer"
    c.answer_with(received, "Trả lời", "binh", CAL)
    with pytest.raises(FeedbackRefused, match="already answered"):
        c.answer_with(received, "Lần nữa", "binh", CAL)
    with pytest.raises(FeedbackRefused, match="already answered"):
        c.assign(received, "an")


def test_feedback_codes_are_a_series_apart_from_dossier_codes():
    day = date(2026, 11, 30)
    assert format_feedback_code(AGENCY, day, 7) == "PAKN-000.00.12.H15-261130-0007"
    assert format_feedback_code(AGENCY, day, 7) != format_dossier_code(AGENCY, day, 7)
    with pytest.raises(ValueError):
        format_feedback_code("bad agency!", day, 1)
