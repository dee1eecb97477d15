"""The production clock reads the province's zone (issue 14: "times in the province's zone
everywhere a person reads them"). Every message built from "now" (e.g. "already refunded on …",
"asked at …", "re-appointed on …") and every instant stored as text from it (fees, re-appointments
in JSON) said +00:00 in production, while the tests' ManualClock in +07:00 hid it."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.bootstrap import build
from engine.clock import SystemClock
from engine.domain.access import Official
from engine.services.errors import InvalidInput
from engine.settings import Settings
from tests.support.bpmn import Process, write_procedure

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AGENCY = "000.00.12.H15"
DESK = Official("desk", AGENCY, frozenset({"one_stop_officer"}))
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
AN = Official("an", AGENCY, frozenset({"official"}))


def test_the_system_clock_speaks_the_zone_it_is_given():
    assert SystemClock(VN).now().utcoffset() == timedelta(hours=7)
    assert SystemClock().now().utcoffset() == timedelta(0)  # without a zone: UTC, as before


@pytest.fixture
def production(clean_db, dirs):
    processes, forms = dirs
    settings = Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms,
                        argon2_memory_kib=1024, argon2_time_cost=1)
    svc = build(settings, migrate=False)  # no clock given: the one production uses
    yield svc
    svc.close()


def test_production_messages_name_times_in_the_provinces_zone(production, dirs):
    assert production.clock.now().utcoffset() == timedelta(hours=7)  # Asia/Ho_Chi_Minh, config/calendar.toml
    p = Process("p").start().user("appraise", lane="official", hours=16).end().chain("start", "appraise", "end")
    write_procedure(dirs[0], "P", p, forms_dir=dirs[1])
    production.procedures.sync()
    production.procedures.publish("P")
    d = production.dossiers.start("P")
    production.lifecycle.request_payment(AN, d.id, 50000)
    production.lifecycle.record_payment(DESK, d.id, "BL-1")
    production.lifecycle.stop(HEAD, d.id, "Hồ sơ giả mạo")
    production.lifecycle.refund(DESK, d.id, "Dừng xử lý")
    with pytest.raises(InvalidInput) as again:
        production.lifecycle.refund(DESK, d.id, "lại")
    assert "already refunded on" in again.value.detail and "+07:00" in again.value.detail
