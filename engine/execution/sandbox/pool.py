"""Server side of the sandbox: a small pool of worker processes with a time and memory budget.

Created lazily, one pool per server process (a pool inherited through fork, as gunicorn forks its
workers, is left to the parent and a new one is started). A worker that overruns the time budget
is killed and replaced on next use; one that ran out of memory or died is replaced too.
"""
from __future__ import annotations

import io
import math
import os
import pickle
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Iterator

from engine.calendar import WorkingCalendar

from .policy import Mode, ScriptRefused

ROOT = Path(__file__).resolve().parents[3]
WORKER = Path(__file__).with_name("worker.py")
START_TIMEOUT_S = 60.0  # starting a worker and loading a calendar are not the script's budget


@dataclass(frozen=True)
class ScriptLimits:
    """Budget of one expression or script (MOTCUA_SCRIPT_TIMEOUT_MS, MOTCUA_SCRIPT_MEMORY_MB).

    timeout_ms: wall-clock milliseconds for one evaluation, round trip included.
    memory_mb: MiB of address space a worker may map beyond what it maps when idle.
    workers: idle workers kept per server process (more start when threads need them).
    step_ms: wall-clock milliseconds of all evaluations of one engine step together
      (MOTCUA_SCRIPT_STEP_MS): a loop of scripts and gateways, or a multi-instance of thousands,
      each within timeout_ms, would otherwise hold a request and a worker without end.
    """

    timeout_ms: int = 500
    memory_mb: int = 128
    workers: int = 4
    step_ms: int = 10_000


# When the current engine step began (time.monotonic()), None outside a step; per thread.
_step_started: ContextVar[float | None] = ContextVar("motcua_script_step", default=None)


@contextmanager
def script_step() -> Iterator[None]:
    """Every evaluation inside shares the step budget (ScriptLimits.step_ms); nested steps join the
    outermost one."""
    if _step_started.get() is not None:
        yield
        return
    token = _step_started.set(time.monotonic())
    try:
        yield
    finally:
        _step_started.reset(token)


class ScriptBudgetExceeded(RuntimeError):
    """The script ran out of time or memory, or its worker died: the dossier's step fails."""


class ScriptFailed(Exception):
    """The script raised in the sandbox; `kind` is its exception class (NameError, ...)."""

    def __init__(self, kind: str, message: str, line: int | None):
        self.kind, self.line = kind, line
        super().__init__(f"{kind}: {message}" + (f" (line {line})" if line else ""))


class _SafeUnpickler(pickle.Unpickler):
    """Replies come from a process that runs untrusted code: they may hold data, nothing else."""

    _ALLOWED = {("builtins", "set"), ("builtins", "frozenset"), ("builtins", "complex"),
                ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"),
                ("datetime", "timedelta"), ("datetime", "timezone")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not data")


class _Worker:
    def __init__(self, memory_mb: int):
        self.proc = subprocess.Popen(
            [sys.executable, "-E", "-s", str(WORKER), str(ROOT), str(memory_mb)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env={"LC_ALL": "C.UTF-8"}, cwd="/",
            close_fds=True,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.outbox = Connection(os.dup(self.proc.stdin.fileno()), readable=False)
        self.inbox = Connection(os.dup(self.proc.stdout.fileno()), writable=False)
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.calendar: str | None = None
        self._receive(START_TIMEOUT_S, "start")

    def _receive(self, timeout: float, what: str) -> tuple:
        if not self.inbox.poll(timeout):
            raise TimeoutError(what)
        try:
            return _SafeUnpickler(io.BytesIO(self.inbox.recv_bytes())).load()
        except (EOFError, OSError):
            self.proc.wait(timeout=5)
            raise ScriptBudgetExceeded(f"the script worker stopped (exit status {self.proc.returncode}): "
                                       "it probably ran out of memory") from None
        except pickle.UnpicklingError as err:
            raise ScriptFailed("TypeError", f"the result is not data ({err})", None) from None

    def use_calendar(self, calendar: WorkingCalendar) -> None:
        if self.calendar != calendar.digest:
            self.outbox.send_bytes(pickle.dumps(("calendar", calendar.digest, calendar.config)))
            reply = self._receive(START_TIMEOUT_S, "calendar")
            if reply[0] != "ok":
                raise ScriptBudgetExceeded(f"the script worker could not load the calendar: {reply[2]} {reply[3]}")
            self.calendar = calendar.digest

    def run(self, request: tuple, timeout: float) -> tuple:
        self.outbox.send_bytes(pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
        return self._receive(timeout, "run")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.inbox.close()
        self.outbox.close()


class ScriptPool:
    """Workers of one server process, for one memory budget. Thread-safe."""

    def __init__(self, memory_mb: int, keep: int):
        self.memory_mb = memory_mb
        self.keep = keep
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker(self.memory_mb)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if len(self._idle) < self.keep:
                self._idle.append(worker)
                return
        worker.kill()

    def run(self, limits: ScriptLimits, calendar: WorkingCalendar, now: datetime, mode: Mode, source: str,
            data: dict[str, Any], external: dict[str, Any] | None) -> tuple[Any, dict[str, Any] | None, list]:
        """(value, data after a script, deadline bases) of one evaluation in a worker.

        Raises ScriptRefused, ScriptFailed, or ScriptBudgetExceeded (time, memory, worker died).
        """
        timeout = limits.timeout_ms / 1000
        over = f"the script ran longer than its budget of {limits.timeout_ms} ms (MOTCUA_SCRIPT_TIMEOUT_MS)"
        started = _step_started.get()
        if started is not None:
            left = started + limits.step_ms / 1000 - time.monotonic()
            if left < timeout:
                over = (f"the step's scripts and expressions ran longer than {limits.step_ms} ms together "
                        "(MOTCUA_SCRIPT_STEP_MS; a loop without a wait?)")
                if left <= 0:
                    raise ScriptBudgetExceeded(over)
                timeout = left
        worker = self._take()
        try:
            worker.use_calendar(calendar)
            request = ("run", mode, source, data, external or {}, now.isoformat(),
                       math.ceil(timeout) + 1)
            try:
                reply = worker.run(request, timeout)
            except TimeoutError:
                raise ScriptBudgetExceeded(over) from None
        except BaseException:
            worker.kill()
            raise
        if reply[0] == "ok":
            self._give_back(worker)
            return reply[1], reply[2], reply[3]
        _, kind, exc, message, line = reply
        if kind == "memory":
            worker.kill()  # a worker that hit its cap may be left fragmented: start afresh
            raise ScriptBudgetExceeded(message or f"the script needed more than its budget of {limits.memory_mb} "
                                       "MiB (MOTCUA_SCRIPT_MEMORY_MB)")
        self._give_back(worker)
        if kind == "refused":
            raise ScriptRefused(message)
        raise ScriptFailed(exc, message, line)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_pools: dict[int, ScriptPool] = {}
_pools_lock = threading.Lock()
_pid = os.getpid()


def _after_fork() -> None:
    # The parent's workers answer the parent: forget them (without killing) and start anew.
    global _pools, _pools_lock, _pid
    _pools, _pools_lock, _pid = {}, threading.Lock(), os.getpid()


os.register_at_fork(after_in_child=_after_fork)


def pool_for(limits: ScriptLimits) -> ScriptPool:
    """This process's pool for `limits.memory_mb` (workers are started on first use)."""
    pool = _pools.get(limits.memory_mb)
    if pool is None:
        with _pools_lock:
            pool = _pools.setdefault(limits.memory_mb, ScriptPool(limits.memory_mb, limits.workers))
    return pool


def close_pools() -> None:
    """Stop every idle worker of this process (tests, shutdown)."""
    for pool in list(_pools.values()):
        pool.close()
