"""processes/CTBS-01/fees.dmn, the certification fee table, run by the engine (issue 11).

Thông tư 226/2016/TT-BTC, Điều 4: chứng thực bản sao từ bản chính 2,000 VND a page of the original;
from the 3rd page 1,000 VND a page; at most 200,000 VND a copy. Per copy, by hand:
  n <= 2 pages:  2,000 x n
  n >= 3 pages:  2 x 2,000 + (n - 2) x 1,000 = 2,000 + 1,000 x n, capped at 200,000
  (2,000 + 1,000 x n = 200,000 at n = 198: the cap is reached exactly at page 198)
amount = fee per copy x copies."""
from pathlib import Path

import pytest

from tests.engine.services.test_camunda_files import sync
from tests.support.dmn import rule_process

FEES = Path(__file__).resolve().parents[2] / "processes" / "CTBS-01" / "fees.dmn"


@pytest.fixture
def fee(services, dirs):
    assert sync(services, dirs, "R", {"r.bpmn": rule_process("copy_certification_fee"), "fees.dmn": FEES.read_bytes()}) == []

    def run(pages: int, copies: int) -> tuple[int, int]:
        [t] = services.dossiers.start("R", data={"pages": pages, "copies": copies}).current_tasks
        data = services.dossiers.get_task(t.task_id).data
        return data["fee_per_copy"], data["amount"]
    return run


@pytest.mark.parametrize("pages, copies, per_copy, amount", [
    (0, 1, 0, 0),                     # zero pages: nothing to charge
    (1, 1, 2_000, 2_000),             # one page: 2,000
    (2, 3, 4_000, 12_000),            # 2 x 2,000 = 4,000 a copy; 3 copies = 12,000
    (3, 1, 5_000, 5_000),             # the rate changes: 2 x 2,000 + 1 x 1,000 = 5,000
    (5, 2, 7_000, 14_000),            # 4,000 + 3 x 1,000 = 7,000; 2 copies = 14,000
    (197, 1, 199_000, 199_000),       # 4,000 + 195 x 1,000 = 199,000: under the cap
    (198, 1, 200_000, 200_000),       # 4,000 + 196 x 1,000 = 200,000: exactly at the cap
    (199, 1, 200_000, 200_000),       # 4,000 + 197 x 1,000 = 201,000 -> capped at 200,000
    (500, 2, 200_000, 400_000),       # capped per copy: 2 x 200,000
])
def test_the_fee_per_page_with_its_cap(fee, pages, copies, per_copy, amount):
    assert fee(pages, copies) == (per_copy, amount)
