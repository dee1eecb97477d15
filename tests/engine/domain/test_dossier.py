"""The dossier aggregate's lifecycle rules (issue 9), without a database.

Calendar: the shipped one (N-10 hours 07:00-11:30, 13:30-17:00, Monday to Friday; Vietnamese
public holidays incl. Tết). Every appointment below is worked out by hand in its comment."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engine.calendar import WorkingCalendar
from engine.domain.dossier import (
    Dossier,
    LifecycleDataError,
    LifecyclePolicy,
    LifecycleRefused,
    LifecycleStateError,
    Notice,
    NoticeKind,
    Outcome,
    Recorded,
    StatusChanged,
)
from engine.domain.dossier_status import Channel, DossierStatus as S
from engine.domain.timeliness import Timeliness

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = WorkingCalendar.load()


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


def desk(received=at(2026, 12, 1, 9), days=3, **kw) -> Dossier:
    d = Dossier.register(code="000.00.12.H15-261201-0001", procedure_code="P", agency_id="000.00.12.H15",
                         channel=kw.pop("channel", Channel.DESK), received_at=received, statutory_days=days, **kw)
    return d


def statuses(d: Dossier) -> list[tuple[int, int]]:
    return [(e.status.national_code, e.channel.national_code) for e in d.pending if isinstance(e, StatusChanged)]


def notices(d: Dossier) -> list[NoticeKind]:
    return [e.kind for e in d.pending if isinstance(e, Notice)]


def test_registration_and_reception_walk_1_2_4_with_national_codes_and_the_slip():
    # N-8: desk = channel 1; 1 submitted -> 2 accepted -> 4 processing.: received Tue
    # 1 Dec 2026 09:00, 3 working days: Tue 09:00-17:00 (6 h) + Wed (8) + Thu (8) + Fri 07:00-09:00 (2)
    # = 24 h -> Fri 4 Dec 09:00, named on the receipt and appointment slip.
    d = desk()
    d.receive(d.received_at, CAL)
    assert statuses(d) == [(1, 1), (2, 1), (4, 1)]
    assert d.status is S.PROCESSING and d.due(CAL) == at(2026, 12, 4, 9)
    [slip] = [e for e in d.pending if isinstance(e, Notice)]
    assert slip.kind is NoticeKind.RECEIVED and slip.detail["appointment"] == at(2026, 12, 4, 9).isoformat()


def test_online_reception_counts_from_the_reception_not_the_submission_r_3_4():
    # Submitted online Sat 5 Dec 2026 20:00 (code given at once, N-1, channel 2); announced valid by
    # the desk Mon 7 Dec 10:00 -> 3 days = 24 h from Mon 10:00: Mon 10:00-11:30 + 13:30-17:00 (5 h),
    # Tue (8), Wed (8) -> 21 h, Thu 07:00-10:00 (3) -> Thu 10 Dec 10:00.
    d = desk(received=at(2026, 12, 5, 20), channel=Channel.ONLINE)
    assert notices(d) == [NoticeKind.SUBMITTED] and statuses(d) == [(1, 2)]
    d.receive(at(2026, 12, 7, 10), CAL)
    assert d.due(CAL) == at(2026, 12, 10, 10)


def test_paper_reception_is_stamped_when_done_and_counts_from_the_handing_in_r_3_4_n_8():
    # Handed in at the desk Tue 1 Dec 2026 09:00; the reception step is done at 10:30. The status
    # changes and the slip happen at 10:30; the count starts at 09:00 (the same 24 h as above ->
    # Fri 4 Dec 09:00), the slip naming 09:00 as the reception time.
    d = desk()
    done = at(2026, 12, 1, 10, 30)
    d.receive(done, CAL, counted_from=d.reception_time(done))
    assert [(e.status.national_code, e.at) for e in d.pending if isinstance(e, StatusChanged)] == [
        (1, at(2026, 12, 1, 9)), (2, done), (4, done)]
    [slip] = [e for e in d.pending if isinstance(e, Notice)]
    assert (slip.at, slip.detail["received_at"]) == (done, at(2026, 12, 1, 9).isoformat())
    assert d.due(CAL) == at(2026, 12, 4, 9)
    online = desk(channel=Channel.ONLINE)
    assert online.reception_time(done) == done  # announced valid then


def test_no_slip_for_a_result_on_the_spot_r_3_5():
    d = desk(days=0, on_the_spot=True)
    d.receive(d.received_at, CAL)
    assert NoticeKind.RECEIVED not in notices(d)


def test_guidance_lists_everything_missing_in_one_notice_and_keeps_status_1():
    d = desk()
    d.guide_supplement(at(2026, 12, 1, 9), ["Bản sao CCCD", "Giấy đề nghị"], "thiếu giấy tờ")
    assert d.status is S.NEW
    [n] = [e for e in d.pending if isinstance(e, Notice) and e.kind is NoticeKind.GUIDANCE]
    assert n.detail["missing"] == ["Bản sao CCCD", "Giấy đề nghị"] and n.detail["reason"] == "thiếu giấy tờ"
    with pytest.raises(LifecycleDataError) as err:
        d.guide_supplement(at(2026, 12, 1, 9), [], "x")
    assert err.value.field == "missing"


def test_refusal_at_reception_is_status_3_with_reason_and_not_classified():
    d = desk()
    d.refuse_reception(at(2026, 12, 1, 9, 30), "không thuộc thẩm quyền")
    assert (d.status, d.outcome, d.status_reason, d.timeliness) == (S.NOT_ACCEPTED, Outcome.NOT_ACCEPTED,
                                                                   "không thuộc thẩm quyền", None)
    assert d.ended and statuses(d)[-1] == (3, 1)
    with pytest.raises(LifecycleStateError, match="3 not_accepted cannot change to 7 withdrawn"):
        d.withdraw(at(2026, 12, 1, 10))


def test_a_supplement_pause_moves_the_appointment_by_exactly_the_paused_working_time_n_4():
    # Received Tue 1 Dec 09:00, due Fri 4 Dec 09:00. Supplement requested Wed 2 Dec 09:00, supplied
    # Thu 3 Dec 09:00: 8 working hours paused -> Fri 4 Dec 09:00 + 8 h: Fri 09:00-17:00 gives 6 h
    # (lunch 11:30-13:30), Mon 07:00-09:00 the other 2 -> due Mon 7 Dec 09:00.
    d = desk()
    d.receive(d.received_at, CAL)
    d.request_supplement(at(2026, 12, 2, 9), ["Bản vẽ"], "thiếu bản vẽ", CAL)
    assert d.status is S.SUPPLEMENT_REQUESTED and d.paused_since == at(2026, 12, 2, 9)
    assert not d.is_late(at(2027, 1, 1), CAL)  # the applicant holds it: not judged while paused
    d.supplement_received(at(2026, 12, 3, 9))
    assert d.status is S.PROCESSING and d.due(CAL) == at(2026, 12, 7, 9)
    assert statuses(d)[-2:] == [(5, 1), (4, 1)]


def test_a_supplement_request_later_than_3_working_days_is_recorded_and_a_second_marks_late():
    # N-4: received Tue 1 Dec 09:00 + 3 working days = Fri 4 Dec 09:00; requested Mon 7 Dec -> warning.
    d = desk()
    d.receive(d.received_at, CAL)
    d.request_supplement(at(2026, 12, 7, 9), ["a"], "r", CAL)
    late = [e for e in d.pending if isinstance(e, Recorded) and e.kind == "supplement_request_late"]
    assert late and late[0].detail["due"] == at(2026, 12, 4, 9).isoformat()
    d.supplement_received(at(2026, 12, 7, 10))
    assert not d.forced_late
    d.request_supplement(at(2026, 12, 7, 11), ["b"], "r", CAL)
    assert d.forced_late and d.is_late(at(2026, 12, 7, 11), CAL)
    d.supplement_received(at(2026, 12, 7, 14))
    d.mark_result_ready(at(2026, 12, 7, 15), CAL)  # early by the clock, but N-4 says late
    assert d.timeliness is Timeliness.LATE


def test_the_second_supplement_rule_is_configurable():
    d = desk(policy=LifecyclePolicy(second_supplement_late=False))
    d.receive(d.received_at, CAL)
    for n in range(2):
        d.request_supplement(at(2026, 12, 1, 10 + 2 * n), ["a"], "r", CAL)
        d.supplement_received(at(2026, 12, 1, 11 + 2 * n))
    assert not d.forced_late


def test_supplement_received_without_a_request_is_refused():
    d = desk()
    d.receive(d.received_at, CAL)
    with pytest.raises(LifecycleStateError, match="no supplement was requested"):
        d.supplement_received(at(2026, 12, 2, 9))


def test_refusal_after_appraisal_is_status_8_with_reason_classified_never_processed():
    # Due Fri 4 Dec 09:00; refused Thu 3 Dec -> early (an earlier day, N-7).
    d = desk()
    d.receive(d.received_at, CAL)
    d.refuse(at(2026, 12, 3, 10), "không đủ điều kiện", CAL)
    assert (d.status, d.outcome, d.timeliness) == (S.STOPPED, Outcome.REFUSED, Timeliness.EARLY)
    assert S.PROCESSED not in [e.status for e in d.pending if isinstance(e, StatusChanged)]
    assert NoticeKind.REFUSED in notices(d)


def test_apology_moves_the_appointment_once_and_a_second_is_refused_n_6():
    # Due Fri 4 Dec 09:00. An apology Wed 2 Dec 09:00 (+1 working day = Thu 09:00 <= due) is in time.
    d = desk()
    d.receive(d.received_at, CAL)
    d.reappoint(at(2026, 12, 2, 9), at(2026, 12, 9, 17), "cần xác minh thêm", CAL)
    assert d.due(CAL) == at(2026, 12, 9, 17)
    [n] = [e for e in d.pending if isinstance(e, Notice) and e.kind is NoticeKind.APOLOGY]
    assert n.detail["previous_appointment"] == at(2026, 12, 4, 9).isoformat()
    with pytest.raises(LifecycleRefused, match="only once"):
        d.reappoint(at(2026, 12, 3, 9), at(2026, 12, 11, 17), "again", CAL)
    # Finished Tue 8 Dec: late against the original appointment (default), early against the new one.
    d.mark_result_ready(at(2026, 12, 8, 10), CAL)
    assert (d.timeliness, d.timeliness_reappointed) == (Timeliness.LATE, Timeliness.EARLY)


def test_a_supplement_pause_after_the_apology_moves_the_new_appointment_n_4():
    # Due Fri 4 Dec 09:00, re-appointed Wed 2 Dec 09:00 to Wed 9 Dec 17:00. The applicant then
    # supplements Wed 2 Dec 10:00 -> Thu 3 Dec 10:00 (8 working hours paused): the appointment in
    # force moves 8 working hours on, Thu 10 Dec 17:00. Finished Thu 10 Dec 16:00: on time against
    # the new appointment (before: late against the unmoved Wed 9 Dec 17:00); the statutory one
    # moves too (Mon 7 Dec 09:00), so late against it.
    d = desk()
    d.receive(d.received_at, CAL)
    d.reappoint(at(2026, 12, 2, 9), at(2026, 12, 9, 17), "cần xác minh thêm", CAL)
    d.request_supplement(at(2026, 12, 2, 10), ["bản sao CCCD"], "thiếu giấy tờ", CAL)
    d.supplement_received(at(2026, 12, 3, 10))
    assert d.due(CAL) == at(2026, 12, 10, 17)
    d.mark_result_ready(at(2026, 12, 10, 16), CAL)
    assert (d.timeliness, d.timeliness_reappointed) == (Timeliness.LATE, Timeliness.ON_TIME)


def test_an_apology_less_than_one_working_day_before_the_due_date_is_refused_naming_it():
    # Due Fri 4 Dec 09:00; asked Thu 3 Dec 10:00: + 1 working day = Fri 10:00 > due -> refused.
    d = desk()
    d.receive(d.received_at, CAL)
    with pytest.raises(LifecycleRefused, match="2026-12-04T09:00:00"):
        d.reappoint(at(2026, 12, 3, 10), at(2026, 12, 9, 17), "late", CAL)


def test_fees_requested_paid_and_refunded_only_when_the_service_could_not_be_performed_r_6_3():
    d = desk()
    d.receive(d.received_at, CAL)
    d.request_payment(at(2026, 12, 1, 10), 100_000)
    assert d.status is S.PAYMENT_REQUESTED and statuses(d)[-1] == (6, 1)
    with pytest.raises(LifecycleStateError, match="not paid yet"):
        d.mark_result_ready(at(2026, 12, 1, 11), CAL)
    d.record_payment(at(2026, 12, 1, 11), "BL-0042", "desk")
    assert d.status is S.PROCESSING and d.fee.reference == "BL-0042"
    with pytest.raises(LifecycleStateError, match="stop or refuse"):
        d.refund(at(2026, 12, 1, 12), "x")
    d.stop(at(2026, 12, 2, 9), "cơ quan không thực hiện được", CAL)
    d.refund(at(2026, 12, 2, 10), "không thực hiện được dịch vụ")
    assert d.fee.refunded_at == at(2026, 12, 2, 10) and NoticeKind.REFUNDED in notices(d)
    with pytest.raises(LifecycleRefused, match="already refunded"):
        d.refund(at(2026, 12, 2, 11), "again")


def test_no_refund_once_the_result_was_ready_even_if_not_collected():
    d = desk()
    d.receive(d.received_at, CAL)
    d.request_payment(at(2026, 12, 1, 10), 50_000)
    d.record_payment(at(2026, 12, 1, 11), "VNPAY-1", "online")
    d.mark_result_ready(at(2026, 12, 2, 9), CAL)
    with pytest.raises(LifecycleRefused, match="result was ready"):
        d.refund(at(2026, 12, 3, 9), "not collected")


def test_result_returned_by_post_needs_a_tracking_number_and_gives_status_10():
    d = desk()
    d.receive(d.received_at, CAL)
    d.mark_result_ready(at(2026, 12, 4, 9), CAL)  # at the due instant, on the due day: on time
    assert d.timeliness is Timeliness.ON_TIME
    with pytest.raises(LifecycleDataError) as err:
        d.return_result(at(2026, 12, 4, 10), "postal", None, CAL)
    assert err.value.field == "tracking_number"
    d.return_result(at(2026, 12, 4, 10), "postal", "EMS123VN", CAL)
    assert (d.status.national_code, d.tracking_number, d.completed_at) == (10, "EMS123VN", at(2026, 12, 4, 9))


def test_withdrawal_from_any_status_before_9_ends_unclassified_and_not_after():
    for prepare in (lambda d: None, lambda d: d.receive(d.received_at, CAL),
                    lambda d: (d.receive(d.received_at, CAL), d.request_supplement(at(2026, 12, 1, 10), ["a"], "r", CAL))):
        d = desk()
        prepare(d)
        d.withdraw(at(2026, 12, 1, 11), "không có nhu cầu")
        assert (d.status.national_code, d.outcome, d.timeliness, d.paused_since) == (7, Outcome.WITHDRAWN, None, None)
    d = desk()
    d.receive(d.received_at, CAL)
    d.mark_result_ready(at(2026, 12, 2, 9), CAL)
    with pytest.raises(LifecycleStateError, match="9 processed cannot change to 7 withdrawn"):
        d.withdraw(at(2026, 12, 2, 10))


def test_a_withdrawal_reason_is_kept_trimmed_and_a_blank_one_is_none():
    # Like every other reason (stop, refusal, refund): no blank text on the notice or the status
    # change sent to the national portal.
    for given, kept in (("  không có nhu cầu  ", "không có nhu cầu"), ("   ", None), (None, None)):
        d = desk()
        d.withdraw(at(2026, 12, 1, 11), given)
        [change] = [e for e in d.pending if isinstance(e, StatusChanged) and e.status is S.WITHDRAWN]
        [notice] = [e for e in d.pending if isinstance(e, Notice) and e.kind is NoticeKind.WITHDRAWN]
        assert (d.status_reason, change.reason, notice.detail.get("reason")) == (kept, kept, kept)


def test_an_open_dossier_past_its_appointment_counts_as_late_n_7():
    d = desk()
    d.receive(d.received_at, CAL)
    assert not d.is_late(at(2026, 12, 4, 9), CAL) and d.is_late(at(2026, 12, 4, 9, 1), CAL)


def test_a_refused_transition_changes_nothing_and_emits_nothing():
    d = desk()
    d.receive(d.received_at, CAL)
    before = (d.status, len(d.pending))
    with pytest.raises(LifecycleStateError):
        d.record_payment(at(2026, 12, 1, 10), "x", "desk")
    assert (d.status, len(d.pending)) == before
