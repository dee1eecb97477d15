"""The listening socket and a waitress loop that stops gracefully, for `motcua serve`.

The socket is bound before anything else happens (no migration, no scheduler, no timer sweep),
so a second `motcua serve` on a taken port stops without side effects. SIGTERM and SIGINT stop
accepting connections, let requests already received finish and their answers go out (up to
`drain_seconds`), then return so the caller stops the scheduler and exits 0.

waitress' own `serve()` ends its event loop at once on a signal, which drops answers still in
its output buffers; so this module runs the same loop itself and drains first. It reads two
attributes of waitress' HTTPChannel (`request`, `requests`, `total_outbufs_len`): pinned by the
serve tests.
"""
from __future__ import annotations

import logging
import signal
import socket
import time
from types import FrameType
from typing import Any, Callable

log = logging.getLogger("motcua.serve")


class PortTaken(Exception):
    """The address is in use: nothing was started."""


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on host:port (port 0: any free port). Raises PortTaken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # reuse_port stays off: SO_REUSEADDR (set by create_server on POSIX) only allows rebinding
        # over closed connections in TIME_WAIT, never over a live listener.
        return socket.create_server((host, port), family=family, backlog=backlog)
    except OSError as err:
        raise PortTaken(f"cannot listen on {host}:{port}: {err.strerror or err} (is another motcua serve "
                        f"running? stop it or choose another --port); nothing was started") from None


class StopSignals:
    """Counts SIGTERM/SIGINT from `install()` on (call it right after binding): a signal during
    start-up then stops the server as soon as it would begin serving, instead of killing it."""

    def __init__(self) -> None:
        self.count = 0
        self.name: str | None = None

    def install(self) -> "StopSignals":
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)
        return self

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.count += 1
        self.name = signal.Signals(signum).name


class GracefulServer:
    """waitress on an already-bound socket; `run()` returns after a stop signal and a drain."""

    def __init__(self, app: Callable[..., Any], sock: socket.socket, threads: int, stop: StopSignals,
                 drain_seconds: float = 30.0):
        from waitress.server import create_server

        self._map: dict[int, Any] = {}
        self.server = create_server(app, map=self._map, sockets=[sock], threads=threads, ident="motcua")
        self.stop = stop
        self.drain_seconds = drain_seconds

    def run(self) -> int:
        """Serve until a stop signal (a second one cuts the drain short); returns requests drained."""
        from waitress import wasyncore

        while not self.stop.count:
            wasyncore.loop(timeout=0.5, map=self._map, use_poll=True, count=1)
        log.info("%s received: no new connections; finishing requests in flight", self.stop.name)
        wasyncore.dispatcher.close(self.server)  # the listener only: channels and the trigger stay
        busy, deadline = self._busy(), time.monotonic() + self.drain_seconds
        drained = busy
        while busy and self.stop.count < 2 and time.monotonic() < deadline:
            wasyncore.loop(timeout=0.1, map=self._map, use_poll=True, count=1)
            busy = self._busy()
        if busy:
            log.warning("%d connection(s) still busy after the drain: closed", busy)
        self.server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)
        wasyncore.close_all(self._map)
        return drained - busy

    def _busy(self) -> int:
        """Connections with a request being received, waiting, running, or an answer not yet sent."""
        from waitress.channel import HTTPChannel

        return sum(1 for ch in list(self._map.values()) if isinstance(ch, HTTPChannel)
                   and (ch.requests or ch.request is not None or ch.total_outbufs_len))
