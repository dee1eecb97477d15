"""`motcua db check|backup|restore` (R-9.2) against the test database."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.engine import make_url

from tests.support.cli import point_at, run
from engine.bootstrap import build
from engine.persistence import backup as backup_adapter
from engine.persistence.database import connect, current_revision, upgrade
from engine.persistence.models import ReadyTask, Timer
from engine.settings import Settings
from tests.support.bpmn import Process, sequential, write_procedure


@pytest.fixture
def env(services, dirs, monkeypatch):
    point_at(monkeypatch, services.settings.database_url, dirs)
    return services


def start_dossiers(services, dirs, n=3, process=None):
    write_procedure(dirs[0], "P", process or sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    return [services.dossiers.start("P") for _ in range(n)]


def test_check_passes_then_names_the_damaged_dossier(env, dirs, capsys):
    timed = (Process("p").start().user("t", lane="official", hours=8)
             .boundary_timer("late", "t", "deadline(working_hours=8)").end("e1").end("e2")
             .chain("start", "t", "e1").chain("late", "e2"))
    dossiers = start_dossiers(env, dirs, process=timed)
    code, out, _ = run(capsys, "db", "check", "--batch", "2")
    assert (code, out) == (0, "checked 3 dossier(s): consistent\n")

    with env.db.engine.begin() as conn:
        conn.execute(update(Timer).where(Timer.dossier_id == dossiers[1].id).values(element_id="other"))
    code, out, _ = run(capsys, "db", "check")
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith(f"{dossiers[1].code}  timer_row_mismatch: timers row ")
    assert lines[-1] == "checked 3 dossier(s): 1 inconsistency in 1 dossier(s) (timer_row_mismatch 1)"


# ------------------------------------------------------------------ backup and restore


@pytest.fixture
def empty_target(database_url, tmp_path):
    """An empty database of the test database's dialect (PostgreSQL: a second one on the same server)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    name = f"motcua_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def counts(url):
    db = connect(url)
    try:
        with db.engine.connect() as conn:
            return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                    for t in inspect(conn).get_table_names()}
    finally:
        db.dispose()


def busy_database(services, dirs):
    """Dossiers at every stage, an account and an attachment-free audit trail."""
    dossiers = start_dossiers(services, dirs, n=4)
    services.dossiers.complete_task(dossiers[0].current_tasks[0].task_id, {"note": "đã nhận"}, "u1")
    d = services.dossiers.get(dossiers[1].id)
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u1")
    d = services.dossiers.get(dossiers[1].id)
    services.dossiers.complete_task(d.current_tasks[0].task_id, {}, "u2")  # finished
    services.accounts.add("desk1", "000.00.12.H15", ["official"], password="Mat-khau-tam-1")
    return dossiers


def restore_into(monkeypatch, capsys, url, backup, *extra):
    monkeypatch.setenv("MOTCUA_DATABASE_URL", url)
    return run(capsys, "db", "restore", str(backup), *extra)


def test_round_trip_restores_every_row_and_passes_the_check(env, dirs, tmp_path, empty_target, monkeypatch, capsys):
    dossiers = busy_database(env, dirs)
    backup = tmp_path / "motcua.backup"
    code, out, err = run(capsys, "db", "backup", str(backup))
    assert code == 0, err
    manifest = json.loads((tmp_path / "motcua.backup.manifest.json").read_text())
    source = counts(env.settings.database_url)
    assert manifest["tables"] == source and manifest["tables"]["dossiers"] == 4
    assert manifest["dialect"] == env.db.dialect and manifest["size"] == backup.stat().st_size

    code, out, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 0, err
    assert "row counts match the manifest" in out and out.endswith("checked 4 dossier(s): consistent\n")
    assert counts(empty_target) == source
    restored = build(Settings(database_url=empty_target, processes_dir=dirs[0], forms_dir=dirs[1]),
                     clock=env.clock, migrate=False)
    try:
        for d in dossiers:
            assert restored.dossiers.get(d.id) == env.dossiers.get(d.id)
    finally:
        restored.close()


def test_restore_refuses_a_database_with_rows_and_touches_nothing(env, dirs, tmp_path, monkeypatch, capsys):
    busy_database(env, dirs)
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    before = counts(env.settings.database_url)
    for extra in ((), ("--into-empty-schema",)):
        code, out, err = restore_into(monkeypatch, capsys, env.settings.database_url, backup, *extra)
        assert code == 1 and "the target database is not empty: " in err and "dossiers (4)" in err
        assert "new database" in err
    assert counts(env.settings.database_url) == before


def test_restore_into_a_migrated_empty_schema_only_when_asked(env, dirs, tmp_path, empty_target, monkeypatch,
                                                               capsys):
    busy_database(env, dirs)
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    monkeypatch.setenv("MOTCUA_DATABASE_URL", empty_target)
    assert run(capsys, "db", "upgrade")[0] == 0  # what docs/operations.md used to lead to
    code, _, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1 and "Motcua's schema without rows" in err and "--into-empty-schema" in err
    assert counts(empty_target)["dossiers"] == 0
    code, out, err = restore_into(monkeypatch, capsys, empty_target, backup, "--into-empty-schema")
    assert code == 0, err
    assert counts(empty_target) == counts(env.settings.database_url)


def test_a_truncated_backup_is_refused_before_anything_is_restored(env, dirs, tmp_path, empty_target,
                                                                   monkeypatch, capsys):
    busy_database(env, dirs)
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    data = backup.read_bytes()
    backup.write_bytes(data[: len(data) // 2])
    code, _, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1 and "does not match its manifest" in err and "nothing restored" in err
    assert counts(empty_target) == {}
    backup.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])  # one byte altered
    code, _, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1 and "does not match its manifest" in err
    (tmp_path / "motcua.backup.manifest.json").unlink()
    code, _, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1 and "no manifest" in err


def test_rows_lost_in_the_restore_are_reported(env, dirs, tmp_path, empty_target, monkeypatch, capsys):
    busy_database(env, dirs)
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    manifest_file = tmp_path / "motcua.backup.manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["tables"]["steps"] += 1  # the backup holds one step fewer than the manifest says
    manifest_file.write_text(json.dumps(manifest))
    code, out, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1
    assert f"steps: the backup has {manifest['tables']['steps']} rows, the restored database has " \
           f"{manifest['tables']['steps'] - 1}" in err
    assert "restore NOT verified" in err and "consistent" not in out


def test_the_restored_database_is_checked(env, dirs, tmp_path, empty_target, monkeypatch, capsys):
    dossiers = busy_database(env, dirs)
    with env.db.engine.begin() as conn:  # damage made before the backup travels with it
        conn.execute(ReadyTask.__table__.delete().where(ReadyTask.dossier_id == dossiers[2].id))
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    code, out, _ = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 1
    assert f"{dossiers[2].code}  task_row_missing: " in out
    assert out.endswith("1 inconsistency in 1 dossier(s) (task_row_missing 1)\n")


def test_backup_never_overwrites(env, tmp_path, capsys):
    backup = tmp_path / "motcua.backup"
    backup.write_bytes(b"last month")
    code, _, err = run(capsys, "db", "backup", str(backup))
    assert code == 1 and "already exists" in err and backup.read_bytes() == b"last month"


def test_an_older_backup_is_migrated_after_restore_and_a_newer_one_refused(tmp_path, monkeypatch, capsys):
    old = f"sqlite:///{tmp_path / 'old.db'}"
    db = connect(old)
    upgrade(db, "0001")
    db.dispose()
    monkeypatch.setenv("MOTCUA_DATABASE_URL", old)
    backup = tmp_path / "old.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    manifest_file = tmp_path / "old.backup.manifest.json"
    assert json.loads(manifest_file.read_text())["schema_revision"] == "0001"

    target = f"sqlite:///{tmp_path / 'restored.db'}"
    code, out, err = restore_into(monkeypatch, capsys, target, backup)
    assert code == 0, err
    db = connect(target)
    head = current_revision(db)
    db.dispose()
    assert head != "0001" and f"schema upgraded to {head}" in out

    manifest = json.loads(manifest_file.read_text())
    manifest_file.write_text(json.dumps(dict(manifest, schema_revision="9999")))
    code, _, err = restore_into(monkeypatch, capsys, f"sqlite:///{tmp_path / 'other.db'}", backup)
    assert code == 1 and "schema revision 9999, unknown to this version of Motcua" in err


@pytest.mark.postgres_only
def test_pg_manifest_counts_what_was_dumped_while_the_app_writes(env, dirs, tmp_path, empty_target, monkeypatch,
                                                                 capsys):
    """A dossier saved between counting and pg_dump is in neither: both read one exported snapshot."""
    busy_database(env, dirs)
    real_run = backup_adapter._run
    saved = []

    def run_after_a_write(argv, environ):
        if not saved and "pg_dump" in argv[0]:
            saved.append(env.dossiers.start("P"))  # committed after the rows were counted
        return real_run(argv, environ)

    monkeypatch.setattr(backup_adapter, "_run", run_after_a_write)
    backup = tmp_path / "motcua.backup"
    assert run(capsys, "db", "backup", str(backup))[0] == 0
    assert saved and counts(env.settings.database_url)["dossiers"] == 5
    assert json.loads((tmp_path / "motcua.backup.manifest.json").read_text())["tables"]["dossiers"] == 4
    code, out, err = restore_into(monkeypatch, capsys, empty_target, backup)
    assert code == 0, err
    assert counts(empty_target)["dossiers"] == 4 and out.endswith("checked 4 dossier(s): consistent\n")
