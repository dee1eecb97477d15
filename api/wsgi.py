"""WSGI entry point for production servers: `gunicorn -c config/gunicorn.conf.py api.wsgi:app`
(docs/operations.md). Log lines are JSON (engine/logs.py), configured before the app is built."""
from engine import logs
from engine.settings import Settings

from .app import create_app

_settings = Settings.from_env()
logs.configure(_settings.log_level, _settings.log_format)
app = create_app()
logs.configure(_settings.log_level, _settings.log_format, app.extensions["motcua"].ctx.calendars.get().tz)
