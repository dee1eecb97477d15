"""`motcua demo` (issue 11): a fresh database, processes/ published, each folder's scenario driven to
its end on a manual clock from Friday 13 Feb 2026 15:30 across Tết; exit 0 only when every dossier
ended; deterministic output for a given start.

HKD-01's scenario (cli/demo/scenarios/hkd_01.py) worked by hand (calendar 07:00-11:30, 13:30-17:00,
Monday-Friday; Tết 16-20 Feb 2026 off; 3 working days = 24 working hours):
- A, desk, Fri 15:30: Fri 1.5 h + Mon 23 8 + Tue 24 8 + Wed 25 4.5 (07:00-11:30) + 2 -> Wed 25 Feb
  15:30 on the receipt; paused Mon 23 14:00 -> Wed 25 09:00 (3 + 8 + 2 = 13 h) -> Fri 27 Feb 10:30;
  apology: Tue 03 Mar 10:30. Processed Mon 2 Mar 15:00: late against Fri 27 10:30 (N-7), early
  against the new appointment.
- B, postal, Fri 16:00: Fri 1 + Mon 8 + Tue 8 + Wed 07:00-11:30 4.5 (21.5) + 13:30-16:00 2.5 -> Wed
  25 Feb 16:00; fee asked and paid, refused Tue 24 11:00 (early), fee refunded.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cli.demo import runner
from cli.main import main

ROOT = Path(__file__).resolve().parents[2]


def hkd(out: str, label: str) -> str:
    """The code of the dossier the HKD-01 story calls `label` (A, B): not fixed here, as other
    procedures of the agency may register dossiers the same day."""
    story = out[out.index("== HKD-01: scenario hkd_01.py"):]
    code = re.search(rf"  {label} (\S+): ", story).group(1)
    assert code.startswith("000.00.12.H15-260213-")  # N-1: agency, receipt day, sequence
    return code


def section(out: str, code: str) -> str:
    """The lines printed for one dossier (up to the next dossier or procedure)."""
    start = out.index(f"  dossier {code}")
    ends = [i for i in (out.find("\n  dossier ", start + 1), out.find("\n== ", start + 1)) if i != -1]
    return out[start:min(ends, default=len(out))]


@pytest.fixture(scope="module")
def full_run() -> tuple[int, str]:
    """One in-process run of the whole demo (every folder of processes/), shared by the tests here."""
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["demo"])
    return code, buf.getvalue()


def test_demo_ends_every_dossier_and_exits_0(full_run):
    code, out = full_run
    assert code == 0, out
    assert "FAILED" not in out and out.rstrip().endswith("all ended")
    # Every dossier printed reached an end (N-8: 3, 7, 8, 9 or 10).
    statuses = [line.split()[1] for line in out.splitlines() if line.startswith("    status ")]
    assert statuses and all(s in {"3", "7", "8", "9", "10"} for s in statuses), statuses


def test_hkd01_supplement_apology_and_result(full_run):
    a = section(full_run[1], hkd(full_run[1], "A"))
    assert "status 10 returned\n" in a
    assert "statuses (N-8) 1 > 2 > 4 > 5 > 4 > 9 > 10" in a
    assert "appointment Tue 03/03/2026 10:30 (apology; was Fri 27/02/2026 10:30)" in a
    assert "ended Mon 02/03/2026 15:00: late (against the new appointment: early)" in a
    assert "paused (supplement, N-4) Mon 23/02/2026 14:00 -> Wed 25/02/2026 09:00" in a
    # handed in at 15:30, received at the desk at 15:45 (the slip then, N-8; counted from 15:30, R-3.4)
    assert "notification received               Fri 13/02/2026 15:45  appointment Wed 25/02/2026 15:30" in a
    assert "notification apology" in a and "new_appointment Tue 03/03/2026 10:30" in a
    # The control sheet: the appraisal after the supplement was late against its step deadline.
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in a
    assert ("Thẩm định hồ sơ                          cv-000.00.12.H15           Wed 25/02/2026 09:00 "
            "Thu 26/02/2026 11:00 Mon 02/03/2026 09:00 late") in a


def test_hkd01_fee_refusal_and_refund(full_run):
    b = section(full_run[1], hkd(full_run[1], "B"))
    assert "channel postal [3]" in b
    assert "status 8 stopped (refused): Ngành, nghề đăng ký thuộc danh mục cấm đầu tư kinh doanh" in b
    assert "statuses (N-8) 1 > 2 > 4 > 6 > 4 > 8" in b
    assert "appointment Wed 25/02/2026 16:00\n" in b
    assert "ended Tue 24/02/2026 11:00: early; fee 100.000 VND, paid, refunded" in b
    assert "notification refunded" in b and "amount 100000" in b


def test_the_command_as_a_subprocess_prints_the_same(full_run):
    """The installed command, as a user runs it: same exit code, same text (no wall clock in it)."""
    motcua = Path(sys.executable).with_name("motcua")
    done = subprocess.run([str(motcua), "demo"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == full_run[0] == 0, done.stderr
    assert done.stdout == full_run[1]


def _processes(tmp_path: Path, monkeypatch, *folders: str) -> Path:
    """A processes/ of its own holding copies of HKD-01 under the given folder names (and codes)."""
    processes = tmp_path / "processes"
    for name in folders:
        shutil.copytree(ROOT / "processes" / "HKD-01", processes / name)
        toml = processes / name / "procedure.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('code = "HKD-01"', f'code = "{name}"'),
                        encoding="utf-8")
    monkeypatch.setenv("MOTCUA_PROCESSES_DIR", str(processes))
    return processes


def _scenarios(tmp_path: Path, monkeypatch, package: str, source: str) -> None:
    """A scenario package of its own with `source` as HKD-01's scenario."""
    pkg = tmp_path / package
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "hkd_01.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(runner, "SCENARIO_PACKAGE", package)


def test_a_scenario_that_raises_fails_the_demo(tmp_path, monkeypatch, capsys):
    _processes(tmp_path, monkeypatch, "HKD-01")
    _scenarios(tmp_path, monkeypatch, "demo_raises", (
        "def run(demo):\n"
        "    d = demo.register({'name': 'An'})\n"
        "    demo.complete(d, 'appraise', {})\n"))
    assert main(["demo"]) == 1
    out, err = capsys.readouterr()
    assert "FAILED: scenario failed at Fri 13/02/2026 15:30: DemoError: dossier " in out
    assert "has no ready task 'appraise'; ready: receive@000.00.12.H15" in out
    assert "status 1 new" in out  # the dossier it left behind is still reported
    assert "a procedure or scenario failed" in err


def test_a_dossier_left_open_fails_the_demo(tmp_path, monkeypatch, capsys):
    _processes(tmp_path, monkeypatch, "HKD-01")
    _scenarios(tmp_path, monkeypatch, "demo_open", (
        "def run(demo):\n"
        "    d = demo.register({'name': 'An'})\n"
        "    demo.complete(d, 'receive', {'outcome': 'receive'})\n"))
    assert main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: dossier 000.00.12.H15-260213-0001 did not end: status 4 processing, waiting for " \
           "Chuyển hồ sơ đến cơ quan giải quyết" in out


def test_a_folder_without_scenario_is_published_and_not_a_failure(tmp_path, monkeypatch, capsys):
    _processes(tmp_path, monkeypatch, "XX-99")
    assert main(["demo", "--start", "2026-12-01T09:00"]) == 0
    out = capsys.readouterr().out
    assert "XX-99          XX-99 published (Đăng ký thành lập hộ kinh doanh)" in out
    assert "== XX-99: no scenario" in out
    assert out.rstrip().endswith("1 procedure(s): 0 scenario(s) run, 0 dossier(s); no scenario: XX-99; all ended")


def test_a_folder_that_does_not_load_fails_the_demo(tmp_path, monkeypatch, capsys):
    processes = _processes(tmp_path, monkeypatch, "XX-99")
    (processes / "XX-99" / "procedure.toml").write_text('code = "XX-99"\n')  # no name, agency, days…
    assert main(["demo"]) == 1
    out = capsys.readouterr().out
    assert "XX-99          NOT published" in out and "FAILED: does not load: " in out


def test_unknown_folder_and_used_database_are_refused(tmp_path, capsys):
    assert main(["demo", "--procedures", "NO-SUCH"]) == 1
    assert "no procedure folder NO-SUCH" in capsys.readouterr().err
    used = tmp_path / "used.db"
    used.write_bytes(b"x")
    assert main(["demo", "--database", str(used), "--procedures", "HKD-01"]) == 1
    assert "needs a fresh database" in capsys.readouterr().err
    assert used.read_bytes() == b"x"  # untouched


def test_database_is_kept_when_asked(tmp_path, capsys):
    kept = tmp_path / "demo.db"
    assert main(["demo", "--database", str(kept), "--procedures", "HKD-01"]) == 0
    assert kept.stat().st_size > 0
    assert f"the database is kept in {kept}" in capsys.readouterr().err


def test_readme_tour_opens_with_the_demo():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = text[text.index("## A 5-minute tour"):]
    first_block = tour[tour.index("```sh\n") + len("```sh\n"): tour.index("```\n", tour.index("```sh\n") + 1)]
    assert first_block.splitlines() == ["python3 dev.py demo"]


def procedure(out: str, folder: str) -> str:
    """What the demo printed for one procedure folder (its story, dossiers and control sheets)."""
    start = out.index(f"\n== {folder}: ")
    end = out.find("\n== ", start + 1)
    return out[start:end if end != -1 else len(out)]


def test_the_issue_s_events_happen_somewhere(full_run):
    """Issue 11: a supplement, a consultation answered late, an apology with a new appointment, a
    refusal and a fee refund, among the scenarios."""
    out = full_run[1]
    assert "notification supplement_requested" in out and "notification apology" in out
    assert "(refused): " in out and "notification refunded" in out
    if "== GPXD-01: scenario" in out:  # the construction permit's scenario has the consultations
        consult = [line for line in procedure(out, "GPXD-01").splitlines() if "Cho ý kiến" in line]
        assert "late" in [line.split()[-1] for line in consult]
