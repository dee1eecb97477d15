"""processes/HKD-01 walked to each of its ends through the lifecycle (issue 9): reception outcomes,
forwarding (R-3.3, N-3), a supplement pause (N-4), refusal after appraisal (R-4.6), result (R-6.1).

Calendar: the shipped one (07:00-11:30, 13:30-17:00, Monday to Friday). HKD-01: 3 statutory
working days, competent agency 000.00.12.H15."""
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.procedures.library import load_procedure
from engine.services.errors import InvalidInput

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[3]


def at(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=VN)


@pytest.fixture
def hkd(services):
    services.procedures.add_version(load_procedure(ROOT / "processes" / "HKD-01", ROOT / "forms"))
    services.procedures.publish("HKD-01")  # in effect from the fixture clock, Thu 26 Nov 2026
    services.accounts.add("cv", "000.00.12.H15", ["official"], password="mật-khẩu-đủ-dài-1")
    return services


def task(services, dossier_id, element):
    [t] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return t


def do(services, clock, dossier_id, element, data=None, hours=1):
    clock.advance(timedelta(hours=hours))
    return services.dossiers.complete_task(task(services, dossier_id, element).task_id, data or {}, "u")


def codes(view):
    return [e["detail"]["status_code"] for e in view.events if e["kind"] == "status"]


def test_paper_dossier_after_15h_supplement_pause_and_result(hkd, clock):
    services = hkd
    # Received at the desk Thu 3 Dec 2026 15:30. Appointment: 3 working days = 24 h from 15:30:
    # Thu 15:30-17:00 (1.5), Fri (8), Mon (8) -> 17.5, Tue 07:00-11:30 (4.5) -> 22, 13:30-15:30 (2)
    # -> Tue 8 Dec 15:30.
    clock.set(at(2026, 12, 3, 15, 30))
    d = services.dossiers.start("HKD-01", applicant={"name": "Nguyễn Văn A", "id_number": "001200012345"})
    assert (d.status, d.status_code, d.channel_code) == ("new", 1, 1)  # waits for reception
    assert d.code.startswith("000.00.12.H15-261203-")
    do(services, clock, d.id, "receive", {"outcome": "receive"}, hours=0.25)
    view = services.dossiers.get(d.id)
    assert (view.status, view.status_code, view.due_at) == ("processing", 4, at(2026, 12, 8, 15, 30))
    assert codes(view) == [1, 2, 4]
    # N-3: paper received after 15:00 is forwarded from the start of the next working day: the
    # forwarding step counts 8 working hours from Fri 4 Dec 07:00 -> Fri 17:00.
    assert task(services, d.id, "forward").due_at == at(2026, 12, 4, 17)
    do(services, clock, d.id, "forward", hours=0.25)  # Thu 16:00
    do(services, clock, d.id, "assign", {"official": "cv"}, hours=16)  # Fri 08:00
    # Appraisal asks for a supplement Fri 09:00; the head approves 10:00; the desk sends it 11:00.
    do(services, clock, d.id, "appraise", {"conclusion": "supplement", "opinion": "thiếu",
                                          "missing": ["Bản sao CCCD chủ hộ"], "reason": "chưa có"})
    do(services, clock, d.id, "approve_supplement", {"approved": True})
    done = do(services, clock, d.id, "send_supplement")
    assert done.status == "supplement_requested"
    view = services.dossiers.get(d.id)
    assert (view.status_code, view.paused_since) == (5, at(2026, 12, 4, 11))
    notice = [e for e in view.events if e["kind"] == "notice.supplement_requested"][0]
    assert notice["detail"]["missing"] == ["Bản sao CCCD chủ hộ"]  # from the appraisal, in one go
    # The applicant supplements Mon 7 Dec 11:00: paused Fri 11:00 -> Mon 11:00 = Fri 11:00-11:30
    # (0.5) + 13:30-17:00 (3.5) + Mon 07:00-11:00 (4) = 8 working hours: the appointment moves from
    # Tue 8 Dec 15:30 by 8 h -> Wed 9 Dec 15:30 (N-4).
    clock.set(at(2026, 12, 7, 11))
    services.messages.deliver_as(_Desk(), d.id, "supplement_received", {})
    view = services.dossiers.get(d.id)
    assert (view.status_code, view.paused_since, view.due_at) == (4, None, at(2026, 12, 9, 15, 30))
    do(services, clock, d.id, "appraise", {"conclusion": "approve", "opinion": "đủ điều kiện"})
    do(services, clock, d.id, "approve", {"approved": True})
    done = do(services, clock, d.id, "receive_result")  # Mon 14:00
    assert done.status == "processed"
    # Finished Mon 7 Dec, due Wed 9 Dec: an earlier day -> early (N-7), stored on the dossier.
    do(services, clock, d.id, "return_result", {"return_channel": "postal", "tracking_number": "EMS1"})
    view = services.dossiers.get(d.id)
    assert (view.status, view.status_code, view.timeliness, view.tracking_number) == ("returned", 10, "early", "EMS1")
    assert codes(view) == [1, 2, 4, 5, 4, 9, 10]
    assert view.current_tasks == []


def test_refusal_after_appraisal_ends_status_8_with_reason_never_processed(hkd, clock):
    services = hkd
    clock.set(at(2026, 12, 1, 9))  # Tue 09:00: due Fri 4 Dec 09:00
    d = services.dossiers.start("HKD-01", applicant={"name": "Trần Thị B"})
    do(services, clock, d.id, "receive", {"outcome": "receive"})
    do(services, clock, d.id, "forward")
    do(services, clock, d.id, "assign", {"official": "cv"})
    do(services, clock, d.id, "appraise", {"conclusion": "refuse", "opinion": "x",
                                          "reason": "ngành nghề kinh doanh bị cấm"})
    do(services, clock, d.id, "approve_refusal", {"approved": True})
    done = do(services, clock, d.id, "send_refusal")  # Tue 15:00 (6 h later)
    assert done.status == "stopped" and done.current_tasks == []
    view = services.dossiers.get(d.id)
    assert (view.status_code, view.outcome, view.status_reason) == (8, "refused", "ngành nghề kinh doanh bị cấm")
    assert view.timeliness == "early" and 9 not in codes(view)  # never counted as processed


def test_reception_guidance_and_refusal_end_the_dossier_not_received(hkd, clock):
    services = hkd
    d = services.dossiers.start("HKD-01")
    with pytest.raises(InvalidInput) as err:  # guidance lists what is missing and why
        do(services, clock, d.id, "receive", {"outcome": "guide"})
    assert {f for f, _ in err.value.problems} >= {"missing", "reason"}
    do(services, clock, d.id, "receive", {"outcome": "guide", "missing": ["Giấy đề nghị"], "reason": "thiếu"})
    view = services.dossiers.get(d.id)
    assert (view.status_code, view.outcome, view.timeliness) == (3, "not_accepted", None)
    assert [e["detail"]["missing"] for e in view.events if e["kind"] == "notice.guidance"] == [["Giấy đề nghị"]]
    e = services.dossiers.start("HKD-01")
    do(services, clock, e.id, "receive", {"outcome": "refuse", "reason": "không thuộc thẩm quyền"})
    view = services.dossiers.get(e.id)
    assert (view.status_code, view.status_reason) == (3, "không thuộc thẩm quyền")


class _Desk:
    """A sender for the paper supplement handed in at the desk (the applicants' API brings its own)."""

    actor = "desk"

    def check(self, dossier):
        return None
