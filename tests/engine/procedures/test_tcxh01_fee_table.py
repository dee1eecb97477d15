"""processes/TCXH-01's payment-service fee (R-10; QĐ 03/2024/QĐ-UBND Đắk Lắk, Điều 2.2), table-driven:
the shipped diagram and decision table (fees.dmn, tcxh_fee_rate) run in memory from the report to
the end of the cycle. Rates: 1.0 % of the total paid electronically, whatever the area; cash 1.7 % in a
ward, 1.9 % in a commune. Each method's fee is rounded to the whole dong, halves up (illustrative)."""
from datetime import datetime
from pathlib import Path

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import ManualClock
from engine.execution.dossier_workflow import DossierWorkflow, LoadedProcess
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from engine.procedures.library import load_procedure
from tests.conftest import VN

ROOT = Path(__file__).resolve().parents[3]
CAL = WorkingCalendar.load()


@pytest.fixture(scope="module")
def process() -> LoadedProcess:
    c = load_procedure(ROOT / "processes" / "TCXH-01", ROOT / "forms").compiled
    return LoadedProcess.from_stored(c.spec, c.subprocess_specs, {k: vars(v) for k, v in c.human_tasks.items()})


def run_cycle(process, area_kind, by_account, at_pay_point, at_home, funds_total=None) -> dict:
    """The data the report task shows (the fee is computed once the payments are recorded), after
    checking the report then closes the cycle."""
    clock = ManualClock(datetime(2026, 11, 2, 9, tzinfo=VN))
    dw = DossierWorkflow.start(process, MotcuaScriptEngine(WorkingTimeFunctions(lambda: CAL, clock)), clock, {})

    def do(element, data):
        [task] = [t for t in dw.ready_tasks() if t.element_id == element]
        dw.complete(task.id, data)

    paid = by_account + at_pay_point + at_home
    funds_total = paid if funds_total is None else funds_total
    do("open_cycle", {"payment_month": "2026-12", "payment_service": "000.00.99.H15", "area_kind": area_kind})
    do("send_funds", {"funds_total": funds_total, "beneficiary_count": 3, "list_reference": "DS-12/2026"})
    do("pay", {"paid_by_account": {"count": 1, "total": by_account}, "paid_at_pay_point": {"count": 1, "total": at_pay_point},
               "paid_at_home": {"count": 1, "total": at_home}})
    [report] = dw.ready_tasks()
    assert report.element_id == "report"
    shown = dict(report.data)
    do("report", {"unpaid": [], "money_left": funds_total - paid, "documents_reference": "BC-12/2026"})
    assert dw.completed  # the report closes the cycle
    return shown


# area, (by account, at a pay point, at home) VND -> (electronic rate, cash rate) per mille, fee VND
ROWS = [
    # 1,000,000 x 1.0 % = 10,000, in a commune and in a ward alike (Điều 2.2.a has no area)
    ("commune", (1_000_000, 0, 0), (10, 19), 10_000),
    ("ward", (1_000_000, 0, 0), (10, 17), 10_000),
    # cash: 1,000,000 x 1.7 % = 17,000 in a ward; x 1.9 % = 19,000 in a commune (Điều 2.2.b)
    ("ward", (0, 1_000_000, 0), (10, 17), 17_000),
    ("commune", (0, 0, 1_000_000), (10, 19), 19_000),
    # cash at a pay point and at home are one cash total: (1,000,000 + 500,000) x 1.7 % = 25,500
    ("ward", (0, 1_000_000, 500_000), (10, 17), 25_500),
    # nothing paid: no fee
    ("commune", (0, 0, 0), (10, 19), 0),
    ("ward", (0, 0, 0), (10, 17), 0),
    # rounding to the dong, halves up: 50 x 1.0 % = 0.5 -> 1; 49 x 1.0 % = 0.49 -> 0
    ("commune", (50, 0, 0), (10, 19), 1),
    ("commune", (49, 0, 0), (10, 19), 0),
    # 50 x 1.9 % = 0.95 -> 1; 26 x 1.7 % = 0.442 -> 0; 30 x 1.7 % = 0.51 -> 1
    ("commune", (0, 50, 0), (10, 19), 1),
    ("ward", (0, 26, 0), (10, 17), 0),
    ("ward", (0, 30, 0), (10, 17), 1),
    # each method rounded on its own: 250,000,050 x 1.0 % = 2,500,000.5 -> 2,500,001; (120,000,000 +
    # 30,000,033) x 1.9 % = 2,850,000.627 -> 2,850,001; together 5,350,002
    ("commune", (250_000_050, 120_000_000, 30_000_033), (10, 19), 5_350_002),
]


@pytest.mark.parametrize("area, paid, rates, fee", ROWS)
def test_fee_by_method_and_area(process, area, paid, rates, fee):
    data = run_cycle(process, area, *paid)
    assert data["fee_rates"] == list(rates)
    assert [(line["method"], line["total"]) for line in data["fee_lines"]] == [
        ("electronic", paid[0]), ("cash", paid[1] + paid[2])]
    assert data["service_fee"] == fee


def test_the_report_task_shows_the_money_that_must_be_left(process):
    # 1,000,000 sent, 600,000 by account + 100,000 cash paid: 300,000 must be left.
    assert run_cycle(process, "ward", 600_000, 100_000, 0, funds_total=1_000_000)["money_left_expected"] == 300_000
