"""Notices rendered from the Vietnamese templates (R-3.1, R-3.2, R-4.6, R-6, N-6): one template per
notice kind, diacritics intact, times in Vietnam's zone written the Vietnamese way."""
import unicodedata
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.domain.dossier import NoticeKind
from engine.notifications.render import TemplateMissing, render_notice, vnd, when, when_short

VN = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 12, 7, 1, 30, tzinfo=timezone.utc)  # 08:30 on Monday 7 December 2026 in Vietnam
CODE = "000.00.12.H15-261207-0001"
# The detail each kind carries (engine/domain/dossier.py `_notice` calls) plus the dossier code.
PAYLOADS = {
    NoticeKind.SUBMITTED: {},
    NoticeKind.RECEIVED: {"appointment": "2026-12-14T08:30:00+07:00"},
    NoticeKind.GUIDANCE: {"missing": ["Bản sao Căn cước công dân", "Giấy ủy quyền"], "reason": "Thiếu giấy tờ"},
    NoticeKind.NOT_ACCEPTED: {"reason": "Không thuộc thẩm quyền giải quyết"},
    NoticeKind.SUPPLEMENT_REQUESTED: {"missing": ["Bản vẽ sơ đồ thửa đất"], "reason": "Cần làm rõ ranh giới."},
    NoticeKind.PAYMENT_REQUESTED: {"amount": 1_500_000},
    NoticeKind.APOLOGY: {"reason": "Cần xác minh thêm", "new_appointment": "2026-12-20T16:00:00+07:00",
                         "previous_appointment": "2026-12-14T08:30:00+07:00"},
    NoticeKind.REFUSED: {"reason": "Hồ sơ không đủ điều kiện"},
    NoticeKind.STOPPED: {"reason": "Người nộp đề nghị dừng"},
    NoticeKind.RESULT_READY: {},
    NoticeKind.RETURNED: {"channel": "postal", "tracking_number": "EV123456789VN"},
    NoticeKind.REFUNDED: {"amount": 200_000, "reason": "Không thực hiện được dịch vụ"},
    NoticeKind.WITHDRAWN: {},
}


def render(kind, **extra):
    return render_notice(kind.value if hasattr(kind, "value") else kind, {"dossier_code": CODE, **extra}, AT, VN,
                         name="Nguyễn Văn An", procedure="Đăng ký thành lập hộ kinh doanh")


@pytest.mark.parametrize("kind", list(NoticeKind), ids=lambda k: k.value)
def test_every_notice_kind_has_a_template_with_subject_body_and_sms(kind):
    assert set(PAYLOADS) == set(NoticeKind)  # a new kind needs its payload here and its template
    r = render(kind, **PAYLOADS[kind])
    assert CODE in r.subject and CODE in r.body and CODE in r.sms
    assert "\n" not in r.subject and "\n" not in r.sms
    assert r.body.startswith("Kính gửi Ông/Bà Nguyễn Văn An,\n") and r.body.endswith("Bộ phận Tiếp nhận và Trả kết quả\n\n"
                                                                                  "(Thư được gửi tự động từ hệ thống thông tin giải quyết thủ tục hành chính; vui lòng không trả lời thư này.)\n")
    assert "Thủ tục: Đăng ký thành lập hộ kinh doanh" in r.body
    for text in (r.subject, r.body, r.sms):  # precomposed Vietnamese letters, nothing left blank
        assert unicodedata.is_normalized("NFC", text) and "None" not in text and "{" not in text


def test_the_receipt_gives_the_appointment_in_vietnam_time_the_vietnamese_way():
    r = render(NoticeKind.RECEIVED, **PAYLOADS[NoticeKind.RECEIVED])
    assert r.subject == f"Hồ sơ {CODE} đã được tiếp nhận"
    # 01:30 UTC is 08:30 in Vietnam (UTC+7); 7 December 2026 is a Monday.
    assert "Hồ sơ của Ông/Bà đã được tiếp nhận lúc 08 giờ 30, thứ Hai, ngày 07 tháng 12 năm 2026.\n" in r.body
    assert "Ngày hẹn trả kết quả: 08 giờ 30, thứ Hai, ngày 14 tháng 12 năm 2026.\n" in r.body
    assert r.sms == f"Hồ sơ {CODE} đã được tiếp nhận. Hẹn trả kết quả: 08:30 ngày 14/12/2026."


def test_supplement_request_lists_every_missing_item_with_the_reason_once_punctuated():
    r = render(NoticeKind.GUIDANCE, **PAYLOADS[NoticeKind.GUIDANCE])
    assert "Lý do: Thiếu giấy tờ.\n" in r.body  # the reason and everything missing in one go
    assert "- Bản sao Căn cước công dân\n- Giấy ủy quyền\n" in r.body
    r = render(NoticeKind.SUPPLEMENT_REQUESTED, **PAYLOADS[NoticeKind.SUPPLEMENT_REQUESTED])
    assert "Lý do: Cần làm rõ ranh giới.\n" in r.body and ".." not in r.body  # the typed full stop is not doubled
    assert r.sms == f"Hồ sơ {CODE} cần bổ sung: Bản vẽ sơ đồ thửa đất. Lý do: Cần làm rõ ranh giới."


def test_apology_gives_reason_and_both_appointments():  # N-6
    r = render(NoticeKind.APOLOGY, **PAYLOADS[NoticeKind.APOLOGY])
    assert r.subject == f"Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {CODE}"
    assert "đúng hẹn (08 giờ 30, thứ Hai, ngày 14 tháng 12 năm 2026)." in r.body
    assert "Ngày hẹn trả kết quả mới: 16 giờ 00, Chủ nhật, ngày 20 tháng 12 năm 2026." in r.body
    assert "Hẹn lại: 16:00 ngày 20/12/2026" in r.sms


def test_amounts_in_dong_with_dots_and_postal_return_with_its_tracking_number():
    assert "Số tiền: 1.500.000 đồng." in render(NoticeKind.PAYMENT_REQUESTED, amount=1_500_000).body
    r = render(NoticeKind.RETURNED, **PAYLOADS[NoticeKind.RETURNED])
    assert "đã được trả qua dịch vụ bưu chính công ích lúc" in r.body and "Số hiệu bưu gửi: EV123456789VN." in r.body


def test_without_a_name_the_greeting_is_generic():
    r = render_notice("result_ready", {"dossier_code": CODE}, AT, VN)
    assert r.body.startswith("Kính gửi Ông/Bà,\n") and "Thủ tục:" not in r.body


def test_a_kind_without_template_is_refused():
    with pytest.raises(TemplateMissing):
        render_notice("no_such_kind", {"dossier_code": CODE}, AT, VN)


def test_vietnamese_dates_and_amounts():
    # Sunday 6 December 2026 23:59 in Vietnam is 16:59 UTC.
    assert when(datetime(2026, 12, 6, 16, 59, tzinfo=timezone.utc), VN) == "23 giờ 59, Chủ nhật, ngày 06 tháng 12 năm 2026"
    assert when_short(datetime(2026, 12, 6, 17, 0, tzinfo=timezone.utc), VN) == "00:00 ngày 07/12/2026"
    monday = datetime(2026, 11, 30, 3, tzinfo=timezone.utc)  # 30 November 2026 is a Monday
    assert [when(monday.replace(day=30) if i == 0 else monday.replace(month=12, day=i), VN).split(", ")[1]
            for i in range(6)] == ["thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"]
    assert vnd(1_500_000) == "1.500.000 đồng" and vnd(500) == "500 đồng"
