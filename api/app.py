"""The Flask application factory: a thin layer that validates, authorises and calls the services."""
from __future__ import annotations

import atexit
import logging

from flask import Flask

from engine.bootstrap import Services, build
from engine.scheduler import TimerScheduler
from engine.settings import Settings

from . import audit, json_body, openapi, problems
from . import logging as access_log
from . import metrics
from .auth import TokenService
from .citizen_tokens import CitizenTokenService
from .endpoints import CONVERTERS
from .config import ApiSettings
from . import ui
from .routes import auth as auth_routes
from .routes import admin, dossiers, lifecycle, procedures, public, reassignments, records, reports, system, tasks
from .routes import feedback

log = logging.getLogger(__name__)
MULTIPART_OVERHEAD = 1024 * 1024


def create_app(services: Services | None = None, api_settings: ApiSettings | None = None,
               start_scheduler: bool | None = None) -> Flask:
    services = services or build(Settings.from_env())
    api_settings = api_settings or ApiSettings.from_env()
    app = Flask("motcua")
    app.url_map.converters.update(CONVERTERS)
    # Uploads: the file plus multipart framing; JSON bodies get their own, smaller limit (json_body).
    app.config["MAX_CONTENT_LENGTH"] = services.settings.max_upload_bytes + MULTIPART_OVERHEAD
    app.json.ensure_ascii = False  # Vietnamese stays readable
    app.extensions["motcua"] = services
    app.extensions["motcua_tokens"] = TokenService(api_settings)
    app.extensions["motcua_citizen_tokens"] = CitizenTokenService(api_settings)
    problems.register(app)
    audit.register(app)
    access_log.register(app)  # after audit: it binds the request id audit sets
    metrics.register(app, api_settings.metrics_token)  # GET /metrics and request counts
    json_body.register(app, api_settings.max_json_bytes)
    openapi.install(app, (auth_routes.bp, tasks.bp, dossiers.bp, lifecycle.bp, records.bp, procedures.bp, system.bp,
                          admin.bp, reassignments.bp, reports.bp, public.bp,
                          feedback.bp, feedback.public_bp))
    app.register_blueprint(ui.bp)  # the web pages: static files, not part of the API document

    if services.settings.scheduler_enabled if start_scheduler is None else start_scheduler:
        scheduler = TimerScheduler(services.timers, services.settings.scheduler_interval,
                                   notifications=services.notifications)
        scheduler.start()
        app.extensions["motcua_scheduler"] = scheduler
        atexit.register(scheduler.shutdown)
        log.info("timer scheduler %s started (every %.0f s)", scheduler.name, services.settings.scheduler_interval)
    return app
