"""`motcua demo` scenarios of processes/CTBS-01 and LTKS-01 (issue 11): the instants worked by hand in
cli/demo/scenarios/ctbs_01.py and ltks_01.py (calendar 07:00-11:30, 13:30-17:00, Monday-Friday;
Tết 2026: Sat 14 - Sun 22 Feb off)."""
import contextlib
import io

import pytest

from cli.main import main
from tests.cli.test_demo_cli import section


@pytest.fixture(scope="module")
def run() -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo", "--procedures", "CTBS-01", "LTKS-01"])
    return code, buf.getvalue()


def test_certification_same_day_and_next_day_after_15h(run):
    code, out = run
    assert code == 0 and out.rstrip().endswith("all ended"), out
    # A: Mon 23 Feb 09:00, before 15:00: due that day 17:00; 250 pages: the cap, 200,000 VND; on time.
    a = section(out, "000.00.12.H15-260223-0001")
    assert "appointment Mon 23/02/2026 17:00" in a and "ended Mon 23/02/2026 10:05: on time; fee 200.000 VND" in a
    # B: Mon 23 Feb 15:20, after 15:00: due Tue 24 Feb 17:00; 5 pages x 2 copies = 14,000 VND; early.
    b = section(out, "000.00.12.H15-260223-0002")
    assert "appointment Tue 24/02/2026 17:00" in b and "ended Mon 23/02/2026 16:15: early; fee 14.000 VND" in b
    assert "statuses (N-8) 1 > 2 > 4 > 6 > 4 > 9 > 10" in b


def test_newborn_routing_three_agencies_one_late(run):
    _, out = run
    # Fri 13 Feb 15:30, after 15:00: Mon 23, Tue 24, Wed 25 -> due Wed 25 Feb 17:00; on time.
    d = section(out, "000.00.12.H15-260213-0001")
    assert "appointment Wed 25/02/2026 17:00" in d and "ended Wed 25/02/2026 09:00: on time" in d
    lines = {line.strip().split("  ")[0]: line for line in d.splitlines() if "/2026" in line}
    # Sent Fri 15:45: birth 8 h -> Mon 23 15:45; residence and card 2 days -> Tue 24 15:45; the card late.
    assert lines["Đăng ký khai sinh"].rstrip().endswith("on time") and "Mon 23/02/2026 15:45" in lines["Đăng ký khai sinh"]
    assert "cv-000.00.12.H20" in lines["Đăng ký thường trú"] and lines["Đăng ký thường trú"].rstrip().endswith("on time")
    assert "cv-000.00.12.H21" in lines["Cấp thẻ bảo hiểm y tế"] and "Tue 24/02/2026 15:45" in lines["Cấp thẻ bảo hiểm y tế"]
    assert lines["Cấp thẻ bảo hiểm y tế"].rstrip().endswith("late")
