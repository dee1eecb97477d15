"""Feedback and complaints at the service layer (R-7.2, QĐ 04/2024 Đắk Lắk Đ21): online from an
applicant about their dossier, offline entered by the desk (8 working hours), assigned, answered within
13 working days and published to the sender through the outbox; overdue in the watchlist; counted
apart from dossiers in the reports. The clock is a ManualClock; the calendar is config/calendar.toml
(Mon-Fri 07:00-11:30 and 13:30-17:00)."""
from datetime import datetime

import pytest

from engine.domain.access import Official
from engine.domain.applicant import Applicant
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.conftest import VN
from tests.support.bpmn import Process, write_procedure
from tests.support.feedback import publish_feedback_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
AN = Official("an", AGENCY, frozenset({"official"}))
BINH = Official("binh", AGENCY, frozenset({"official"}))
OTHER_HEAD = Official("other_head", OTHER, frozenset({"agency_head"}))
CONTROL = Official("control", "000.00.00.H00", frozenset({"control_office"}))
CUONG = Applicant("001085012345", "Lê Văn Cường")
STRANGER = Applicant("079190054321", "Trần Thị Bình")
MONDAY = datetime(2026, 11, 30, 7, 0, tzinfo=VN)  # the start of a working day


@pytest.fixture
def world(services, dirs, clock):
    for who in (HEAD, DESK, AN, BINH, OTHER_HEAD, CONTROL):
        services.accounts.add(who.username, who.agency_id, who.roles)
    p = Process("p").start().user("work", lane="official", hours=4).end().chain("start", "work", "end")
    for code, agency in (("ONE", AGENCY), ("ELSE", OTHER)):
        write_procedure(dirs[0], code, p, agency=agency, statutory_days=10)
    services.procedures.sync()
    services.procedures.publish("ONE")
    services.procedures.publish("ELSE")
    publish_feedback_procedure(services)  # every case runs on it
    clock.set(MONDAY)
    return services.dossiers.start("ONE", applicant={"name": CUONG.name, "id_number": CUONG.id_number})


def notifications(services):
    with services.ctx.uow(write=False) as uow:
        return [r for r in uow.outbox.pending("notification") if r["kind"].startswith("feedback_")]


def test_an_applicant_complains_about_their_dossier_and_sees_the_published_answer(services, clock, world):
    sent = services.feedback.submit_online(CUONG, "Chậm trả kết quả", "Đã quá hẹn mà chưa có kết quả.",
                                           dossier_code=world.code, contact={"email": "cuong@example.vn"})
    assert sent.code.startswith(f"PAKN-{AGENCY}-261130-") and sent.status == "received"
    assert sent.dossier_code == world.code and sent.agency_id == AGENCY
    # 13 working days from Mon 30 Nov 07:00: 30 Nov, 1-4, 7-11, 14-16 Dec: due Wed 16 Dec 17:00.
    assert sent.due_at == datetime(2026, 12, 16, 17, 0, tzinfo=VN)
    [received] = notifications(services)
    assert received["kind"] == "feedback_received" and received["dossier_id"] == world.id
    assert received["payload"]["to"]["contact"] == {"email": "cuong@example.vn"}

    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=VN))
    assert services.feedback.assign(HEAD, sent.code, "an").status == "assigned"
    answered = services.feedback.answer(AN, sent.code, "Kết quả đã sẵn sàng tại Bộ phận Một cửa.")
    assert (answered.status, answered.timeliness) == ("answered", "early")
    mine = services.feedback.get_mine(CUONG, sent.code)
    assert mine.answer == "Kết quả đã sẵn sàng tại Bộ phận Một cửa." and mine.answered_at == clock.now()
    assert [f.code for f in services.feedback.mine(CUONG)[0]] == [sent.code]
    published = notifications(services)[-1]
    assert published["kind"] == "feedback_answered"
    assert published["payload"]["answer"] == "Kết quả đã sẵn sàng tại Bộ phận Một cửa."
    assert published["payload"]["feedback_code"] == sent.code
    timeline = [e.kind for e in services.feedback.get(HEAD, sent.code).timeline]
    assert timeline == ["received", "feedback_received", "assigned", "feedback_answered"]


def test_a_stranger_neither_sees_it_nor_complains_about_anothers_dossier(services, world):
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", dossier_code=world.code)
    with pytest.raises(NotFound):
        services.feedback.get_mine(STRANGER, sent.code)
    assert services.feedback.mine(STRANGER) == ([], 0)
    with pytest.raises(NotFound):
        services.feedback.submit_online(STRANGER, "Chậm", "Quá hẹn.", dossier_code=world.code)
    with pytest.raises(NotFound):  # another agency's official
        services.feedback.get(OTHER_HEAD, sent.code)
    assert services.feedback.get(CONTROL, sent.code).code == sent.code


def test_my_feedback_pages_hold_only_mine_and_count_only_mine(services, clock, world):
    """R-7.1: the name is a check on the ID number. Cases entered at the desk under Cường's ID number
    with another name are left out before the page is cut: a page of 1 holds his case and the
    total is his 2 (the name used to be checked after LIMIT: the newest page came back empty and
    the total said 3)."""
    other_name = "Lê Văn Cương"  # a typo at the desk: not Cường
    mine = []
    for hour, name in ((8, CUONG.name), (9, other_name), (10, CUONG.name), (11, other_name)):
        at = datetime(2026, 11, 30, hour, 0, tzinfo=VN)
        clock.set(at)
        if name == CUONG.name:
            mine.append(services.feedback.submit_online(CUONG, f"Lúc {hour}h", "Nội dung", dossier_code=world.code).code)
        else:
            services.feedback.enter(DESK, "desk", at, name, f"Lúc {hour}h", "Nội dung",
                                    sender_id_number=CUONG.id_number)
    newest_first = mine[::-1]
    pages = [services.feedback.mine(CUONG, limit=1, offset=i) for i in range(3)]
    assert [([f.code for f in items], total) for items, total in pages] == [
        ([newest_first[0]], 2), ([newest_first[1]], 2), ([], 2)]
    assert services.feedback.mine(Applicant(CUONG.id_number, "  LÊ VĂN   CƯỜNG "))[1] == 2  # case, spaces


def test_online_feedback_to_an_agency_names_a_known_one(services, world):
    sent = services.feedback.submit_online(STRANGER, "Thái độ", "Cán bộ chưa hướng dẫn tận tình.", agency_id=OTHER)
    assert sent.agency_id == OTHER and sent.dossier_code is None
    with pytest.raises(InvalidInput) as err:
        services.feedback.submit_online(STRANGER, "Thái độ", "…", agency_id="999.99.99.H99")
    assert err.value.problems == [("agency_id", "unknown agency")]
    with pytest.raises(InvalidInput) as err:
        services.feedback.submit_online(STRANGER, "Thái độ", "…")
    assert err.value.problems[0][0] == "agency_id"


def test_offline_feedback_entered_late_is_flagged(services, clock, world):
    # Received by phone Friday 27 Nov 15:00; 8 working hours: Fri 15:00-17:00 (2 h) + Mon 07:00-11:30
    # (4.5 h) + 13:30-15:00 (1.5 h): due for entry Monday 30 Nov 15:00.
    phoned = datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    clock.set(datetime(2026, 11, 30, 14, 0, tzinfo=VN))
    in_time = services.feedback.enter(DESK, "phone", phoned, "Phạm Thị Dung", "Hỏi tiến độ", "Gọi đường dây nóng.")
    clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=VN))
    late = services.feedback.enter(DESK, "phone", phoned, "Phạm Thị Dung", "Hỏi tiến độ", "Gọi lần hai.",
                                   dossier_code=world.code)
    assert (in_time.entered_late, late.entered_late) == (False, True)
    assert late.entry_due_at == datetime(2026, 11, 30, 15, 0, tzinfo=VN)
    assert late.received_at == phoned and late.entered_at == clock.now() and late.entered_by == "desk"
    # 13 working days count from the receipt, not from the entry: Fri 27 Nov 15:00 + 13 days = Wed 16 Dec 15:00.
    assert late.due_at == datetime(2026, 12, 16, 15, 0, tzinfo=VN)
    entered = [e for e in services.feedback.get(HEAD, late.code).timeline if e.kind == "entered"]
    assert entered[0].detail["late"] is True


def test_offline_entry_rules(services, clock, world):
    now = clock.now()
    with pytest.raises(Forbidden):
        services.feedback.enter(AN, "desk", now, "Dung", "S", "C")
    with pytest.raises(InvalidInput) as err:
        services.feedback.enter(DESK, "online", now, "Dung", "S", "C")
    assert err.value.problems[0][0] == "channel"
    with pytest.raises(InvalidInput) as err:
        services.feedback.enter(DESK, "desk", datetime(2026, 12, 1, 9, 0, tzinfo=VN), "Dung", "S", "C")
    assert err.value.problems[0][0] == "received_at"
    with pytest.raises(InvalidInput) as err:
        services.feedback.enter(DESK, "desk", now.replace(tzinfo=None), "Dung", "S", "C")
    assert err.value.problems[0][0] == "received_at"
    with pytest.raises(InvalidInput) as err:
        services.feedback.enter(DESK, "desk", now, "Dung", "S", "C", dossier_code="NO-SUCH")
    assert err.value.problems == [("dossier_code", "no such dossier")]
    with pytest.raises(InvalidInput) as err:
        services.feedback.enter(DESK, "desk", now, "Dung", "", "C")
    assert err.value.problems[0][0] == "subject"
    with services.ctx.uow(write=False) as uow:  # nothing half-written
        assert uow.feedback.query()[1] == 0


def test_answered_on_working_day_14_is_late_and_day_13_on_time(services, clock, world):
    # Both received at the desk Mon 30 Nov 07:00: due Wed 16 Dec 17:00 (working day 13).
    on_time = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Một", "Nội dung")
    late = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Hai", "Nội dung")
    for code in (on_time.code, late.code):
        services.feedback.assign(HEAD, code, "an")
    clock.set(datetime(2026, 12, 16, 16, 0, tzinfo=VN))  # Wed 16 Dec: working day 13
    assert services.feedback.answer(AN, on_time.code, "Trả lời").timeliness == "on_time"
    clock.set(datetime(2026, 12, 17, 9, 0, tzinfo=VN))  # Thu 17 Dec: working day 14
    assert services.feedback.answer(HEAD, late.code, "Trả lời muộn").timeliness == "late"


def test_who_assigns_and_answers(services, world):
    sent = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "S", "C")
    with pytest.raises(Forbidden):
        services.feedback.assign(AN, sent.code, "an")
    with pytest.raises(InvalidInput) as err:
        services.feedback.assign(HEAD, sent.code, "desk")
    assert err.value.problems == [("official", "does not hold role official")]
    with pytest.raises(Conflict, match="assign it first"):
        services.feedback.answer(HEAD, sent.code, "Trả lời")
    assigned = services.feedback.assign(HEAD, sent.code, "an", version=1)
    with pytest.raises(Conflict):  # stale version
        services.feedback.assign(HEAD, sent.code, "binh", version=1)
    with pytest.raises(Forbidden):
        services.feedback.answer(BINH, sent.code, "Trả lời")
    assert services.feedback.answer(AN, sent.code, "Trả lời", version=assigned.version).status == "answered"


def test_overdue_feedback_shows_in_the_overdue_list(services, clock, world):
    mine = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Quá hạn", "C")
    answered = services.feedback.enter(DESK, "desk", MONDAY, "Dung", "Đã trả lời", "C")
    services.feedback.assign(HEAD, answered.code, "an")
    services.feedback.answer(AN, answered.code, "Xong")
    # Due Wed 16 Dec 17:00; on Thu 17 Dec 09:00 it is 2 working hours overdue (07:00-09:00).
    clock.set(datetime(2026, 12, 17, 9, 0, tzinfo=VN))
    w = services.watchlist.late(HEAD)
    assert [(f.code, f.hours_left) for f in w.overdue_feedback] == [(mine.code, -2.0)]
    assert services.watchlist.late(OTHER_HEAD).overdue_feedback == []
    assert [f.code for f in services.watchlist.late(CONTROL).overdue_feedback] == [mine.code]
    assert [f.code for f in services.feedback.cases(HEAD, overdue=True)[0]] == [mine.code]
    clock.set(datetime(2026, 12, 16, 17, 0, tzinfo=VN))  # at the due instant: not yet overdue
    assert services.watchlist.late(HEAD).overdue_feedback == []


def test_reports_count_feedback_apart_from_dossiers(services, clock, world):
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", dossier_code=world.code)
    # Fri 27 Nov 15:00 + 8 working hours = Mon 30 Nov 15:00: entered at 16:00, late.
    clock.set(datetime(2026, 11, 30, 16, 0, tzinfo=VN))
    services.feedback.enter(DESK, "postal", datetime(2026, 11, 27, 15, 0, tzinfo=VN), "Dung", "Thư", "C")
    services.feedback.assign(HEAD, sent.code, "an")
    services.feedback.answer(AN, sent.code, "Trả lời")
    clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=VN))
    dossiers_before = services.reports.on_time(HEAD, _query("2026-11")).total
    report = services.feedback.report(HEAD, "2026-11")
    [row] = report.rows
    assert (row.agency_id, row.received, row.received_online, row.entered_late) == (AGENCY, 2, 1, 1)
    assert (row.answered, row.early, row.on_time, row.late) == (1, 1, 0, 0)
    # As of now (Mon 30 Nov 16:30, the month still runs): the postal one is open, due Wed 16 Dec: not overdue.
    assert (row.open, row.open_overdue) == (1, 0)
    assert report.total.received == 2
    # The dossier figures count the one dossier and nothing of the feedback.
    assert dossiers_before.received == 1 and dossiers_before.finished == 0
    with pytest.raises(Forbidden):
        services.feedback.report(AN, "2026-11")
    with pytest.raises(Forbidden):
        services.feedback.report(HEAD, "2026-11", [OTHER])
    clock.set(datetime(2026, 12, 17, 9, 0, tzinfo=VN))
    [december] = services.feedback.report(CONTROL, "2026-12").rows
    assert (december.received, december.open, december.open_overdue) == (0, 1, 1)


def _query(period):
    from engine.services.reports import ReportQuery
    return ReportQuery.parse(period)


def test_the_feedback_procedure_ships_valid_and_takes_no_dossiers(services):
    """processes/PAKN-01 is the feedback procedure's diagram (lanes: desk enters, head assigns, official
    answers); its cases are feedback cases, so registering a dossier of it is refused."""
    from pathlib import Path

    from engine.domain.feedback import ANSWER_DAYS, PROCEDURE_CODE
    from engine.procedures.library import load_procedure

    root = Path(__file__).resolve().parents[3]
    loaded = load_procedure(root / "processes" / PROCEDURE_CODE, root / "forms")
    assert loaded.code == PROCEDURE_CODE and loaded.metadata["statutory_days"] == ANSWER_DAYS
    services.procedures.add_version(loaded)
    services.procedures.publish(PROCEDURE_CODE)
    with pytest.raises(InvalidInput) as err:
        services.dossiers.start(PROCEDURE_CODE, applicant={"name": "Dung"})
    assert err.value.problems == [("procedure_code", "the feedback procedure takes no dossiers")]


def test_online_feedback_naming_a_dossier_and_another_agency_is_refused_not_redirected(services, world):
    """A dossier's feedback goes to its agency (R-7.2); naming another agency beside it was silently
    dropped, so the sender believed it reached the agency they named. Disagreeing: 422 on agency_id,
    nothing received. Agreeing (the same agency twice) is accepted."""
    with pytest.raises(InvalidInput) as err:
        services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", dossier_code=world.code, agency_id=OTHER)
    assert err.value.problems[0][0] == "agency_id" and AGENCY in err.value.problems[0][1]
    assert services.feedback.mine(CUONG)[1] == 0
    sent = services.feedback.submit_online(CUONG, "Chậm", "Quá hẹn.", dossier_code=world.code, agency_id=AGENCY)
    assert sent.agency_id == AGENCY and sent.dossier_code == world.code
