"""`motcua demo` runs the scenarios of GPXD-01 and TCXH-01 (cli/demo/scenarios/gpxd_01.py, tcxh_01.py)
to their ends. Hand-worked (calendar 07:00-11:30, 13:30-17:00, Monday-Friday, Tết 16-20 Feb 2026):
- GPXD-01, 15 working days from Fri 13 Feb 15:30: Fri 1.5 h, 23 Feb - 12 Mar (14 days, 112 h) = 113.5,
  Fri 13 Mar 07:00-11:30 (4.5) = 118, 13:30-15:30 (2) -> Fri 13 Mar 15:30; paused Wed 4 Mar 11:00 ->
  Mon 9 Mar 11:00 = 0.5 + 3.5 + 8 + 8 + 4 = 24 h -> Wed 18 Mar 15:30. The heritage office (5 days from
  Fri 16:20 -> Fri 27 Feb 16:20) answers Mon 2 Mar: late; the fire police (8 days -> Wed 4 Mar 16:20)
  Tue 3 Mar: early.
- TCXH-01, 20 working days from Fri 13 Feb 15:30 -> Fri 20 Mar 15:30; the timer of the 25th fires Wed
  25 Feb 00:00 (a calendar date): the head's chase is received then."""
import contextlib
import io

import pytest

from cli.main import main
from tests.cli.test_demo_cli import section


@pytest.fixture(scope="module")
def run() -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo", "--procedures", "GPXD-01", "TCXH-01"])
    return code, buf.getvalue()


def test_both_scenarios_end_their_dossiers(run):
    code, out = run
    assert code == 0, out
    assert out.rstrip().endswith("2 procedure(s): 2 scenario(s) run, 2 dossier(s); all ended")


def test_gpxd01_consultation_late_supplement_fee_postal(run):
    s = section(run[1], "000.00.31.H15-260213-0001")
    assert "statuses (N-8) 1 > 2 > 4 > 5 > 4 > 6 > 4 > 9 > 10" in s
    # Handed in at 15:30, received by the desk's reception step at 15:40: the slip is issued then (N-8),
    # the appointment counts from 15:30.
    assert "status                 Fri 13/02/2026 15:40  new -> accepted (status 2, channel 1)" in s
    assert "notification received               Fri 13/02/2026 15:40  appointment Fri 13/03/2026 15:30" in s
    assert "received Fri 13/02/2026 15:30, appointment Wed 18/03/2026 15:30" in s
    assert "cv-000.00.12.H21           Fri 13/02/2026 16:20 Fri 27/02/2026 16:20 Mon 02/03/2026 10:00 late" in s
    assert "cv-000.00.12.H20           Fri 13/02/2026 16:20 Wed 04/03/2026 16:20 Tue 03/03/2026 09:00 early" in s
    assert "amount 75000" in s and "tracking_number EB123456789VN" in s


def test_tcxh01_the_25th_timer_calls_the_head_and_the_report_closes_the_cycle(run):
    s = section(run[1], "000.00.32.H15-260213-0001")
    assert "statuses (N-8) 1 > 2 > 4 > 9" in s
    assert "ended Fri 13/03/2026 10:00: early" in s
    assert "head-000.00.32.H15         Wed 25/02/2026 00:00 Wed 25/02/2026 11:00 Wed 25/02/2026 09:00 on time" in s
