"""The SMTP sender against a real SMTP server on loopback (aiosmtpd, started by the test): the
applicant receives the rendered Vietnamese e-mails with their diacritics intact (R-3.1, N-6)."""
import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from engine.notifications.render import render_notice
from engine.notifications.senders import Senders, SmtpEmailSender
from engine.notifications.settings import NotifySettings
from engine.services.notifications import NotificationService
from tests.support.bpmn import publish_procedure, sequential
from tests.support.lifecycle import change

AN = {"name": "Nguyễn Văn An", "email": "an@example.vn"}
FROM = "Bộ phận Một cửa <motcua@dichvucong.example.vn>"


class Mailbox:
    """aiosmtpd handler: keeps every message; refuses recipients at refused.example.vn (550)."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.example.vn"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self):
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


def text_of(message) -> str:
    """The decoded body, with the wire's CRLF line ends (SMTP's) read as newlines."""
    return message.get_content().replace("\r\n", "\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def procedure(services):
    return publish_procedure(services, "P", sequential(1), statutory_days=5)


def smtp_worker(services, port, **extra) -> NotificationService:
    settings = NotifySettings(email="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_from=FROM, smtp_timeout=10,
                              **extra)
    return NotificationService(services.ctx, settings, Senders(email=SmtpEmailSender(settings)))


def test_the_applicant_receives_the_vietnamese_emails_with_their_diacritics(services, clock, procedure, smtp_server):
    mailbox, port = smtp_server
    d = services.dossiers.start(procedure, applicant=AN)
    clock.advance(timedelta(hours=1))
    change(services, d.id, lambda dossier, now, cal: dossier.request_supplement(
        now, ["Bản sao Căn cước công dân", "Giấy xác nhận tình trạng hôn nhân"], "Hồ sơ thiếu giấy tờ", cal))
    assert smtp_worker(services, port).send_due().sent == 2

    received, supplement = mailbox.messages()
    assert [e.mail_from for e in mailbox.envelopes] == ["motcua@dichvucong.example.vn"] * 2
    assert [e.rcpt_tos for e in mailbox.envelopes] == [["an@example.vn"]] * 2
    # Decoded from the MIME (RFC 2047 subject, quoted-printable UTF-8 body), compared as text.
    assert str(received["Subject"]) == f"Hồ sơ {d.code} đã được tiếp nhận"
    assert str(received["From"]) == FROM and str(received["To"]) == "an@example.vn"
    assert received.get_content_type() == "text/plain" and received.get_content_charset() == "utf-8"
    body = text_of(received)
    assert body.startswith("Kính gửi Ông/Bà Nguyễn Văn An,\n")
    # Received Thursday 26 Nov 2026 09:00 (Vietnam) + 5 working days = Thursday 3 Dec 09:00.
    assert "Ngày hẹn trả kết quả: 09 giờ 00, thứ Năm, ngày 03 tháng 12 năm 2026.\n" in body
    assert str(supplement["Subject"]) == f"Yêu cầu bổ sung hồ sơ {d.code}"
    text = text_of(supplement)
    assert ("Cơ quan giải quyết đề nghị Ông/Bà bổ sung hồ sơ. Lý do: Hồ sơ thiếu giấy tờ.\n"
            "Các nội dung cần bổ sung:\n- Bản sao Căn cước công dân\n- Giấy xác nhận tình trạng hôn nhân\n") in text
    # The whole body is exactly the rendered text: nothing lost or mangled on the way.
    with services.ctx.uow(write=False) as uow:
        rows = uow.notifications.get_many([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    row = [r for r in rows if r.kind == "supplement_requested"][0]
    expected = render_notice(row.kind, row.payload, row.at, services.ctx.calendars().tz, name="Nguyễn Văn An",
                             procedure="Thủ tục thử nghiệm P")
    assert text == expected.body
    assert supplement["Message-ID"] == f"<notice-{row.id}@dichvucong.example.vn>"
    assert supplement["Auto-Submitted"] == "auto-generated"


def test_a_recipient_the_server_refuses_fails_at_once(services, clock, procedure, smtp_server):
    mailbox, port = smtp_server
    services.dossiers.start(procedure, applicant={"name": "Phạm Thị Dung", "email": "dung@refused.example.vn"})
    report = smtp_worker(services, port, max_attempts=5).send_due()
    assert report.failed == 1 and mailbox.envelopes == []
    with services.ctx.uow(write=False) as uow:
        [row] = uow.notifications.get_many([1, 2, 3, 4, 5])
    assert (row.delivery, row.attempts) == ("failed", 1) and "550" in row.last_error


def test_a_server_that_does_not_answer_leaves_the_notice_to_retry(services, clock, procedure):
    services.dossiers.start(procedure, applicant=AN)
    report = smtp_worker(services, free_port(), backoff_seconds=60).send_due()  # nothing listens there
    assert report.retrying == 1
    with services.ctx.uow(write=False) as uow:
        [row] = uow.notifications.get_many([1, 2, 3, 4, 5])
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60) and "ConnectionRefusedError" in row.last_error
