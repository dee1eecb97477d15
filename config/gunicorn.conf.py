"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py api.wsgi:app`.

A file, not a module of the `api` package: importing `api` loads prometheus-client, which must
see $PROMETHEUS_MULTIPROC_DIR (set in on_starting below) before its first import.

Every value can be overridden on the command line (`-w 8`, `-b 0.0.0.0:8000`) or through the
environment variables below (docs/operations.md, "Deployment").
"""
from __future__ import annotations

import os
import tempfile
from typing import Any

bind = os.environ.get("MOTCUA_BIND", "127.0.0.1:8000")  # behind the reverse proxy
workers = int(os.environ.get("MOTCUA_WORKERS", "4"))
worker_class = "gthread"  # threads per worker: a slow client does not hold a whole process
threads = int(os.environ.get("MOTCUA_THREADS", "4"))
# SIGTERM: workers stop accepting and get this long to finish the requests in flight.
graceful_timeout = int(os.environ.get("MOTCUA_GRACEFUL_TIMEOUT", "30"))
timeout = 120  # a worker silent this long is restarted (a step's scripts have their own budgets)
# The app (and its scheduler) is loaded in each worker after the fork, never in the arbiter:
# the arbiter binds the port first, so a taken port stops gunicorn before any side effect.
preload_app = False


def on_starting(server: Any) -> None:
    """Counters of every worker go to files in $PROMETHEUS_MULTIPROC_DIR, summed by whichever worker
    answers /metrics (api/metrics.py). Unset: a fresh directory for this run. Set it yourself to
    share it with a `motcua scheduler` on this machine, and empty it before each start."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="motcua-metrics-")


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its counters stay counted; its live gauges go


def worker_exit(server: Any, worker: Any) -> None:
    """Stop this worker's timer scheduler: a sweep in progress finishes, the heartbeat says stopped."""
    scheduler = getattr(worker, "wsgi", None) and worker.wsgi.extensions.get("motcua_scheduler")
    if scheduler is not None:
        scheduler.shutdown()
