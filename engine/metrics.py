"""Counters of what the engine does, for /metrics (api/metrics.py) in Prometheus' format.

Counted where it happens (a completion, a sweep), in the process that does it. Under gunicorn
(several processes) prometheus-client's multiprocess mode keeps each process' values in files of
$PROMETHEUS_MULTIPROC_DIR, summed at scrape time by whichever process answers (config/gunicorn.conf.py
sets it up). Figures that are state, not events (open incidents, due timers, the scheduler's
heartbeat), are read from the database at scrape time instead (engine/services/figures.py), so
they are right whichever process answers and whoever changed them.

The metric objects are not registered anywhere: api/metrics.py puts them in the registry it serves.
"""
from __future__ import annotations

from prometheus_client import Counter, Histogram

TASK_COMPLETIONS = Counter("motcua_task_completions", "User tasks completed, by procedure",
                           ["procedure"], registry=None)
TIMER_SWEEPS = Counter("motcua_timer_sweeps", "Timer sweeps run by schedulers", registry=None)
TIMERS_DUE = Counter("motcua_timers_due", "Timers found due by sweeps (in the dossiers they tried)",
                     registry=None)
TIMERS_FIRED = Counter("motcua_timers_fired", "Due timers fired by sweeps", registry=None)
TIMERS_LATE = Counter("motcua_timers_late",
                      "Timers fired later than two sweep intervals after their due time (a scheduler was "
                      "down or overloaded)", registry=None)
TIMER_DELAY = Histogram("motcua_timer_fire_delay_seconds", "How long after its due time a timer fired",
                        buckets=(1, 5, 15, 30, 60, 120, 300, 900, 3600, 6 * 3600, 24 * 3600), registry=None)
TIMER_FAILURES = Counter("motcua_timer_failures", "Dossiers whose due timers failed in a sweep (an incident each)",
                         registry=None)

ALL = (TASK_COMPLETIONS, TIMER_SWEEPS, TIMERS_DUE, TIMERS_FIRED, TIMERS_LATE, TIMER_DELAY, TIMER_FAILURES)


def task_completed(procedure_code: str) -> None:
    TASK_COMPLETIONS.labels(procedure_code).inc()


def sweep_done(due: int, delays: list[float], failed: int, interval_seconds: float) -> None:
    """One sweep: `delays` are the seconds between due time and firing of each timer it fired."""
    TIMER_SWEEPS.inc()
    TIMERS_DUE.inc(due)
    TIMERS_FIRED.inc(len(delays))
    TIMER_FAILURES.inc(failed)
    late = 2 * interval_seconds
    for delay in delays:
        TIMER_DELAY.observe(delay)
    TIMERS_LATE.inc(sum(1 for d in delays if d > late))
