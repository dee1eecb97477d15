"""Where a notice goes (R-3.1: the SMS, e-mail or other contact the applicant gave) and the
senders' settings (docs/operations.md, "Notifications to applicants")."""
import pytest

from engine.notifications.contact import contact_of
from engine.notifications.senders import LogEmailSender, LogSmsSender, SmtpEmailSender, senders_from_settings
from engine.notifications.settings import NotifySettings
from engine.settings import Settings


def test_contact_from_the_applicant_record():
    c = contact_of({"name": " Nguyễn Văn An ", "email": " an@example.vn ", "phone": "+84 905.123-456"})
    assert (c.name, c.email, c.phone) == ("Nguyễn Văn An", "an@example.vn", "+84905123456")
    bad = contact_of({"email": "an at example", "phone": "12", "name": 5})
    assert (bad.name, bad.email, bad.phone, bad.any) == (None, None, None, False)
    assert contact_of(None).any is False and contact_of({"email": ["a@b.vn"]}).email is None
    assert contact_of({"email": "Ông An <an@example.vn>"}).email is None  # one bare address only


def test_settings_from_the_environment_choose_the_senders():
    env = {"MOTCUA_NOTIFY_EMAIL": "SMTP", "MOTCUA_NOTIFY_SMS": "log", "MOTCUA_SMTP_HOST": "mail.tinh.gov.vn",
           "MOTCUA_SMTP_PORT": "587", "MOTCUA_SMTP_STARTTLS": "yes", "MOTCUA_SMTP_USER": "motcua",
           "MOTCUA_SMTP_PASSWORD": "bí mật", "MOTCUA_SMTP_FROM": "motcua@tinh.gov.vn", "MOTCUA_NOTIFY_MAX_ATTEMPTS": "4",
           "MOTCUA_NOTIFY_BACKOFF": "30"}
    s = NotifySettings.from_env(env)
    assert (s.email, s.sms, s.smtp_port, s.smtp_starttls, s.max_attempts, s.backoff_seconds) == ("smtp", "log", 587,
                                                                                                 True, 4, 30.0)
    senders = senders_from_settings(s)
    assert isinstance(senders.email, SmtpEmailSender) and isinstance(senders.sms, LogSmsSender)
    off = NotifySettings.from_env({})
    assert (off.enabled, senders_from_settings(off).email, senders_from_settings(off).sms) == (False, None, None)
    assert isinstance(senders_from_settings(NotifySettings(email="log")).email, LogEmailSender)
    assert Settings.from_env().notify == NotifySettings.from_env()


@pytest.mark.parametrize("env, problem", [
    ({"MOTCUA_NOTIFY_EMAIL": "smpt"}, "MOTCUA_NOTIFY_EMAIL must be one of off, log, smtp"),
    ({"MOTCUA_NOTIFY_SMS": "twilio"}, "MOTCUA_NOTIFY_SMS must be one of off, log"),
    ({"MOTCUA_NOTIFY_EMAIL": "smtp"}, "needs MOTCUA_SMTP_HOST"),
    ({"MOTCUA_NOTIFY_BACKOFF": "soon"}, "MOTCUA_NOTIFY_BACKOFF must be a number of seconds"),
    ({"MOTCUA_NOTIFY_MAX_ATTEMPTS": "0"}, "must be at least 1"),
    ({"MOTCUA_NOTIFY_LEASE": "60"}, "must be longer than two sends"),  # 60 s <= 2 x 30 s SMTP timeout
])
def test_a_wrong_setting_stops_the_start_with_its_name(env, problem):
    with pytest.raises(ValueError, match=problem):
        NotifySettings.from_env(env)


def test_the_log_senders_write_structured_lines(caplog):
    from datetime import datetime, timezone

    from engine.notifications.senders import Email, Sms

    caplog.set_level("INFO", logger="engine.notifications.senders")
    LogSmsSender().send_sms(Sms(7, "0905123456", "Hồ sơ X đã có kết quả."))
    LogEmailSender().send_email(Email(8, "an@example.vn", "Hồ sơ X", "Kính gửi", datetime.now(timezone.utc)))
    sms, mail = caplog.records
    assert (sms.notice, sms.channel, sms.to, sms.text) == (7, "sms", "0905123456", "Hồ sơ X đã có kết quả.")
    assert (mail.notice, mail.channel, mail.subject, mail.body) == (8, "email", "Hồ sơ X", "Kính gửi")
