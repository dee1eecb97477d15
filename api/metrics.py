"""`GET /metrics`: Prometheus' text format (prometheus-client), for the province's monitoring.

What it holds (docs/operations.md, "Metrics"):
- events counted where they happen, in the process that handles them: HTTP requests by route,
  method and status with a latency histogram (this module's after_request hook), task
  completions and the timer sweep's due / fired / late timers (engine/metrics.py);
- state read from the database at scrape time (engine/services/figures.py): open incidents,
  timers due, outbox and notification entries pending, the scheduler heartbeat's age. These are
  right whichever process answers the scrape and whichever process changed them.

Several processes (gunicorn workers, a separate `motcua scheduler`): with $PROMETHEUS_MULTIPROC_DIR
set (config/gunicorn.conf.py does it), every process writes its counters to files there and a scrape
sums all of them, so any worker's answer is the whole server's. Without it (`motcua serve`, one
process) the counters are this process' own.

Who may scrape: with MOTCUA_METRICS_TOKEN set, a request carrying `Authorization: Bearer <token>`;
otherwise only a client on this machine (loopback peer) whose request came through no proxy (no
Forwarded / X-Forwarded-For / X-Real-IP header), since a reverse proxy on the same machine makes
every outside request look local. Anyone else gets 403 (problem+json).
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from engine import metrics as engine_metrics

from .problems import problem

PATH = "/metrics"
REQUESTS = Counter("motcua_http_requests", "HTTP requests answered, by route, method and status",
                   ["route", "method", "status"], registry=None)
LATENCY = Histogram("motcua_http_request_duration_seconds", "Time to answer an HTTP request, by route and method",
                    ["route", "method"], registry=None,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0))
PROXY_HEADERS = ("Forwarded", "X-Forwarded-For", "X-Real-IP")
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"})


class DatabaseFigures:
    """A collector that reads the operational figures from the database at each scrape."""

    def __init__(self, app: Flask):
        self.app = app

    def describe(self) -> list:
        return []  # read at collect time only (auto_describe is off)

    def collect(self):
        figures = self.app.extensions["motcua"].figures.current()
        incidents = GaugeMetricFamily("motcua_incidents_open", "Unresolved incidents, by kind", labels=["kind"])
        for kind in ("task", "timer", "message") + tuple(k for k in figures.open_incidents
                                                       if k not in ("task", "timer", "message")):
            incidents.add_metric([kind], figures.open_incidents.get(kind, 0))
        yield incidents
        yield GaugeMetricFamily("motcua_timers_due", "Timers due and not fired yet (backlog of the sweep)",
                                value=figures.timers_due)
        yield GaugeMetricFamily("motcua_schedulers_running", "Schedulers whose heartbeat says running",
                                value=figures.schedulers_running)
        if figures.last_sweep_age is not None:
            yield GaugeMetricFamily("motcua_scheduler_heartbeat_age_seconds",
                                    "Seconds since the latest sweep of any running scheduler",
                                    value=figures.last_sweep_age)
        pending = GaugeMetricFamily("motcua_outbox_pending",
                                    "Outbox entries not yet sent, by topic (portal: status sync with the national "
                                    "portal; notification: notices to applicants)", labels=["topic"])
        for topic, n in sorted(figures.outbox_pending.items()):
            pending.add_metric([topic], n)
        yield pending


def _registry(app: Flask) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        MultiProcessCollector(registry, path=directory)  # every process' counters, summed
    else:
        for metric in (REQUESTS, LATENCY, *engine_metrics.ALL):
            registry.register(metric)
    registry.register(DatabaseFigures(app))
    return registry


def _allowed(token: str | None) -> bool:
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    if any(h in request.headers for h in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.environ.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def register(app: Flask, token: str | None) -> None:
    """Serve /metrics and count every request (before/after_request hooks, any routing)."""

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None and request.path != PATH:
            route = request.url_rule.rule if request.url_rule else "(unmatched)"  # never the raw path: bounded labels
            method = request.method if request.method in HTTP_METHODS else "other"  # any token is a method
            REQUESTS.labels(route, method, str(response.status_code)).inc()
            LATENCY.labels(route, method).observe(time.perf_counter() - started)
        return response

    def metrics() -> Response:
        if not _allowed(token):
            return problem("forbidden", "metrics are for the monitoring system: a bearer token "
                                        "(MOTCUA_METRICS_TOKEN) or a local request without a proxy")
        registry = current_app.extensions.get("motcua_metrics_registry")
        if registry is None:
            registry = current_app.extensions["motcua_metrics_registry"] = _registry(current_app)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    app.add_url_rule(PATH, "metrics", metrics, methods=["GET"])
