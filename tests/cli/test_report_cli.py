"""`motcua reports …`: CSV with a BOM so spreadsheets show Vietnamese, and JSON (R-5.4, N-2)."""
from __future__ import annotations

import csv
import io
import json

import pytest

from tests.support.cli import point_at, run
from tests.support import report_data as data
from tests.support.report_data import A


@pytest.fixture
def env(clean_db, dirs, monkeypatch, services):
    point_at(monkeypatch, clean_db, dirs)
    data.load(services.ctx.uow)


# The command line runs on the system clock: October 2026 has ended whatever day the test runs,
# so its as-of instant is 1 Nov 00:00 +07:00. October, agency A: received 8, 9 = 2; finished 12
# (late) = 1; open on 1 Nov: 8, 9 = 2, none late yet (8 due 3 Nov, 9 due 15 Nov).

def test_ontime_csv_opens_in_a_spreadsheet_with_diacritics(env, capsys, tmp_path):
    out = tmp_path / "ontime.csv"
    code, _, err = run(capsys, "reports", "ontime", "--period", "2026-10", "--output", str(out))
    assert code == 0, err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0])[:6] == ["period", "agency_id", "agency_name", "procedure_code", "procedure_name", "field"]
    assert rows[0]["agency_name"] == "Phòng Kinh tế"
    assert {k: rows[0][k] for k in ("agency_id", "received", "finished", "late", "open", "open_late",
                                     "on_time_rate")} == {
        "agency_id": A, "received": "2", "finished": "1", "late": "1", "open": "2", "open_late": "0",
        "on_time_rate": "0.00"}
    assert rows[-1]["period"] == "total" and rows[-1]["received"] == "2"


def test_register_csv_and_json(env, capsys):
    code, out, _ = run(capsys, "reports", "register", "--period", "2026-10")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert [r["code"] for r in rows] == [f"{A}-0009", f"{A}-0008"]  # received 20 Oct, then 28 Oct
    assert rows[0]["applicant_name"] == "Nguyễn Thị Hồ Sơ 9"
    assert (rows[0]["status"], rows[0]["status_code"], rows[0]["channel_code"]) == ("processed", "9", "1")
    assert rows[0]["received_at"] == "2026-10-20T09:00:00+07:00"
    code, out, _ = run(capsys, "reports", "register", "--period", "2026-10", "--format", "json")
    assert json.loads(out)["rows"][1]["procedure_name"] == "Đăng ký thành lập hộ kinh doanh"


def test_indicators_and_ranking_json(env, capsys, tmp_path):
    code, out, _ = run(capsys, "reports", "indicators", "--period", "2026-11-01..2026-11-30", "--format", "json")
    assert code == 0
    got = json.loads(out)
    assert got["rows"][0]["values"]["online_share"]["value"] == pytest.approx(40.0)  # A: 4 of 10
    assert got["rows"][0]["values"]["composite"]["value"] == pytest.approx(100 - 100 * 2 / 6)  # late 2/6, no complaint
    assert got["rows"][0]["values"]["satisfaction"]["value"] is None  # no rating given in November
    points = tmp_path / "points.toml"
    points.write_text("[points]\naverage_handling_days = 10\n")
    code, out, _ = run(capsys, "reports", "ranking", "--period", "2026-11", "--points", str(points), "--format", "json")
    assert code == 0
    assert [r["agency_id"] for r in json.loads(out)["rows"]] == [data.B, A]  # B's average 4.0 days < A's 4.875
    points.write_text("[points]\non_time_rate = 30\n")
    code, _, err = run(capsys, "reports", "ranking", "--period", "2026-11", "--points", str(points))
    assert code == 1 and "progress group's points add up to 30" in err


def test_bad_period_is_one_line(env, capsys):
    code, _, err = run(capsys, "reports", "ontime", "--period", "2026-13")
    assert code == 1 and "month 13 does not exist" in err
