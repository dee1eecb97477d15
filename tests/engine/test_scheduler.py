"""The scheduler runs the notification worker beside the timer sweep when a sender is on (R-3.1, N-6)."""
import pytest

from engine.notifications.senders import Senders
from engine.notifications.settings import NotifySettings
from engine.scheduler import TimerScheduler
from engine.services.notifications import NotificationService
from tests.support.bpmn import publish_procedure, sequential


class Keep:
    def __init__(self):
        self.sent = []

    def send_email(self, message):
        self.sent.append(message)


@pytest.fixture
def procedure(services):
    return publish_procedure(services, "P", sequential(1))


def test_the_scheduler_sends_due_notifications_on_its_own_job(services, procedure):
    services.dossiers.start(procedure, applicant={"email": "an@example.vn"})
    keep = Keep()
    notifications = NotificationService(services.ctx, NotifySettings(email="log", interval_seconds=15),
                                        Senders(email=keep))
    scheduler = TimerScheduler(services.timers, interval_seconds=60, name="test-sched", notifications=notifications)
    assert scheduler.send_notifications().sent == 1 and len(keep.sent) == 1
    scheduler.start()
    try:
        job = scheduler._scheduler.get_job("notification-send")
        assert job is not None and job.trigger.interval.total_seconds() == 15
    finally:
        scheduler.shutdown()


def test_without_a_sender_the_scheduler_only_sweeps_timers(services, procedure):
    services.dossiers.start(procedure, applicant={"email": "an@example.vn"})
    off = NotificationService(services.ctx, NotifySettings(), Senders())
    scheduler = TimerScheduler(services.timers, interval_seconds=60, name="test-sched", notifications=off)
    assert scheduler.send_notifications().claimed == 0
    scheduler.start()
    try:
        assert scheduler._scheduler.get_job("notification-send") is None
    finally:
        scheduler.shutdown()


def test_a_failing_run_does_not_stop_the_schedule(services, caplog):
    class Broken(NotificationService):
        def send_due(self, limit=None):
            raise ConnectionError("database unreachable")

    broken = Broken(services.ctx, NotifySettings(email="log"), Senders(email=Keep()))
    scheduler = TimerScheduler(services.timers, interval_seconds=60, name="test-sched", notifications=broken)
    assert scheduler.send_notifications().claimed == 0
    assert "notification run failed" in caplog.text
