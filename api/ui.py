"""The web pages (/ui/): a dossier's path and the reports dashboard. Static files only; every figure
they show comes from the API with the signed-in official's bearer token, so they show nothing the
API would not (docs/web.md). bpmn-js is served from node_modules/ (installed by `python3 dev.py setup`
with npm), never from a CDN: the pages work offline.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, redirect, send_from_directory

from .problems import ApiProblem

WEB = Path(__file__).resolve().parent / "web"
BPMN_JS = Path(__file__).resolve().parents[1] / "node_modules" / "bpmn-js" / "dist"

bp = Blueprint("ui", __name__, url_prefix="/ui")

# Scripts only from this server; bpmn-js sets style attributes on its SVG, hence 'unsafe-inline' for styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@bp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _page(name: str) -> Response:
    response = send_from_directory(WEB, name, mimetype="text/html", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> Response:
    return redirect("/ui/reports", 302)


@bp.get("/reports")
def reports_page() -> Response:
    return _page("reports.html")


@bp.get("/dossiers/<id:dossier_id>")
def dossier_page(dossier_id: int) -> Response:
    return _page("dossier.html")  # the script reads the id from the address and asks the API


@bp.get("/static/<path:name>")
def static_file(name: str) -> Response:
    return send_from_directory(WEB, name, max_age=300)


@bp.get("/vendor/bpmn-js/<path:name>")
def bpmn_js(name: str) -> Response:
    if not BPMN_JS.is_dir():
        raise ApiProblem("not-found", "bpmn-js is not installed: run `python3 dev.py setup` (needs Node.js and npm)")
    return send_from_directory(BPMN_JS, name, max_age=3600)
