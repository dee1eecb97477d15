"""WSGI entry point for production servers: `gunicorn -w 4 'api.wsgi:app'` (docs/operations.md)."""
from .app import create_app

app = create_app()
