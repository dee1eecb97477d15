"""Bits every blueprint uses: the services."""
from __future__ import annotations

from flask import current_app

from engine.bootstrap import Services


def services() -> Services:
    return current_app.extensions["motcua"]
