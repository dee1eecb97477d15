"""Exporting the outbox (R-9.5, N-8): JSON lines, sent once, never lost, in the order of changes."""
import io
import json
import threading
from datetime import datetime, timedelta

import pytest

from engine.persistence.repositories import OutboxRepository
from engine.services.errors import InvalidInput
from engine.services.outbox import ExportFailed, FileSink, StreamSink
from tests.conftest import VN
from tests.support.bpmn import publish_procedure, sequential
from tests.support.lifecycle import change


@pytest.fixture
def procedure(services):
    return publish_procedure(services, "P", sequential(1), statutory_days=5)


class Collect:
    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, lines):
        self.lines.extend(lines)

    @property
    def events(self):
        return [json.loads(line) for line in self.lines]


def history(services, clock, procedure):
    """D1 registered 09:00, D2 10:00, D1's one task completed 11:00 (its process ends: processed)."""
    d1 = services.dossiers.start(procedure)
    clock.advance(timedelta(hours=1))
    d2 = services.dossiers.start(procedure)
    clock.advance(timedelta(hours=1))
    services.dossiers.complete_task(d1.current_tasks[0].task_id, {}, "chuyenvien")
    return d1, d2


def test_export_writes_every_pending_event_in_the_order_of_changes_then_marks_it_sent(services, clock, procedure,
                                                                                      tmp_path):
    d1, d2 = history(services, clock, procedure)
    out = tmp_path / "portal-1.jsonl"
    report = services.outbox.export(FileSink(out))
    events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert report.exported == len(events) == 10 and report.remaining == {}
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    # N-8: registration walks 1 -> 2 -> 4 (no reception step drawn), the receipt slip's notice
    # then D2 likewise, then D1 processed (9) and its result-ready notice.
    assert [(e["dossier_code"], e["topic"], e["kind"], e["payload"].get("status_code")) for e in events] == [
        (d1.code, "portal", "status", 1), (d1.code, "portal", "status", 2), (d1.code, "portal", "status", 4),
        (d1.code, "notification", "received", None),
        (d2.code, "portal", "status", 1), (d2.code, "portal", "status", 2), (d2.code, "portal", "status", 4),
        (d2.code, "notification", "received", None),
        (d1.code, "portal", "status", 9), (d1.code, "notification", "result_ready", None),
    ]
    first, last = events[0], events[-2]
    assert first["at"] == "2026-11-26T09:00:00+07:00" and last["at"] == "2026-11-26T11:00:00+07:00"
    assert first["payload"]["channel_code"] == 1 and first["payload"]["from"] is None  # desk (N-8)
    assert {k: last["payload"][k] for k in ("from", "to", "status_code")} == {
        "from": "processing", "to": "processed", "status_code": 9}
    # 5 statutory working days from Thu 26 Nov 09:00: Fri 27, Mon 30, Tue 1, Wed 2, Thu 3 Dec 09:00.
    assert events[3]["payload"]["appointment"] == "2026-12-03T09:00:00+07:00"
    # Exporting again sends nothing twice, and writes no empty file.
    again = services.outbox.export(FileSink(tmp_path / "portal-2.jsonl"))
    assert again.exported == 0 and not (tmp_path / "portal-2.jsonl").exists()
    [portal, notification] = services.outbox.status()
    assert (portal.pending, portal.sent, notification.pending, notification.sent) == (0, 7, 0, 3)


def test_topic_and_limit_choose_what_leaves(services, clock, procedure):
    history(services, clock, procedure)
    sink = Collect()
    report = services.outbox.export(sink, topic="notification", limit=2)
    assert [e["kind"] for e in sink.events] == ["received", "received"]
    assert report.remaining == {"portal": 7, "notification": 1}
    sink = Collect()
    services.outbox.export(sink, topic="portal")
    assert [e["payload"]["status_code"] for e in sink.events] == [1, 2, 4, 1, 2, 4, 9]
    with pytest.raises(InvalidInput) as err:
        services.outbox.export(sink, topic="email")
    assert err.value.problems[0][0] == "topic"
    with pytest.raises(InvalidInput):
        services.outbox.export(sink, limit=0)


def test_an_unwritable_file_leaves_every_event_pending_and_the_failure_shows(services, clock, procedure, tmp_path):
    history(services, clock, procedure)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(ExportFailed, match="stay pending"):
        services.outbox.export(FileSink(blocker / "portal.jsonl"))
    [portal, notification] = services.outbox.status()
    assert (portal.pending, portal.failing, notification.pending, notification.failing) == (7, 7, 3, 3)
    assert "NotADirectoryError" in portal.last_error
    clock.advance(timedelta(hours=2))
    [portal, _] = services.outbox.status()
    assert portal.oldest_pending_age == timedelta(hours=4)  # D1 registered 09:00, now 13:00
    out = tmp_path / "portal.jsonl"
    assert services.outbox.export(FileSink(out)).exported == 10
    assert len(out.read_text(encoding="utf-8").splitlines()) == 10
    [portal, _] = services.outbox.status()
    assert (portal.pending, portal.failing, portal.last_error, portal.oldest_pending_age) == (0, 0, None, None)


def test_an_existing_file_is_never_replaced(services, clock, procedure, tmp_path):
    history(services, clock, procedure)
    out = tmp_path / "portal.jsonl"
    out.write_text("an earlier export the portal has not read yet\n", encoding="utf-8")
    with pytest.raises(ExportFailed, match="exists"):
        services.outbox.export(FileSink(out))
    assert out.read_text(encoding="utf-8") == "an earlier export the portal has not read yet\n"
    assert sum(s.pending for s in services.outbox.status()) == 10
    assert not list(tmp_path.glob(".portal.jsonl.*"))  # no temporary file left behind


def test_a_broken_pipe_leaves_every_event_pending(services, clock, procedure):
    history(services, clock, procedure)

    class Broken(io.StringIO):
        def flush(self):
            raise BrokenPipeError(32, "Broken pipe")

    with pytest.raises(ExportFailed):
        services.outbox.export(StreamSink(Broken()))
    assert sum(s.pending for s in services.outbox.status()) == 10


def test_a_crash_after_writing_and_before_the_commit_leaves_them_pending(services, clock, procedure, monkeypatch):
    history(services, clock, procedure)

    def crash(self, ids, at):
        raise RuntimeError("killed")

    monkeypatch.setattr(OutboxRepository, "mark_sent", crash)
    first = Collect()
    with pytest.raises(RuntimeError):
        services.outbox.export(first)
    assert len(first.lines) == 10  # written, but not marked: at least once, never lost
    monkeypatch.undo()
    second = Collect()
    services.outbox.export(second)
    assert second.lines == first.lines  # the consumer drops ids it already applied


def test_two_exporters_at_once_never_export_a_row_twice(services, clock, procedure):
    history(services, clock, procedure)
    writing, release = threading.Event(), threading.Event()
    got: dict[str, list[int]] = {"a": [], "b": []}
    errors: list[BaseException] = []

    def slow(lines):  # exporter A holds its rows while it writes
        writing.set()
        assert release.wait(20)
        got["a"].extend(json.loads(line)["id"] for line in lines)

    def run(name, sink):
        try:
            services.outbox.export(sink)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    a = threading.Thread(target=run, args=("a", slow))
    a.start()
    assert writing.wait(20)
    b = threading.Thread(target=run, args=("b", lambda lines: got["b"].extend(json.loads(x)["id"] for x in lines)))
    b.start()
    if services.db.dialect == "postgresql":
        b.join(20)  # SKIP LOCKED: B does not wait for A's rows; it finds none free
        assert not b.is_alive()
    release.set()  # SQLite: B's BEGIN IMMEDIATE waits for A's commit, then finds them sent
    a.join(20)
    b.join(20)
    assert not errors
    assert len(got["a"]) == 10 and got["b"] == []
    assert sum(s.pending for s in services.outbox.status()) == 0


@pytest.mark.postgres_only
def test_skip_locked_exporters_keep_each_dossiers_events_in_order(services, clock, procedure):
    """A takes D1's first two events; B, at the same time, skips them and takes the rest but must not
    send D1's third event before A sends its first two (order of events = order of changes)."""
    d1 = services.dossiers.start(procedure)
    clock.advance(timedelta(hours=1))
    d2 = services.dossiers.start(procedure)
    writing, release = threading.Event(), threading.Event()
    a_lines: list[dict] = []

    def slow(lines):
        writing.set()
        assert release.wait(20)
        a_lines.extend(json.loads(x) for x in lines)

    a = threading.Thread(target=lambda: services.outbox.export(slow, topic="portal", limit=2))
    a.start()
    assert writing.wait(20)
    b = Collect()
    report = services.outbox.export(b, topic="portal")
    assert [(e["dossier_code"], e["payload"]["status_code"]) for e in b.events] == [(d2.code, 1), (d2.code, 2),
                                                                                   (d2.code, 4)]
    assert report.held_back == 1  # D1's status 4 waits for A
    release.set()
    a.join(20)
    assert [(e["dossier_code"], e["payload"]["status_code"]) for e in a_lines] == [(d1.code, 1), (d1.code, 2)]
    c = Collect()
    services.outbox.export(c, topic="portal")
    assert [(e["dossier_code"], e["payload"]["status_code"]) for e in c.events] == [(d1.code, 4)]


def test_lines_are_utf8_with_vietnamese_text_as_written(services, clock, procedure, tmp_path):
    d = services.dossiers.start(procedure)
    clock.advance(timedelta(hours=1))
    change(services, d.id, lambda dossier, now, cal: dossier.stop(now, "Người nộp đề nghị dừng giải quyết", cal))
    out = tmp_path / "n.jsonl"
    services.outbox.export(FileSink(out), topic="notification")
    raw = out.read_bytes().decode("utf-8")
    assert '"reason":"Người nộp đề nghị dừng giải quyết"' in raw  # not \\u escapes
    assert [json.loads(x)["kind"] for x in raw.splitlines()] == ["received", "stopped"]
