"""`motcua serve` / `python3 dev.py run` as a process: a taken port stops it before any side
effect; SIGTERM and SIGINT stop it cleanly (issue 14). Each test spawns the server and waits on
its output and exit, never on a fixed sleep; timeouts are generous for a loaded 2-core machine."""
from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
STARTED = re.compile(r"API on http://127\.0\.0\.1:(\d+)/api")
WAIT = 120  # seconds: start-up (imports, migrations) on a busy machine


class Server:
    def __init__(self, argv: list[str], tmp: Path):
        self.db_file = tmp / "serve.db"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        env.update(MOTCUA_DATABASE_URL=f"sqlite:///{self.db_file}", MOTCUA_PROCESSES_DIR=str(tmp / "processes"),
                   MOTCUA_FORMS_DIR=str(tmp / "forms"), MOTCUA_SECRET_FILE=str(tmp / "secret.key"),
                   MOTCUA_SCHEDULER_INTERVAL="3600", PYTHONUNBUFFERED="1")
        for d in ("processes", "forms"):
            (tmp / d).mkdir(exist_ok=True)
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line is None:
                break
            self.output.append(line)
            if m := pattern.search(line):
                return m
        raise AssertionError(f"no {pattern.pattern!r} in the output:\n{''.join(self.output)}")

    def finish(self) -> tuple[int, str]:
        code = self.proc.wait(timeout=WAIT)
        while (line := self.lines.get(timeout=WAIT)) is not None:
            self.output.append(line)
        return code, "".join(self.output)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def spawn(tmp_path):
    servers: list[Server] = []

    def start(*argv: str) -> Server:
        servers.append(Server(list(argv), tmp_path))
        return servers[-1]

    yield start
    for s in servers:
        s.kill()


def dev_run(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "dev.py"), "run", *args]


def motcua_serve(*args: str) -> list[str]:
    return [sys.executable, "-m", "cli.main", "serve", *args]


def test_a_taken_port_stops_dev_run_before_anything_runs(spawn):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        server = spawn(*dev_run("--port", str(port)))
        code, output = server.finish()
    assert code == 1, output
    assert f"cannot listen on 127.0.0.1:{port}" in output and "nothing was started" in output
    # No migration, no scheduler, no timer sweep: the database was never even created.
    assert not server.db_file.exists()
    assert "scheduler" not in output.lower().replace("motcua serve", "")


def _health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=30) as r:
        return json.load(r)


@pytest.mark.parametrize("argv, sig", [(dev_run, signal.SIGTERM), (motcua_serve, signal.SIGINT)],
                         ids=["dev.py run + SIGTERM", "motcua serve + SIGINT"])
def test_a_stop_signal_ends_the_server_cleanly(spawn, argv, sig):
    server = spawn(*argv("--port", "0"))
    port = int(server.wait_for(STARTED).group(1))
    # The scheduler's first sweep runs at start in its own thread: wait (on the answer, bounded)
    # until it left its heartbeat, so stopping it has something to mark.
    deadline = time.monotonic() + WAIT
    while _health(port)["scheduler"]["last_sweep_at"] is None:
        assert time.monotonic() < deadline, "the scheduler never swept"
        time.sleep(0.2)
    server.proc.send_signal(sig)
    code, output = server.finish()
    assert code == 0, output
    assert re.search(rf"stopped on {sig.name}: \d+ request\(s\) in flight finished, scheduler stopped", output)
    engine = create_engine(f"sqlite:///{server.db_file}")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT active FROM scheduler_heartbeats")).scalars().all() == [False]
    engine.dispose()
    with pytest.raises(OSError):  # the port is free again: nobody listens
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
