"""The token signing key file (MOTCUA_SECRET_FILE): created once, atomically, shared by every API
process. Before issue 7, 7 of 600 simultaneous starts read an empty key (the file existed before its
content did) and such a worker answered 500/401 for its lifetime."""
import multiprocessing
import os
import stat
import sys

import pytest

from api.config import ApiSettings, _secret_file

WORKERS = 12
ROUNDS = 6


def _start(path: str, barrier, results) -> None:
    barrier.wait()  # every worker starts at the same moment, like gunicorn's
    try:
        results.put(_secret_file(__import__("pathlib").Path(path)))
    except Exception as err:  # report, not hang the test
        results.put(f"error: {err!r}")


def test_simultaneous_starts_all_read_the_one_complete_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    for round_ in range(ROUNDS):
        path = tmp_path / f"round{round_}" / "secret.key"
        barrier, results = ctx.Barrier(WORKERS), ctx.Queue()
        procs = [ctx.Process(target=_start, args=(str(path), barrier, results)) for _ in range(WORKERS)]
        for p in procs:
            p.start()
        keys = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        assert len(set(keys)) == 1, keys  # nobody read an empty or partial key, nobody kept their own
        assert len(keys[0]) == 64 and keys[0] == path.read_text()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert os.listdir(path.parent) == ["secret.key"]  # no temporary file left behind


def test_the_key_file_is_never_visible_empty_or_partial(tmp_path):
    """Deterministic form of the race above: after every line of the writer, a reader arriving
    then would see either no file or the whole key (before issue 7 it saw an empty file)."""
    path = tmp_path / "secret.key"
    seen: list[str] = []

    def on_line(frame, event, arg):
        if event == "line" and path.exists():
            seen.append(path.read_text())
        return on_line

    sys.settrace(lambda frame, event, arg: on_line if frame.f_code is _secret_file.__code__ else None)
    try:
        key = _secret_file(path)
    finally:
        sys.settrace(None)
    assert seen and all(text == key for text in seen), seen


def test_an_existing_key_is_kept(tmp_path):
    path = tmp_path / "secret.key"
    first = _secret_file(path)
    assert _secret_file(path) == first
    path.write_text("k" * 40 + "\n")
    assert _secret_file(path) == "k" * 40


def test_an_empty_or_short_key_file_is_refused_not_used(tmp_path):
    # e.g. left empty by a crash of an older version: signing with "" would make tokens forgeable
    path = tmp_path / "secret.key"
    path.write_text("")
    with pytest.raises(RuntimeError, match="fewer than 32"):
        _secret_file(path)
    path.write_text("short")
    with pytest.raises(RuntimeError, match=str(path)):
        _secret_file(path)


def test_settings_read_the_key_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MOTCUA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MOTCUA_SECRET_FILE", str(tmp_path / "sub" / "secret.key"))
    assert ApiSettings.from_env().secret_key == (tmp_path / "sub" / "secret.key").read_text()
