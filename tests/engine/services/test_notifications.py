"""The notification worker (R-3.1, N-6): every notice queued with a change is sent once to the
applicant's contact, retried with backoff when a sender fails, left failed and visible after the
last attempt, flagged undeliverable without a contact, and never sent twice by two workers."""
import threading
from datetime import timedelta

import pytest

from engine.domain.access import Official
from engine.notifications.senders import PermanentFailure, Senders
from engine.notifications.settings import NotifySettings
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from engine.services.notifications import NotificationService
from engine.services.outbox import OutboxService
from tests.support.bpmn import publish_procedure, sequential
from tests.support.lifecycle import change

AN = {"name": "Nguyễn Văn An", "email": "an@example.vn", "phone": "0905 123 456"}
ADMIN = Official("root", "", frozenset({"admin"}), "Quản trị")


@pytest.fixture
def procedure(services):
    return publish_procedure(services, "P", sequential(1), statutory_days=5)


class Outbox:
    """A sender that keeps what it was given; `fail` (an exception) is raised instead while set."""

    def __init__(self, fail: Exception | None = None):
        self.sent: list = []
        self.fail = fail

    def send_email(self, message):
        if self.fail is not None:
            raise self.fail
        self.sent.append(message)

    def send_sms(self, message):
        self.send_email(message)


def worker(services, email=None, sms=None, **settings) -> NotificationService:
    s = NotifySettings(email="log" if email else "off", sms="log" if sms else "off", **settings)
    return NotificationService(services.ctx, s, Senders(email, sms))


def rows(services):
    with services.ctx.uow(write=False) as uow:
        return [r for r in uow.notifications.get_many(list(range(1, 10_000)))]


def test_a_notice_is_rendered_sent_to_each_contact_once_and_marked_sent(services, clock, procedure):
    d = services.dossiers.start(procedure, applicant=AN)  # desk registration, received at once: the receipt
    email, sms = Outbox(), Outbox()
    report = worker(services, email, sms).send_due()
    assert (report.claimed, report.sent) == (1, 1)
    [m] = email.sent
    assert (m.to, m.subject) == ("an@example.vn", f"Hồ sơ {d.code} đã được tiếp nhận")
    # Received Thursday 26 Nov 2026 09:00 + 5 working days (27, 30 Nov, 1, 2, 3 Dec) = Thursday 3 Dec 09:00.
    assert "Ngày hẹn trả kết quả: 09 giờ 00, thứ Năm, ngày 03 tháng 12 năm 2026." in m.body
    assert m.body.startswith("Kính gửi Ông/Bà Nguyễn Văn An,") and "Thủ tục: Thủ tục thử nghiệm P" in m.body
    [s] = sms.sent
    assert (s.to, s.text) == ("0905123456", f"Hồ sơ {d.code} đã được tiếp nhận. Hẹn trả kết quả: 09:00 ngày 03/12/2026.")
    [row] = rows(services)
    assert (row.sent_at, row.attempts, row.last_error) == (clock.now(), 1, None)
    assert row.delivered == {"email": {"to": "an@example.vn", "at": clock.now().isoformat()},
                             "sms": {"to": "0905123456", "at": clock.now().isoformat()}}
    clock.advance(timedelta(days=30))
    assert worker(services, email, sms).send_due().claimed == 0 and len(email.sent) == len(sms.sent) == 1


def test_a_failing_sender_leaves_the_notice_queued_with_its_attempts_and_next_try_then_failed(services, clock,
                                                                                            procedure):
    services.dossiers.start(procedure, applicant=AN)
    down = Outbox(fail=ConnectionRefusedError(111, "Connection refused"))
    w = worker(services, down, max_attempts=3, backoff_seconds=60, backoff_max_seconds=3600)
    t0 = clock.now()
    assert w.send_due().retrying == 1
    [row] = rows(services)
    # Backoff after the n-th failed attempt = 60 s * 2^(n-1): 60 s after the 1st, 120 s after the 2nd.
    assert (row.sent_at, row.delivery, row.attempts, row.next_attempt_at) == (None, None, 1, t0 + timedelta(seconds=60))
    assert "ConnectionRefusedError" in row.last_error and row.last_attempt_at == t0
    clock.advance(timedelta(seconds=59))
    assert w.send_due().claimed == 0  # not due yet: no attempt
    clock.advance(timedelta(seconds=1))
    assert w.send_due().retrying == 1
    [row] = rows(services)
    assert (row.attempts, row.next_attempt_at) == (2, t0 + timedelta(seconds=60 + 120))
    clock.advance(timedelta(seconds=120))
    assert w.send_due().failed == 1  # the 3rd attempt was the last one (max_attempts 3)
    [row] = rows(services)
    assert (row.sent_at, row.delivery, row.attempts, row.next_attempt_at) == (None, "failed", 3, None)
    clock.advance(timedelta(days=7))
    assert w.send_due().claimed == 0  # left failed, not retried forever
    summary = w.summary(ADMIN)
    assert (summary.failed, summary.pending, summary.retrying, summary.sent) == (1, 0, 0, 0)
    [shown], total = w.problems(ADMIN)
    assert (shown.state, shown.attempts, total) == ("failed", 3, 1) and "Connection refused" in shown.last_error


def test_backoff_doubles_up_to_its_ceiling():
    s = NotifySettings(backoff_seconds=60, backoff_max_seconds=3600)
    # 60 * 2^(n-1) s: 1, 2, 4, 8, 16, 32 min, then 64 min is capped at the 60 min ceiling.
    assert [s.backoff(n) / timedelta(minutes=1) for n in range(1, 8)] == [1, 2, 4, 8, 16, 32, 60]


def test_a_permanent_refusal_fails_at_once(services, clock, procedure):
    services.dossiers.start(procedure, applicant=AN)
    w = worker(services, Outbox(fail=PermanentFailure("550 no such user")), max_attempts=5)
    assert w.send_due().failed == 1
    [row] = rows(services)
    assert (row.delivery, row.attempts) == ("failed", 1) and "550 no such user" in row.last_error


def test_a_channel_already_sent_is_not_sent_again_when_the_other_is_retried(services, clock, procedure):
    services.dossiers.start(procedure, applicant=AN)
    email, sms = Outbox(), Outbox(fail=TimeoutError("SMS gateway timed out"))
    w = worker(services, email, sms, backoff_seconds=10)
    assert w.send_due().retrying == 1
    [row] = rows(services)
    assert set(row.delivered) == {"email"} and row.sent_at is None and "sms: TimeoutError" in row.last_error
    sms.fail = None
    clock.advance(timedelta(seconds=10))
    assert w.send_due().sent == 1
    assert len(email.sent) == 1 and len(sms.sent) == 1  # the e-mail went once, the SMS on the retry


def test_a_notice_without_contact_is_flagged_undeliverable_and_not_retried(services, clock, procedure):
    services.dossiers.start(procedure, applicant={"name": "Trần Thị Bình"})  # no e-mail, no phone
    services.dossiers.start(procedure, applicant={"name": "Lê Văn Cường", "phone": "0912 345 678",
                                                  "email": "not an address"})
    email = Outbox()
    w = worker(services, email)  # e-mail only: the second applicant gave a phone but SMS is off
    report = w.send_due()
    assert (report.claimed, report.undeliverable, report.sent) == (2, 2, 0) and email.sent == []
    first, second = rows(services)
    assert (first.delivery, first.attempts, first.next_attempt_at) == ("undeliverable", 1, None)
    assert first.last_error == "the applicant gave no usable e-mail address or phone number"
    assert second.last_error == "the applicant gave only a phone number and SMS is off (MOTCUA_NOTIFY_SMS)"
    clock.advance(timedelta(days=30))
    assert w.send_due().claimed == 0
    items, total = w.problems(ADMIN, "undeliverable")
    assert total == 2 and {v.state for v in items} == {"undeliverable"} and w.summary(ADMIN).undeliverable == 2


def test_two_workers_never_send_the_same_notice(services, clock, procedure):
    """Worker A holds its claimed notices while it sends them (its sender waits, mid-send, until B
    has finished a whole run): B must take only the others. Fails if a claim does not hold the rows."""
    for _ in range(6):
        services.dossiers.start(procedure, applicant=AN)
    b_done = threading.Event()
    a_sending = threading.Event()

    class Slow(Outbox):
        def send_email(self, message):
            a_sending.set()
            assert b_done.wait(30), "worker B did not finish"
            super().send_email(message)

    a_out, b_out = Slow(), Outbox()
    a, b = worker(services, a_out, batch=2), worker(services, b_out, batch=10)
    results = {}
    ta = threading.Thread(target=lambda: results.setdefault("a", a.send_due()))
    ta.start()
    assert a_sending.wait(30)
    try:
        results["b"] = b.send_due()
    finally:
        b_done.set()
        ta.join(30)
    assert (results["a"].sent, results["b"].sent) == (2, 4)
    ids = [m.notice_id for m in a_out.sent + b_out.sent]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 6


def test_many_workers_at_once_send_each_notice_exactly_once(services, clock, procedure):
    """Four workers start together in threads (PostgreSQL: FOR UPDATE SKIP LOCKED and the
    conditional claim; SQLite: BEGIN IMMEDIATE) and run until nothing is due."""
    for _ in range(12):
        services.dossiers.start(procedure, applicant=AN)
    out = Outbox()
    lock = threading.Lock()

    class Shared:
        def send_email(self, message):
            with lock:
                out.sent.append(message)

    start = threading.Barrier(4)

    def run():
        w = worker(services, Shared(), batch=2)
        start.wait(30)
        while w.send_due().claimed:
            pass

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = [m.notice_id for m in out.sent]
    assert len(ids) == 12 and len(set(ids)) == 12


def test_a_notice_held_by_a_dead_worker_is_sent_after_its_lease_and_the_late_outcome_is_dropped(services, clock,
                                                                                                procedure):
    services.dossiers.start(procedure, applicant=AN)
    with services.ctx.uow() as uow:  # a worker claims it, then dies before recording anything
        [held] = uow.notifications.claim(clock.now(), clock.now() + timedelta(seconds=300), 10)
        uow.commit()
    out = Outbox()
    w = worker(services, out, lease_seconds=300)
    clock.advance(timedelta(seconds=299))
    assert w.send_due().claimed == 0
    clock.advance(timedelta(seconds=1))
    assert w.send_due().sent == 1 and len(out.sent) == 1
    with services.ctx.uow() as uow:  # the dead worker's outcome arrives late: the row moved on
        assert not uow.notifications.finish(held.id, held.attempts, last_error="late")
        uow.commit()
    [row] = rows(services)
    assert (row.attempts, row.last_error) == (2, None) and row.sent_at is not None


def test_an_operator_retry_sends_a_failed_notice_again_with_fresh_attempts(services, clock, procedure):
    services.dossiers.start(procedure, applicant=AN)
    out = Outbox(fail=OSError("mail server down"))
    w = worker(services, out, max_attempts=1)
    assert w.send_due().failed == 1
    [row] = rows(services)
    official = Official("desk1", "000.00.12.H15", frozenset({"one_stop_officer"}), "Cán bộ")
    with pytest.raises(Forbidden):
        w.retry(official, row.id)
    with pytest.raises(NotFound):  # another agency's administrator does not see it
        w.retry(Official("aa", "000.00.99.H15", frozenset({"agency_admin"}), "QT"), row.id)
    with pytest.raises(NotFound):
        w.retry(ADMIN, row.id + 1000)
    view = w.retry(ADMIN, row.id, "req-1")
    assert (view.state, view.attempts, view.next_attempt_at) == ("retrying", 0, None)
    out.fail = None
    assert w.send_due().sent == 1
    with pytest.raises(Conflict):  # sent: nothing to retry
        w.retry(ADMIN, row.id)
    with services.ctx.uow(write=False) as uow:
        assert any(r.action == "notification.retry" for r in uow.audit.recent(10))


def test_a_notice_waiting_for_its_first_attempt_is_not_retried_and_states_are_checked(services, procedure):
    services.dossiers.start(procedure, applicant=AN)
    w = worker(services, Outbox())
    [row] = rows(services)
    with pytest.raises(Conflict):
        w.retry(ADMIN, row.id)
    with pytest.raises(InvalidInput):
        w.problems(ADMIN, "lost")


def test_with_no_sender_on_the_worker_refuses_instead_of_flagging_everything(services, procedure):
    services.dossiers.start(procedure, applicant=AN)
    with pytest.raises(Conflict):
        worker(services).send_due()
    [row] = rows(services)
    assert (row.attempts, row.delivery) == (0, None)


def test_while_the_worker_sends_notifications_the_outbox_export_leaves_them_alone(services, procedure):
    services.dossiers.start(procedure, applicant=AN)
    outbox = OutboxService(services.ctx, notifications_sent=True)
    lines: list[str] = []
    report = outbox.export(lines.extend)  # every topic: portal only
    assert report.exported == 3 and all('"topic":"portal"' in line for line in lines)
    with pytest.raises(InvalidInput):
        outbox.export(lines.extend, topic="notification")
    assert worker(services, Outbox()).send_due().sent == 1  # still there for the worker


def test_the_supplement_request_reaches_the_applicant_with_what_is_missing(services, clock, procedure):
    d = services.dossiers.start(procedure, applicant=AN)
    clock.advance(timedelta(hours=1))
    change(services, d.id, lambda dossier, now, cal: dossier.request_supplement(
        now, ["Bản sao Căn cước công dân"], "Thiếu giấy tờ tùy thân", cal))
    out = Outbox()
    assert worker(services, out).send_due().sent == 2
    received, supplement = out.sent
    assert supplement.subject == f"Yêu cầu bổ sung hồ sơ {d.code}"
    assert "Lý do: Thiếu giấy tờ tùy thân.\n" in supplement.body and "- Bản sao Căn cước công dân\n" in supplement.body
    assert "tạm dừng từ 10 giờ 00, thứ Năm, ngày 26 tháng 11 năm 2026" in supplement.body


def test_an_online_submission_reaches_the_contact_the_applicant_gave(services, clock, procedure):
    from engine.domain.applicant import Applicant

    citizen = Applicant("001099012345", "Phạm Thị Dung")
    view = services.applicants.submit(citizen, procedure, {}, contact={"email": "dung@example.vn",
                                                                       "phone": "+84 912 345 678"})
    email, sms = Outbox(), Outbox()
    report = worker(services, email, sms).send_due()
    assert report.sent == report.claimed >= 1
    submitted = [m for m in email.sent if "nộp trực tuyến" in m.subject]
    assert [(m.to, m.subject) for m in submitted] == [("dung@example.vn", f"Hồ sơ {view.code} đã được nộp trực tuyến")]
    assert submitted[0].body.startswith("Kính gửi Ông/Bà Phạm Thị Dung,")
    assert {m.to for m in sms.sent} == {"+84912345678"} and len(sms.sent) == len(email.sent) == report.sent


def test_a_slow_batch_gives_back_what_its_lease_no_longer_covers(services, clock, procedure):
    """Lease 300 s, SMTP timeout 30 s: a notice is started only up to 300 - 2 * 30 = 240 s after the
    claim. Each send here takes 200 s: the 1st starts at 0 s, the 2nd at 200 s, the 3rd would start
    at 400 s, after the lease could run out under it (another worker may hold it by then)."""
    for _ in range(4):
        services.dossiers.start(procedure, applicant=AN)

    class Slow(Outbox):
        def send_email(self, message):
            super().send_email(message)
            clock.advance(timedelta(seconds=200))

    slow = Slow()
    report = worker(services, slow, lease_seconds=300, smtp_timeout=30).send_due()
    assert (report.claimed, report.sent, report.given_back) == (4, 2, 2) and len(slow.sent) == 2
    left = [r for r in rows(services) if r.sent_at is None]
    assert [(r.attempts, r.next_attempt_at, r.last_attempt_at) for r in left] == [(0, None, None)] * 2
    other = Outbox()
    assert worker(services, other).send_due().sent == 2  # due at once for any worker
    assert {m.notice_id for m in other.sent} == {r.id for r in left}
