from datetime import date, datetime

import pytest

from engine.domain.dossier_code import format_dossier_code
from engine.domain.roles import LaneError, LaneRoute, parse_lane
from engine.domain.timeliness import Timeliness, classify, open_is_late
from tests.conftest import VN


def test_dossier_code_format_n1():
    # N-1: <agency electronic id>-YYMMDD-XXXX
    assert format_dossier_code("000.00.12.H15", date(2026, 11, 26), 7) == "000.00.12.H15-261126-0007"
    assert format_dossier_code("X", date(2026, 1, 2), 12345) == "X-260102-12345"
    with pytest.raises(ValueError):
        format_dossier_code("a b", date(2026, 1, 2), 1)
    with pytest.raises(ValueError):
        format_dossier_code("A" * 36, date(2026, 1, 2), 1)


@pytest.mark.parametrize(
    "lane, route",
    [
        (None, LaneRoute("official")),
        ("official", LaneRoute("official")),
        ("Bộ phận Một cửa [one_stop_officer]", LaneRoute("one_stop_officer")),
        ("Sở Tư pháp [official@000.00.12.H20]", LaneRoute("official", agency="000.00.12.H20")),
        ("Cơ quan phối hợp [official@{consulted_agency}]", LaneRoute("official", agency_field="consulted_agency")),
    ],
)
def test_lane_convention(lane, route):
    assert parse_lane(lane) == route


@pytest.mark.parametrize("lane", ["Chuyên viên", "boss", "[official", "official]", "x [janitor]"])
def test_bad_lanes(lane):
    with pytest.raises(LaneError):
        parse_lane(lane)


def test_lane_agency_resolution():
    assert parse_lane("official").agency_for("A", {}) == "A"
    assert parse_lane("[official@B]").agency_for("A", {}) == "B"
    assert parse_lane("[official@{to}]").agency_for("A", {"to": "C"}) == "C"
    with pytest.raises(LaneError):
        parse_lane("[official@{to}]").agency_for("A", {})


def test_timeliness_n7():
    due = datetime(2026, 11, 27, 15, 0, tzinfo=VN)
    assert classify(datetime(2026, 11, 26, 16, 0, tzinfo=VN), due, VN) == Timeliness.EARLY
    assert classify(datetime(2026, 11, 27, 8, 0, tzinfo=VN), due, VN) == Timeliness.ON_TIME
    assert classify(due, due, VN) == Timeliness.ON_TIME
    assert classify(datetime(2026, 11, 27, 15, 1, tzinfo=VN), due, VN) == Timeliness.LATE
    assert classify(due, None, VN) is None
    assert open_is_late(datetime(2026, 11, 28, tzinfo=VN), due)
    assert not open_is_late(datetime(2026, 11, 26, tzinfo=VN), due)


def test_candidate_group_takes_precedence_over_the_lane():
    from engine.domain.roles import LaneRoute, parse_route

    assert parse_route("Phòng chuyên môn", "approver") == LaneRoute("approver")
    assert parse_route("Lãnh đạo [agency_head]", None) == LaneRoute("agency_head")
    assert parse_route(None, "official@{consulted}") == LaneRoute("official", agency_field="consulted")
    assert parse_route(None, None) == LaneRoute("official")  # neither: today's default
    with pytest.raises(LaneError, match="not a role"):
        parse_route(None, "Phòng [official]")
