"""`motcua outbox export|status` (R-9.5, N-8)."""
import json

import pytest

from cli.main import main
from tests.support.cli import point_at, run
from tests.support.bpmn import publish_procedure, sequential


@pytest.fixture
def env(services, dirs, monkeypatch, clean_db):
    point_at(monkeypatch, clean_db, dirs)
    publish_procedure(services, "P", sequential(1))
    return services


def test_export_to_standard_output_then_nothing_twice(env, capsys):
    d = env.dossiers.start("P")
    code, out, err = run(capsys, "outbox", "export", "--topic", "portal")
    events = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [e["payload"]["status_code"] for e in events] == [1, 2, 4]
    assert {e["dossier_code"] for e in events} == {d.code} and set(events[0]) == {
        "id", "topic", "kind", "dossier_code", "at", "payload"}
    assert "exported 3 events to standard output" in err and "still pending: notification 1" in err
    code, out, err = run(capsys, "outbox", "export", "--topic", "portal")
    assert code == 0 and out == "" and "exported 0 events" in err


def test_export_to_a_file_and_status(env, capsys, tmp_path):
    env.dossiers.start("P")
    code, out, _ = run(capsys, "outbox", "status")
    assert code == 0
    assert out.splitlines()[0].split()[:5] == ["portal", "pending", "3", "failing", "0"]
    assert "oldest 2026-11-26T09:00:00+07:00" in out.splitlines()[0]
    target = tmp_path / "out.jsonl"
    code, _, err = run(capsys, "outbox", "export", "--out", str(target), "--limit", "2")
    assert code == 0 and len(target.read_text(encoding="utf-8").splitlines()) == 2
    assert "exported 2 events" in err and "still pending: notification 1, portal 1" in err
    code, _, err = run(capsys, "outbox", "export", "--out", str(target))  # never replaces an export
    assert code == 1 and "exists" in err and "stay pending" in err
    code, out, _ = run(capsys, "outbox", "status")
    assert code == 1 and "last failure: FileExistsError" in out  # failures make status exit 1 (monitoring)


def test_bad_arguments(env, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["outbox", "export", "--topic", "email"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["outbox", "export", "--limit", "0"])
