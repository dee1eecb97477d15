"""Reports over a known stored data set (tests/support/report_data.py has the hand counts).
R-5.4, R-7.4, N-2, N-7, N-9."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import insert

from engine.domain.access import Official
from engine.domain.ontime import OnTimeCounts
from engine.persistence.models import DossierRating, FeedbackCase
from engine.services.errors import Forbidden, InvalidInput
from engine.services.reports import ReportQuery
from tests.support import report_data as data
from tests.support.report_data import A, B, C, NOW, t

CONTROL = Official("kiemsoat", "000.00.01.H15", frozenset({"control_office"}))
HEAD_A = Official("truongphong", A, frozenset({"agency_head"}))
OFFICIAL_A = Official("chuyenvien", A, frozenset({"official"}))


@pytest.fixture
def reports(services, clock):
    clock.set(NOW)
    data.load(services.ctx.uow)
    return services.reports


def counts(**kw: int) -> OnTimeCounts:
    return OnTimeCounts(**kw)


def test_november_by_agency_matches_the_hand_count(reports):
    report = reports.on_time(CONTROL, ReportQuery.parse("2026-11"))
    got = {r.agency_id: r.counts for r in report.rows}
    assert got == {a: counts(**c) for a, c in data.EXPECTED_NOVEMBER.items()}
    # totals add up: A + B
    assert report.total == counts(received=13, finished=10, early=3, on_time=2, late=3, unclassified=2,
                                  reappointed=1, reappointed_met=1, open=5, open_late=2)
    assert report.as_of == t(12, 1, 0)  # the period's end, not now
    assert report.rows[0].agency_name == "Phòng Kinh tế"


def test_finished_rows_add_up_to_their_classes(reports):
    for r in reports.on_time(CONTROL, ReportQuery.parse("2026-11", ["procedure"])).rows:
        c = r.counts
        assert c.finished == c.early + c.on_time + c.late + c.unclassified


def test_by_procedure_and_field_and_filters_combine(reports):
    by_proc = {r.procedure_code: r.counts for r in
               reports.on_time(CONTROL, ReportQuery.parse("2026-11", ["procedure"])).rows}
    # DD-03 holds only dossier 18 (on time, postal); HKD-01 is A without it.
    assert by_proc["DD-03"] == counts(received=1, finished=1, on_time=1)
    assert by_proc["HKD-01"] == counts(received=9, finished=7, early=2, on_time=1, late=2, unclassified=2,
                                       reappointed=1, reappointed_met=1, open=4, open_late=2)
    by_field = {r.field: r.counts for r in reports.on_time(CONTROL, ReportQuery.parse("2026-11", ["field"])).rows}
    # Đất đai = DD-02 (B: 14, 15, 16) + DD-03 (18)
    assert by_field["Đất đai"] == counts(received=4, finished=3, early=1, on_time=1, late=1, open=1)
    # agency A AND field Đất đai: dossier 18 only
    both = reports.on_time(CONTROL, ReportQuery.parse("2026-11", ["agency", "field"], agencies=[A],
                                                      fields=["Đất đai"]))
    assert [(r.agency_id, r.field, r.counts) for r in both.rows] == [(A, "Đất đai", by_proc["DD-03"])]


def test_trend_by_month_splits_the_quarter(reports):
    report = reports.on_time(CONTROL, ReportQuery.parse("2026-Q4", [], grain="month", agencies=[A]))
    by_month = {r.period: r.counts for r in report.rows}
    # October (A): received 8, 9 = 2; finished 12 (late, 1 Oct) = 1; open on 1 Nov: 8, 9 = 2, late 0
    assert by_month["2026-10"] == counts(received=2, finished=1, late=1, open=2)
    assert by_month["2026-11"] == counts(**data.EXPECTED_NOVEMBER[A])
    # December so far (as of now, 10 Dec 09:00): received 13 = 1; finished 9 (late, 3 Dec) = 1;
    # open 5, 6, 7, 13 = 4; late: 5 (due 25 Nov), 6 (5 Dec), 7 (24 Nov, its pause ended 2 Dec),
    # 13 (7 Dec) = 4
    assert by_month["2026-12"] == counts(received=1, finished=1, late=1, open=4, open_late=4)
    assert list(by_month) == ["2026-10", "2026-11", "2026-12"]
    assert report.total.received == 2 + 10 + 1


def test_a_dossier_waiting_for_the_applicant_is_not_late_from_its_pause_on(reports, services):
    from sqlalchemy import update
    from engine.persistence.models import Dossier
    with services.ctx.uow() as uow:  # 5 (due 25 Nov) asked for a supplement on 3 Dec and waits since (N-4)
        uow.session.execute(update(Dossier).where(Dossier.code == f"{A}-0005")
                            .values(status="supplement_requested", paused_since=t(12, 3)))
        uow.commit()
    dec = reports.on_time(CONTROL, ReportQuery.parse("2026-12", agencies=[A]))
    assert dec.as_of == NOW
    assert dec.total.open_late == 3  # 6, 7 and 13; 5 waits for the applicant
    nov = reports.on_time(CONTROL, ReportQuery.parse("2026-11", agencies=[A]))
    assert nov.total.open_late == 2  # as of 1 Dec it was not paused yet: 5 and 9 stay late


def test_steps_count_for_the_agency_that_handled_them(reports):
    report = reports.on_time(CONTROL, ReportQuery.parse("2026-11", subject="steps"))
    got = {r.agency_id: r.counts for r in report.rows}
    assert got == {a: counts(**c) for a, c in data.EXPECTED_STEPS.items()}
    assert report.total == counts(received=5, finished=3, early=1, late=2, open=3, open_late=2)


def test_agency_head_sees_own_agency_only(reports):
    own = reports.on_time(HEAD_A, ReportQuery.parse("2026-11"))
    assert [r.agency_id for r in own.rows] == [A]
    with pytest.raises(Forbidden):
        reports.on_time(HEAD_A, ReportQuery.parse("2026-11", agencies=[B]))
    with pytest.raises(Forbidden):
        reports.on_time(OFFICIAL_A, ReportQuery.parse("2026-11"))
    with pytest.raises(Forbidden):
        reports.register(OFFICIAL_A, "2026-11")


@pytest.mark.parametrize("kw, field", [(dict(period="2026-13"), "period"), (dict(period="Nov"), "period"),
                                       (dict(period="2026-11", group_by=["agent"]), "group_by"),
                                       (dict(period="2026-11", grain="week"), "grain"),
                                       (dict(period="2026-11", subject="tasks"), "subject")])
def test_bad_query_names_the_field(kw, field):
    with pytest.raises(InvalidInput) as err:
        ReportQuery.parse(**kw)
    assert err.value.problems[0][0] == field


def test_indicators_of_november(reports):
    report = reports.indicators(CONTROL, "2026-11")
    a = next(r for r in report.rows if r.agency_id == A).values
    # A: (early 2 + on time 2) / classified 6 = 66.67 %
    assert a["on_time_rate"].value == pytest.approx(400 / 6)
    # handling days of 1, 2, 3, 4, 8, 18: 2 + 2.25 + 7 + 10 + 5 + 3 = 29.25 over 6
    assert a["average_handling_days"].value == pytest.approx(29.25 / 6)
    assert a["online_share"].value == pytest.approx(40.0)  # 4 of 10 received
    assert a["online_payment_share"].value == pytest.approx(50.0)  # fees paid in Nov: 1 online, 3 at the desk
    assert a["electronic_result_share"].value == pytest.approx(100 / 3)  # returned: 2 online, 8 postal, 18 desk
    # No feedback case and no rating in this data set (see the test below for those):
    assert a["complaint_share"].value == 0.0  # 0 of 10 received
    assert a["satisfaction"].value is None and "no rating given" in a["satisfaction"].note
    assert a["composite"].value == pytest.approx(100 - 100 * 2 / 6)  # 100 − (late 2/6 + 0)
    total = report.total.values
    assert total["on_time_rate"].value == pytest.approx(100 * 5 / 8)  # (3 + 2) / (3 + 2 + 3)


def _rate(conn, dossier_id: int, rating: str, at) -> None:
    conn.execute(insert(DossierRating.__table__).values(dossier_id=dossier_id, id_number="001090000001",
                                                        rating=rating, rated_at=at))


def _feedback(conn, n: int, agency: str, dossier_id: int | None, at) -> None:
    conn.execute(insert(FeedbackCase.__table__).values(
        code=f"PAKN-{n}", agency_id=agency, channel="online", status="received", sender={"name": "Lê Văn Góp Ý"},
        subject="Chậm trả kết quả", content="…", dossier_id=dossier_id, received_at=at, entered_at=at,
        entered_by="desk1", due_at=at + timedelta(days=20)))


def test_satisfaction_indicators_read_ratings_and_feedback(services, clock):
    """N-9 satisfaction: complaint_share (R-7.2), satisfaction (R-7.3) and composite, November 2026
    (as of 1 Dec 00:00 +07:00), on the data set of tests/support/report_data.py."""
    clock.set(NOW)
    ids = data.load(services.ctx.uow)
    with services.ctx.uow() as uow:
        conn = uow.session.connection()
        # Ratings, by the rated dossier's agency and when they were given:
        _rate(conn, ids[1], "satisfied", t(11, 6))  # A, in
        _rate(conn, ids[2], "not_satisfied", t(11, 7))  # A, in
        _rate(conn, ids[3], "acceptable", t(11, 13))  # A, in
        _rate(conn, ids[12], "satisfied", t(10, 2))  # A, October: out
        _rate(conn, ids[18], "satisfied", t(12, 2))  # A, December: out
        _rate(conn, ids[14], "satisfied", t(11, 10))  # B, in
        _rate(conn, ids[15], "acceptable", t(11, 18))  # B, in
        # Feedback cases: a dossier counts once if received in November with a case before as-of.
        _feedback(conn, 1, A, ids[3], t(11, 15))  # 3 (A, received 5 Nov): counts
        _feedback(conn, 2, A, ids[3], t(11, 20))  # 3 again: still one dossier
        _feedback(conn, 3, A, ids[5], t(12, 5))  # 5 (A, received 20 Nov), after as-of: no
        _feedback(conn, 4, A, ids[9], t(11, 16))  # 9 (A) was received in October: no
        _feedback(conn, 5, A, None, t(11, 10))  # about no dossier: no
        _feedback(conn, 6, A, ids[14], t(11, 12))  # 14 (B, received 2 Nov) counts for B, the dossier's agency
        uow.commit()
    report = services.reports.indicators(CONTROL, "2026-11")
    a, b = (next(r for r in report.rows if r.agency_id == x).values for x in (A, B))
    total = report.total.values
    # satisfaction: A 1 satisfied (1) of 3 ratings (1, 2, 3) = 33.33 %; B 1 (14) of 2 = 50 %; total 2 of 5 = 40 %
    assert (a["satisfaction"].numerator, a["satisfaction"].denominator) == (1, 3)
    assert a["satisfaction"].value == pytest.approx(100 / 3)
    assert b["satisfaction"].value == pytest.approx(50.0)
    assert total["satisfaction"].value == pytest.approx(40.0)
    # complaint_share: A 1 dossier (3) of 10 received = 10 %; B 1 (14) of 3 = 33.33 %; total 2 of 13 = 15.38 %
    assert (a["complaint_share"].numerator, a["complaint_share"].denominator) == (1, 10)
    assert a["complaint_share"].value == pytest.approx(10.0)
    assert b["complaint_share"].value == pytest.approx(100 / 3)
    assert total["complaint_share"].value == pytest.approx(200 / 13)
    # composite = 100 − (late rate + complaint share):
    # A: late 2 of 6 classified = 33.33 %: 100 − (33.33 + 10) = 56.67
    # B: late 1 of 2 = 50 %: 100 − (50 + 33.33) = 16.67
    # total: late 3 of 8 = 37.5 %: 100 − (37.5 + 15.38) = 47.12
    assert a["composite"].value == pytest.approx(100 - (200 / 6 + 10))
    assert b["composite"].value == pytest.approx(100 - (50 + 100 / 3))
    assert total["composite"].value == pytest.approx(100 - (37.5 + 200 / 13))
    # The agencies filter (R-7.4 scope): B alone sees only its own dossiers' ratings and complaints.
    only_b = services.reports.indicators(CONTROL, "2026-11", agencies=[B])
    assert [r.agency_id for r in only_b.rows] == [B]
    assert (only_b.total.values["satisfaction"].numerator, only_b.total.values["satisfaction"].denominator) == (1, 2)
    assert only_b.total.values["complaint_share"].numerator == 1


def test_ranking_with_default_points(reports):
    report = reports.ranking(HEAD_A, "2026-11")  # published: an agency head sees every agency's rank
    b, a = report.rows
    # Measurable: on_time_rate 14, average_handling_days 6, online_share 11, online_payment_share 11,
    # electronic_result_share 8, composite 9 = 59 points (no rating given: satisfaction left out).
    # A: 14 × 4/6 + 6 × (4.0 / 4.875) + 11 × 0.40 + 11 × 0.5 + 8 × 1/3 + 9 × (100 − 33.33 − 0) / 100
    #    = 9.3333 + 4.9231 + 4.4 + 5.5 + 2.6667 + 6 = 32.8231 of 59 = 55.63 %
    # B: 14 × 1/2 + 6 × 1 (best average: (7 + 1) / 2 = 4.0 days) + 11 × 1/3 + 11 × 1 + 8 × 1
    #    + 9 × (100 − 50 − 0) / 100 = 7 + 6 + 3.6667 + 11 + 8 + 4.5 = 40.1667 of 59 = 68.08 %
    assert (b.ranked.agency_id, b.ranked.rank) == (B, 1)
    assert b.ranked.percent == pytest.approx(100 * (7 + 6 + 11 / 3 + 11 + 8 + 4.5) / 59)
    assert (a.ranked.agency_id, a.ranked.rank) == (A, 2)
    assert a.ranked.earned == pytest.approx(14 * 4 / 6 + 6 * 4.0 / 4.875 + 11 * 0.4 + 11 * 0.5 + 8 / 3 + 6)
    assert a.ranked.available == 59


def test_ranking_points_change_the_order(reports):
    # Only the online share counts: A 40 % > B 33.3 %; only the average time: B (4.0 days) first.
    only_online = reports.ranking(CONTROL, "2026-11", {"online_share": 10})
    assert [r.ranked.agency_id for r in only_online.rows] == [A, B]
    only_time = reports.ranking(CONTROL, "2026-11", {"average_handling_days": 10})
    assert [r.ranked.agency_id for r in only_time.rows] == [B, A]
    with pytest.raises(InvalidInput) as err:
        reports.ranking(CONTROL, "2026-11", {"on_time_rate": 25})  # progress weighs 20 (N-9)
    assert "progress" in err.value.detail
    with pytest.raises(Forbidden):
        reports.ranking(OFFICIAL_A, "2026-11")


def test_register_lists_dossiers_received_in_the_period(reports):
    reg = reports.register(CONTROL, "2026-11", agencies=[B])
    assert [r.code for r in reg.rows] == [f"{B}-0014", f"{B}-0015", f"{B}-0016"]
    assert reg.rows[0].applicant_name == "Nguyễn Thị Hồ Sơ 14"
    limited = reports.register(CONTROL, "2026-11", limit=2)
    assert limited.truncated and len(limited.rows) == 2
