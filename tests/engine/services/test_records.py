"""Slips and records (N-2): each kind built from the dossier's notices, rendered as A5 HTML and JSON."""
import unicodedata
from datetime import datetime, timedelta

import pytest

from engine.domain.access import Official
from engine.services.errors import NotFound
from engine.services.records import Person
from engine.slips import render_html
from tests.conftest import VN
from tests.support.bpmn import Process, sequential, write_procedure
from tests.support.lifecycle import change

DESK = Official("desk1", "000.00.12.H15", frozenset({"one_stop_officer", "official"}), "Trần Thị Bình")
OTHER = Official("other", "000.00.12.H99", frozenset({"one_stop_officer"}))
APPLICANT = {"name": "Nguyễn Văn An", "phone": "0905123456", "address": "Số 5, đường Lê Lợi, phường Hải Châu"}


@pytest.fixture
def publish(services, dirs):
    def publish(code="P", steps=1, **meta):
        processes, forms = dirs
        write_procedure(processes, code, sequential(steps), forms_dir=forms, **meta)
        services.procedures.sync()
        services.procedures.publish(code)
        return code
    return publish


def html_of(services, dossier_id, kind, **kw):
    record = services.records.get_for(DESK, dossier_id, kind, **kw)
    return record, render_html(record, VN)


def check_page(html, code):
    """Every page: the dossier code, UTF-8 Vietnamese in composed form (NFC), an A5 page."""
    assert f"Mã hồ sơ: {code}" in html
    assert '<meta charset="utf-8">' in html and "size: A5" in html
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html and "Độc lập - Tự do - Hạnh phúc" in html
    assert unicodedata.is_normalized("NFC", html)
    html.encode("utf-8")


def test_receipt_slip_names_the_appointment_counted_from_the_next_working_hour(services, publish, clock):
    publish(statutory_days=5, agency_name="Phòng Kinh tế, Ủy ban nhân dân xã")
    clock.set(datetime(2026, 11, 27, 17, 30, tzinfo=VN))  # Friday, after working hours
    d = services.dossiers.start("P", applicant=APPLICANT, actor="desk1")
    record, html = html_of(services, d.id, "receipt")
    check_page(html, d.code)
    # the count starts Monday 30 Nov 07:00; 5 working days: Mon 30, Tue 1, Wed 2, Thu 3 and
    # Fri 4 Dec used up -> Friday 4 Dec 17:00 (a count ending at a period's start ends at the previous end).
    assert record.body.appointment == datetime(2026, 12, 4, 17, 0, tzinfo=VN)
    assert "Ngày hẹn trả kết quả: 04/12/2026 17:00" in html
    assert "Thời điểm tiếp nhận</dt><dd>27/11/2026 17:30" in html
    assert "Thời hạn tính từ</dt><dd>30/11/2026 07:00" in html
    assert "5 ngày làm việc" in html and "Nguyễn Văn An" in html and "Phòng Kinh tế, Ủy ban nhân dân xã" in html
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in html
    data = record.to_json(VN)
    assert (data["kind"], data["dossier_code"], data["appointment"], data["counted_from"]) == (
        "receipt", d.code, "2026-12-04T17:00:00+07:00", "2026-11-30T07:00:00+07:00")
    assert data["dossier"]["applicant"]["name"] == "Nguyễn Văn An"


def test_a_result_on_the_spot_has_no_receipt_slip_unless_asked(services, publish):
    publish(statutory_days=0, result_on_the_spot=True)
    d = services.dossiers.start("P", applicant=APPLICANT, actor="desk1")
    with pytest.raises(NotFound, match="on the spot.*R-3.5"):
        services.records.get_for(DESK, d.id, "receipt")
    record, html = html_of(services, d.id, "receipt", requested=True)
    check_page(html, d.code)
    assert record.body.on_the_spot and "theo yêu cầu của người nộp hồ sơ" in html


def test_supplement_request_lists_everything_missing_in_one_go(services, publish, clock):
    publish(statutory_days=5)
    d = services.dossiers.start("P", applicant=APPLICANT)
    clock.advance(timedelta(hours=2))
    missing = ["Bản sao Căn cước công dân", "Giấy ủy quyền có chứng thực"]
    change(services, d.id, lambda x, now, cal: x.request_supplement(now, missing, "Hồ sơ còn thiếu giấy tờ", cal),
           actor="chuyenvien")
    record, html = html_of(services, d.id, "supplement")
    check_page(html, d.code)
    assert record.body.missing == missing and record.body.stage == "appraisal"
    assert "<li>Bản sao Căn cước công dân</li>" in html and "<li>Giấy ủy quyền có chứng thực</li>" in html
    assert "Hồ sơ còn thiếu giấy tờ" in html and "26/11/2026 11:00" in html
    assert "không tính vào thời hạn giải quyết" in html  # N-4: the clock pauses
    assert record.to_json(VN)["issued_by"] == {"username": "chuyenvien", "name": None}


def test_refusal_after_appraisal_is_the_written_refusal(services, publish, clock):
    publish(statutory_days=5)
    d = services.dossiers.start("P", applicant=APPLICANT)
    clock.advance(timedelta(days=1))
    change(services, d.id, lambda x, now, cal: x.refuse(now, "Ngành nghề kinh doanh không được phép", cal))
    record, html = html_of(services, d.id, "refusal")
    check_page(html, d.code)
    assert record.body.stage == "appraisal" and "Thông báo từ chối giải quyết hồ sơ" in html
    assert "Ngành nghề kinh doanh không được phép" in html and "27/11/2026 09:00" in html


def test_apology_names_the_old_and_the_new_appointment(services, publish, clock):
    publish(statutory_days=5)
    d = services.dossiers.start("P", applicant=APPLICANT)  # Thu 26 Nov 09:00
    with pytest.raises(NotFound, match="never re-appointed"):
        services.records.get_for(DESK, d.id, "apology")
    clock.set(datetime(2026, 11, 30, 9, 0, tzinfo=VN))  # Monday: more than 1 working day before Thu 3 Dec
    new = datetime(2026, 12, 8, 17, 0, tzinfo=VN)
    change(services, d.id, lambda x, now, cal: x.reappoint(now, new, "Phải xin ý kiến Sở Tài chính", cal))
    record, html = html_of(services, d.id, "apology")
    check_page(html, d.code)
    # The original appointment: 5 working days from Thu 26 Nov 09:00 -> Thu 3 Dec 09:00.
    assert (record.body.previous_appointment, record.body.new_appointment) == (
        datetime(2026, 12, 3, 9, 0, tzinfo=VN), new)
    assert "Ngày hẹn trước đây</dt><dd>03/12/2026 09:00" in html
    assert "Hẹn lại ngày trả kết quả: 08/12/2026 17:00" in html and "xin lỗi" in html
    # The receipt slip still says what the applicant was given at reception.
    assert services.records.get_for(DESK, d.id, "receipt").body.appointment == datetime(2026, 12, 3, 9, 0, tzinfo=VN)


def test_notice_of_stopping(services, publish, clock):
    publish()
    d = services.dossiers.start("P", applicant=APPLICANT)
    with pytest.raises(NotFound, match="not stopped"):
        services.records.get_for(DESK, d.id, "stop")
    change(services, d.id, lambda x, now, cal: x.stop(now, "Người nộp đề nghị dừng", cal))
    record, html = html_of(services, d.id, "stop")
    check_page(html, d.code)
    assert "Thông báo dừng giải quyết hồ sơ" in html and "Người nộp đề nghị dừng" in html
    with pytest.raises(NotFound, match="not refused"):  # stopped is not a refusal
        services.records.get_for(DESK, d.id, "refusal")


def test_process_control_sheet_lists_every_step(services, publish, clock):
    publish(steps=2, statutory_days=5)
    services.accounts.add("cv1", "000.00.12.H15", ["official"], display_name="Lê Văn Cường",
                          password="Mat-khau-tam-1")
    d = services.dossiers.start("P", applicant=APPLICANT)  # Thu 26 Nov 09:00
    clock.advance(timedelta(hours=1))
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "cv1")
    record, html = html_of(services, d.id, "control")
    check_page(html, d.code)
    first, second = record.body.steps
    # Step 0: received 09:00, 8 working hours -> Fri 27 Nov 09:00; done 10:00 the same day: early.
    assert (first.who.username, first.received_at, first.due_at, first.done_at, first.timeliness) == (
        "cv1", datetime(2026, 11, 26, 9, 0, tzinfo=VN), datetime(2026, 11, 27, 9, 0, tzinfo=VN),
        datetime(2026, 11, 26, 10, 0, tzinfo=VN), "early")
    # Step 1: received 10:00, due Fri 27 Nov 10:00, still open.
    assert (second.done_at, second.due_at, second.timeliness) == (None, datetime(2026, 11, 27, 10, 0, tzinfo=VN),
                                                                  None)
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in html
    assert "<td>26/11/2026 09:00</td>" in html and "<td>27/11/2026 09:00</td>" in html
    assert "Trước hạn" in html and "Đang xử lý" in html and "Lê Văn Cường (cv1)" in html
    assert "Ngày hẹn trả kết quả</dt><dd>03/12/2026 09:00" in html
    steps = record.to_json(VN)["steps"]
    assert steps[0]["done_at"] == "2026-11-26T10:00:00+07:00" and steps[0]["timeliness"] == "early"


def test_typed_text_never_becomes_markup(services, publish, clock):
    publish()
    d = services.dossiers.start("P", applicant={"name": "<script>alert('x')</script>Lê Thị Hoa"})
    change(services, d.id, lambda x, now, cal: x.stop(now, '<img src=x onerror="alert(1)"> & lý do', cal))
    _, html = html_of(services, d.id, "stop")
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;Lê Thị Hoa" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; lý do" in html


def test_records_follow_the_dossier_views_visibility(services, publish):
    publish()
    d = services.dossiers.start("P")
    with pytest.raises(NotFound, match=f"dossier {d.id} does not exist"):
        services.records.get_for(OTHER, d.id, "control")
    with pytest.raises(NotFound, match="no record kind 'receipts'"):
        services.records.get_for(DESK, d.id, "receipts")


def test_reception_guidance_and_refusal_slips(services, dirs, clock):
    """A diagram whose reception step guides the applicant (R-3.2) and then ends: the dossier is
    not accepted (status 3, dossier_store); both slips are the reception's, not the appraisal's."""
    processes, forms = dirs
    p = (Process("p").start()
         .element('<bpmn:userTask id="reception" name="Tiếp nhận"><bpmn:extensionElements><spiffworkflow:properties>'
                  '<spiffworkflow:property name="lifecycle" value="reception"/>'
                  '<spiffworkflow:property name="formJsonSchemaFilename" value="reception-r.json"/>'
                  '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>', id="reception",
                  lane="Một cửa [one_stop_officer]")
         .end().chain("start", "reception", "end"))
    # A reception step's form lists its outcome and what guidance and refusal need (checked at load).
    reception = {"type": "object", "required": ["outcome"],
                 "properties": {"outcome": {"enum": ["receive", "guide", "refuse"]},
                                "missing": {"type": "array", "items": {"type": "string"}}, "reason": {"type": "string"}}}
    write_procedure(processes, "R", p, forms_dir=forms, statutory_days=5, forms={"reception-r.json": reception})
    [entry] = services.procedures.sync()
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("R")
    d = services.dossiers.start("R", applicant=APPLICANT)
    with pytest.raises(NotFound, match="never received"):
        services.records.get_for(DESK, d.id, "receipt")
    clock.advance(timedelta(minutes=30))
    missing = ["Tờ khai theo mẫu", "Bản sao giấy chứng nhận quyền sử dụng đất"]
    services.dossiers.complete_task(d.current_tasks[0].task_id,
                                    {"outcome": "guide", "missing": missing, "reason": "Hồ sơ chưa đầy đủ"}, "desk1")
    record, html = html_of(services, d.id, "supplement")
    check_page(html, d.code)
    assert (record.body.stage, record.body.missing, record.body.reason) == ("reception", missing, "Hồ sơ chưa đầy đủ")
    assert "Tiếp nhận hồ sơ" in html and record.body.issued_by == Person("desk1", None)
    record, html = html_of(services, d.id, "refusal")
    check_page(html, d.code)
    assert record.body.stage == "reception" and "Phiếu từ chối tiếp nhận giải quyết hồ sơ" in html
    with pytest.raises(NotFound, match="never received"):  # not accepted (3): no appointment was ever made
        services.records.get_for(DESK, d.id, "receipt")
