"""Senders of notices to applicants (R-3.1, N-6): e-mail and SMS, behind two small interfaces so a
deployment picks one by setting (engine/notifications/settings.py) and tests plug in their own.

- `SmtpEmailSender`: one SMTP session per message (stdlib smtplib), STARTTLS and login when set.
  The Message-ID is derived from the notice's id, so a notice sent again after a crash carries the
  same id and mail systems can drop the duplicate.
- `LogEmailSender`, `LogSmsSender`: write the message to the log (structured, engine/logs.py), for
  development, and as the SMS interface's implementation until a provider is wired in.

A sender raises `PermanentFailure` when trying again cannot help (the server refused the
recipient with a 5xx reply); any other exception is taken as temporary and retried with backoff.
"""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Protocol

from .settings import NotifySettings

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """Sending this message can never succeed as it is (e.g. the recipient was refused): do not retry."""


@dataclass(frozen=True)
class Email:
    notice_id: int  # the outbox row: for the Message-ID and the logs
    to: str
    subject: str
    body: str  # plain text
    at: datetime  # when it is sent (the Date header)


@dataclass(frozen=True)
class Sms:
    notice_id: int
    to: str  # digits, with a leading + in international form
    text: str


class EmailSender(Protocol):
    def send_email(self, message: Email) -> None:
        """Hand the message over for delivery, or raise (PermanentFailure: never retry it)."""


class SmsSender(Protocol):
    def send_sms(self, message: Sms) -> None:
        """Hand the message over for delivery, or raise (PermanentFailure: never retry it)."""


@dataclass(frozen=True)
class Senders:
    """The senders in use; None: that channel is off."""

    email: EmailSender | None = None
    sms: SmsSender | None = None


class SmtpEmailSender:
    def __init__(self, settings: NotifySettings):
        self.settings = settings

    def build(self, message: Email) -> EmailMessage:
        """The MIME message: UTF-8 text, quoted-printable (readable in any mail client), subject
        encoded as RFC 2047 words by the email package."""
        s = self.settings
        m = EmailMessage()
        m["From"] = s.smtp_from
        m["To"] = message.to
        m["Subject"] = message.subject
        m["Date"] = format_datetime(message.at)
        domain = parseaddr(s.smtp_from)[1].rpartition("@")[2] or "motcua.localhost"
        m["Message-ID"] = f"<notice-{message.notice_id}@{domain}>"
        m["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
        m.set_content(message.body, charset="utf-8", cte="quoted-printable")
        return m

    def send_email(self, message: Email) -> None:
        s = self.settings
        mime = self.build(message)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password or "")
                smtp.send_message(mime, from_addr=parseaddr(s.smtp_from)[1] or s.smtp_from, to_addrs=[message.to])
        except smtplib.SMTPRecipientsRefused as err:
            codes = [code for code, _ in err.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(f"the mail server refused {message.to}: {err.recipients}") from err
            raise


class LogEmailSender:
    def send_email(self, message: Email) -> None:
        log.info("notification e-mail to %s: %s", message.to, message.subject,
                 extra={"notice": message.notice_id, "channel": "email", "to": message.to,
                        "subject": message.subject, "body": message.body})


class LogSmsSender:
    def send_sms(self, message: Sms) -> None:
        log.info("notification SMS to %s: %s", message.to, message.text,
                 extra={"notice": message.notice_id, "channel": "sms", "to": message.to, "text": message.text})


def senders_from_settings(settings: NotifySettings) -> Senders:
    email: EmailSender | None = {"smtp": lambda: SmtpEmailSender(settings), "log": LogEmailSender,
                                 "off": lambda: None}[settings.email]()
    sms: SmsSender | None = {"log": LogSmsSender, "off": lambda: None}[settings.sms]()
    return Senders(email, sms)
