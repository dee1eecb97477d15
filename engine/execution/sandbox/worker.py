"""The sandbox worker: a separate Python process that runs restricted scripts one at a time.

Started by ``pool.py`` as ``python -E -s worker.py <project root> <memory MiB>`` with an empty
environment (no secret key, no database URL to read even if the restrictions failed). After its
imports it caps its own address space (RLIMIT_AS = what it uses now + the memory budget) and the
size of any file it could write (0). Before each job it caps its CPU time a little past the time
budget, so a runaway script dies even if the server that started it is gone. The server kills it
when a job overruns the time budget (Python cannot interrupt one long bytecode in-process).

Protocol (pickled tuples over the inherited stdin/stdout pipes, which nothing else writes to):
  -> ("calendar", digest, CalendarConfig)        <- ("ok",)
  -> ("run", mode, source, data, external, now_iso, cpu_s)
                                                 <- ("ok", value, data_after, deadline bases)
                                                 <- ("error", kind, exception class, message, line)
"""
from __future__ import annotations

import os
import sys

MAX_REPLY_BYTES = 16 * 2**20


def _main() -> None:
    root, memory_mb = sys.argv[1], int(sys.argv[2])
    # Ctrl-C reaches the whole terminal process group: the server stops gracefully and may still
    # need its workers for requests in flight; a worker ends when the server closes its pipe.
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.path[0] = root  # not this folder: its module names must not shadow anything

    import pickle
    import resource
    from datetime import datetime
    from multiprocessing.connection import Connection

    from engine.calendar import WorkingCalendar
    from engine.execution.expressions.runtime import FUNCTIONS as TRANSLATED
    from engine.execution.sandbox.policy import ScriptRefused
    from engine.execution.sandbox.runtime import ScriptRaised, run
    from engine.execution.working_time import WorkingTimeFunctions, recording

    # The protocol's pipes move to fresh descriptors; 0 and 1 point at /dev/null.
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)

    class _At:
        def __init__(self, t: datetime):
            self.t = t

        def now(self) -> datetime:
            return self.t

    calendar: WorkingCalendar | None = None
    digest = None

    def _limit(kind: int, soft: int) -> None:
        _, hard = resource.getrlimit(kind)
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(kind, (soft, hard))

    _limit(resource.RLIMIT_FSIZE, 0)
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_AS, _address_space() + memory_mb * 1024 * 1024)
    outbox.send_bytes(pickle.dumps(("ready",)))

    while True:
        try:
            message = pickle.loads(inbox.recv_bytes())
        except EOFError:
            return
        try:
            if message[0] == "calendar":
                if message[1] != digest:
                    calendar = WorkingCalendar(message[2])
                    calendar.add_working_hours(datetime.now(calendar.tz), 1)  # build its tables now
                    digest = message[1]
                reply: tuple = ("ok",)
            else:
                _, mode, source, data, external, now, cpu_s = message
                used = resource.getrusage(resource.RUSAGE_SELF)
                _limit(resource.RLIMIT_CPU, int(used.ru_utime + used.ru_stime + cpu_s) + 1)
                cal = calendar
                functions = {**WorkingTimeFunctions(lambda: cal, _At(datetime.fromisoformat(now))).globals(),
                             **TRANSLATED}
                with recording() as bases:
                    value, after = run(mode, source, data, external, functions)
                reply = ("ok", value, after, bases)
            try:
                payload = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as err:
                payload = pickle.dumps(("error", "output", type(err).__name__,
                                        "the result is not data (it cannot leave the script)", None))
            if len(payload) > MAX_REPLY_BYTES:  # it would become task data, stored with every step
                payload = pickle.dumps(("error", "memory", "MemoryError",
                                        f"the result takes more than {MAX_REPLY_BYTES // 2**20} MiB", None))
        except ScriptRefused as err:
            payload = pickle.dumps(("error", "refused", "ScriptRefused", str(err), None))
        except ScriptRaised as err:
            payload = pickle.dumps(("error", "raised", err.kind, err.message, err.line))
        except MemoryError as err:  # out of memory (no message), or a result too large (runtime.py)
            payload = pickle.dumps(("error", "memory", "MemoryError", str(err), None))
        except Exception as err:  # an engine function failing (bad calendar...)
            payload = pickle.dumps(("error", "raised", type(err).__name__, str(err), None))
        outbox.send_bytes(payload)


def _address_space() -> int:
    """Bytes of virtual memory this process maps now (Linux; 0 elsewhere, so the cap is the budget)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    _main()
