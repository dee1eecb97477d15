"""Printable slips and records (N-2): Jinja2 templates rendering engine/services/records.py's records."""
from .render import render_html

__all__ = ["render_html"]
