"""`motcua demo` runs PAKN-01's scenario (cli/demo/scenarios/pakn_01.py): three feedback cases, each
an instance of PAKN-01 v1, across Tết 2026 (R-7.2; figures worked by hand in the scenario's
docstring: calendar 07:00-11:30, 13:30-17:00 Monday-Friday, Tết 16-20 Feb 2026 off)."""
import contextlib
import io

import pytest

from cli.main import main


@pytest.fixture(scope="module")
def run() -> tuple[int, str]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo", "--procedures", "PAKN-01"])
    return code, buf.getvalue()


def case(out: str, code: str) -> str:
    start = out.index(f"  feedback {code}")
    end = out.find("\n  feedback ", start + 1)
    return out[start:end if end != -1 else len(out)]


def test_the_feedback_scenario_answers_its_cases(run):
    code, out = run
    assert code == 0, out
    assert "no scenario" not in out
    assert out.rstrip().endswith("1 procedure(s): 1 scenario(s) run, 0 dossier(s), 3 feedback case(s); all ended")


def test_a_phone_call_entered_in_time_and_answered_early(run):
    a = case(run[1], "PAKN-000.00.12.H15-260213-0001")
    assert "(PAKN-01 v1, channel phone, sender Phạm Thị Dung)" in a
    # 8 working hours from Fri 13 Feb 14:00: Fri 3 h + Mon 23 Feb (after Tết) 4.5 h + 0.5 h = Mon 14:00
    assert "entered Fri 13/02/2026 15:45 (due Mon 23/02/2026 14:00)," in a
    assert "answer due Wed 11/03/2026 14:00" in a and "answered Wed 25/02/2026 10:00: early" in a


def test_a_letter_entered_after_tet_is_flagged_and_answered_on_day_14_late(run):
    b = case(run[1], "PAKN-000.00.12.H15-260213-0002")
    # Fri 13 Feb 10:00 + 8 h: Fri 1.5 + 3.5 h, Mon 23 Feb 07:00-10:00 (3 h) = Mon 23 Feb 10:00
    assert "entered Mon 23/02/2026 15:00 (due Mon 23/02/2026 10:00: LATE)" in b
    assert "answer due Wed 11/03/2026 10:00" in b and "answered Thu 12/03/2026 09:00: late" in b


def test_online_feedback_has_no_entry_and_is_answered_on_its_due_day(run):
    c = case(run[1], "PAKN-000.00.12.H15-260223-0001")
    assert "channel online" in c and "entered" not in c.split("timeline:")[0]
    # Mon 23 Feb 09:00 + 13 working days: 24-27 Feb (4), 2-6 Mar (5), 9-12 Mar (4) = Thu 12 Mar 09:00
    assert "answer due Thu 12/03/2026 09:00" in c and "answered Thu 12/03/2026 08:30: on time" in c
