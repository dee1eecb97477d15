"""docs/analyst-guide.md is real: its procedure validates with the report it shows, then goes the
whole way through the review to a running dossier and a repeal (issue 12)."""
import re
from datetime import date, datetime
from pathlib import Path

import pytest

from engine.domain.procedure_version import Decision, ProcedureRepealed
from engine.services.drafts import setup_due
from tests.conftest import VN

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "analyst-guide.md").read_text(encoding="utf-8")
PASSWORD = "mật-khẩu-đủ-dài-1"


def block(name: str) -> str:
    return re.search(rf"<!-- guide: {re.escape(name)} -->\n```\w*\n(.*?)```", GUIDE, re.S).group(1)


def test_the_guide_example_from_validation_to_repeal(services, clock):
    for user, roles in {"desk": ["one_stop_officer"], "an": ["official"], "chi": ["approver"], "ana": ["analyst"]}.items():
        services.accounts.add(user, "000.00.12.H15", roles, password=PASSWORD)
    services.accounts.add("kiem", "000.00.00.H00", ["control_office"], password=PASSWORD)
    ana, kiem = services.accounts.official("ana"), services.accounts.official("kiem")
    forms = {p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")}
    toml, bpmn = block("procedure.toml").encode(), block("GUIDE-01.bpmn")

    # the first draft of section 2: a two-day appraisal and a misspelt condition
    first = (bpmn.replace('name="workingHours" value="12"', 'name="workingDays" value="2"')
             .replace(">recommendation ==", ">recomendation =="))
    report = services.drafts.check({"procedure.toml": toml, "GUIDE-01.bpmn": first.encode()}, forms, "GUIDE-01")
    assert report.text() + "\n" == block("first report")

    outcome = services.drafts.push(ana, "GUIDE-01", {"procedure.toml": toml, "GUIDE-01.bpmn": bpmn.encode()}, forms)
    assert (outcome.outcome, outcome.version, outcome.report.problems) == ("created", 1, [])
    services.drafts.submit(ana, "GUIDE-01")
    services.drafts.publish(kiem, "GUIDE-01", None, Decision("1234/QĐ-UBND", date(2026, 11, 26)))
    # "a decision of Thursday 26 Nov 2026 is due by Tuesday 1 Dec 2026 17:00"
    assert "Thursday 26 Nov 2026 is due by Tuesday 1 Dec 2026 17:00" in GUIDE
    assert setup_due(date(2026, 11, 26), 3, services.ctx.calendars()) == datetime(2026, 12, 1, 17, tzinfo=VN)

    dossier = services.dossiers.start("GUIDE-01")
    [receive] = dossier.current_tasks
    after = services.dossiers.complete_task(receive.task_id, {"complete": True}, "desk")
    [appraise] = after.current_tasks
    after = services.dossiers.complete_task(appraise.task_id, {"recommendation": "approve", "opinion": "Đủ điều kiện"}, "an")
    assert [(t.element_id, t.candidate_role) for t in after.current_tasks] == [("approve", "approver")]

    services.drafts.repeal(kiem, "GUIDE-01", Decision("99/QĐ-UBND", date(2026, 11, 26)))
    with pytest.raises(ProcedureRepealed, match="99/QĐ-UBND"):
        services.dossiers.start("GUIDE-01")
