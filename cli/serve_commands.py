"""`motcua serve`: the API with the timer scheduler (the main job)."""
from __future__ import annotations

import argparse
import logging
import sys

from engine.bootstrap import build
from engine.domain.procedure_version import VersionState
from engine.settings import Settings

from .common import setup_logging


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the API and the timer scheduler (migrates, loads processes/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="0: any free port (the log says which)")
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--drain-seconds", type=float, default=30.0,
                   help="on SIGTERM/SIGINT, how long requests in flight may take to finish (default 30)")
    p.add_argument("--publish-drafts", action="store_true",
                   help="development: publish every new draft at once (in production the control office publishes)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    from api.app import create_app

    from .serving import GracefulServer, PortTaken, StopSignals, listen

    try:  # first of all: a taken port must stop us before any migration, scheduler or sweep
        sock = listen(args.host, args.port)
    except PortTaken as err:
        print(f"motcua serve: error: {err}", file=sys.stderr)
        return 1
    stop = StopSignals().install()
    settings = Settings.from_env()
    setup_logging(settings)
    log = logging.getLogger("motcua")
    services = build(settings)
    setup_logging(settings, services)  # the province's zone, from its calendar
    log.info("database %s (schema upgraded)", _redact(settings.database_url))
    if settings.sync_on_start:
        for entry in services.procedures.sync():
            if entry.outcome == "invalid":
                log.warning("%s refused: %s", entry.folder, "; ".join(str(p) for p in entry.problems))
                continue
            log.info("%s: %s (version %s)", entry.folder, entry.outcome, entry.version)
            if args.publish_drafts:
                for v in services.procedures.versions(entry.folder):
                    if v.state == VersionState.DRAFT.value and v.number == entry.version:
                        services.procedures.publish(entry.folder, v.number, actor="serve --publish-drafts")
                        log.info("%s version %s published", entry.folder, v.number)
    app = create_app(services)
    server = GracefulServer(app, sock, args.threads, stop, args.drain_seconds)
    host, port = sock.getsockname()[:2]
    log.info("API on http://%s:%d/api (docs: /api/docs)", host, port)
    drained = server.run()
    scheduler = app.extensions.get("motcua_scheduler")
    if scheduler is not None:
        scheduler.shutdown()  # waits for a sweep in progress, then marks the heartbeat stopped
    services.close()
    log.info("stopped on %s: %d request(s) in flight finished, scheduler stopped", stop.name, drained)
    return 0


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
