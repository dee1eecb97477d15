"""`motcua serve`: the API with the timer scheduler (the main job)."""
from __future__ import annotations

import argparse
import logging

from engine.bootstrap import build
from engine.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="run the API and the timer scheduler (migrates, loads processes/)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8)
    p.add_argument("--publish-drafts", action="store_true",
                   help="development: publish every new draft at once (in production the control office publishes)")
    p.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> None:
    import waitress

    from api.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "alembic"):  # a line per sweep / per health check is noise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    log = logging.getLogger("motcua")
    settings = Settings.from_env()
    services = build(settings)
    log.info("database %s (schema upgraded)", _redact(settings.database_url))
    if settings.sync_on_start:
        for entry in services.procedures.sync():
            if entry.outcome == "invalid":
                log.warning("%s refused: %s", entry.folder, "; ".join(str(p) for p in entry.problems))
                continue
            log.info("%s: %s (version %s)", entry.folder, entry.outcome, entry.version)
            if args.publish_drafts:
                for v in services.procedures.versions(entry.folder):
                    if v.state == "draft" and v.number == entry.version:
                        services.procedures.publish(entry.folder, v.number, actor="serve --publish-drafts")
                        log.info("%s version %s published", entry.folder, v.number)
    app = create_app(services)
    log.info("API on http://%s:%d/api (docs: /api/docs)", args.host, args.port)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="motcua")


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
