"""`GET /metrics` (issue 14): Prometheus text after a completion; who may scrape; several processes."""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.config import ApiSettings
from engine.scheduler import TimerScheduler
from tests.support.bpmn import Process, write_procedure

ROOT = Path(__file__).resolve().parents[2]


def scrape(client, **kw) -> dict[tuple[str, tuple], float]:
    r = client.get("/metrics", **kw)
    assert r.status_code == 200, r.data
    assert r.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(r.get_data(as_text=True)) for s in family.samples}


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


ROUTE = "/api/tasks/<task_id>/complete"


def test_a_scrape_after_a_completion_counts_it(api):
    before = scrape(api.client)
    dossier = api.register()
    task = api.task_of("desk", dossier["code"])
    r = api.post("desk", f"/api/tasks/{task['task_id']}/complete", {"data": {"complete": True}})
    assert r.status_code == 200
    after = scrape(api.client)
    route = ROUTE  # the route's rule, never the raw path: one series per route however many tasks
    assert value(after, "motcua_task_completions_total", procedure="P") \
        - value(before, "motcua_task_completions_total", procedure="P") == 1
    assert value(after, "motcua_http_requests_total", route=route, method="POST", status="200") \
        - value(before, "motcua_http_requests_total", route=route, method="POST", status="200") == 1
    assert value(after, "motcua_http_request_duration_seconds_count", route=route, method="POST") \
        - value(before, "motcua_http_request_duration_seconds_count", route=route, method="POST") == 1
    # State from the database: nothing open, nothing due, no scheduler in this test app.
    assert value(after, "motcua_incidents_open", kind="task") == 0
    assert value(after, "motcua_timers_due") == 0
    assert value(after, "motcua_schedulers_running") == 0
    assert ("motcua_scheduler_heartbeat_age_seconds", ()) not in after
    # The registration wrote its status changes (N-8) and a notice to the applicant to the outbox.
    assert value(after, "motcua_outbox_pending", topic="portal") > 0
    assert value(after, "motcua_outbox_pending", topic="notification") > 0


def test_timers_due_fired_late_and_the_heartbeat_age(api, services, dirs, clock):
    late = (Process("p").start().user("receive", lane="one_stop_officer", hours=1)
            .boundary_timer("late", "receive", "deadline(working_hours=1)").user("escalate", lane="agency_head")
            .end("e1").end("e2").chain("start", "receive", "e1").chain("late", "escalate", "e2"))
    broken = (Process("p").start().timer("wait", "deadline(working_hours=1)").script("boom", "x = 1 / 0").end()
              .chain("start", "wait", "boom", "end"))
    for code, process in (("LATE", late), ("BROKEN", broken)):
        write_procedure(dirs[0], code, process)
    services.procedures.sync()
    services.procedures.publish("LATE")
    services.procedures.publish("BROKEN")
    services.dossiers.start("LATE")
    services.dossiers.start("BROKEN")
    before = scrape(api.client)
    clock.advance(timedelta(hours=3))  # both due 1 working hour after 09:00: fired 2 hours late
    assert value(scrape(api.client), "motcua_timers_due") == 2
    scheduler = TimerScheduler(services.timers, interval_seconds=60, name="sweeper")
    report = scheduler.sweep()
    assert len(report.fired) == 1 and len(report.failed) == 1
    clock.advance(timedelta(seconds=42))
    after = scrape(api.client)
    delta = {n: value(after, n) - value(before, n) for n in (
        "motcua_timer_sweeps_total", "motcua_timers_due_total", "motcua_timers_fired_total",
        "motcua_timers_late_total", "motcua_timer_failures_total")}
    assert delta == {"motcua_timer_sweeps_total": 1, "motcua_timers_due_total": 2, "motcua_timers_fired_total": 1,
                     "motcua_timers_late_total": 1, "motcua_timer_failures_total": 1}
    assert value(after, "motcua_timers_due") == 1  # the broken one waits for its retry
    assert value(after, "motcua_incidents_open", kind="timer") == 1
    assert value(after, "motcua_schedulers_running") == 1
    assert value(after, "motcua_scheduler_heartbeat_age_seconds") == 42


def test_who_may_scrape(app, services):
    client = app.test_client()
    assert client.get("/metrics").status_code == 200  # loopback, no proxy
    outside = client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert outside.status_code == 403 and outside.json["type"] == "urn:motcua:problem:forbidden"
    # Through a reverse proxy on this machine every request is from 127.0.0.1: refused.
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 403

    locked = create_app(services, ApiSettings(secret_key="test-secret-" + "x" * 40, metrics_token="s3cret-token"),
                        start_scheduler=False).test_client()
    assert locked.get("/metrics").status_code == 403  # a token is set: loopback alone is not enough
    assert locked.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    ok = locked.get("/metrics", headers={"Authorization": "Bearer s3cret-token", "X-Forwarded-For": "192.0.2.7"},
                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert ok.status_code == 200


def test_counters_of_several_processes_are_summed(app, tmp_path, monkeypatch):
    """gunicorn workers write their counters to $PROMETHEUS_MULTIPROC_DIR; any one's scrape sums them."""
    child = ("import sys; from engine import metrics; metrics.task_completed('P'); "
             "metrics.sweep_done(due=1, delays=[0.5], failed=0, interval_seconds=30)")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # two "workers", each its own process
        subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=env, check=True, timeout=120)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    samples = scrape(app.test_client())
    assert value(samples, "motcua_task_completions_total", procedure="P") == 2
    assert value(samples, "motcua_timers_fired_total") == 2
    assert value(samples, "motcua_timer_sweeps_total") == 2


def test_made_up_http_methods_share_one_label(app):
    # Labels must stay bounded (each series costs memory in every process and in Prometheus): the
    # route is the rule, never the path; the method is one of HTTP's own, else "other". Any token is a
    # valid method to the server, so a client sending BREAK1, BREAK2, … made one series per name.
    client = app.test_client()
    for n in range(5):
        client.open("/api/tasks", method=f"BREAK{n}")
        client.open("/nowhere", method=f"BREAK{n}")
    samples = scrape(client)
    methods = {dict(labels)["method"] for (name, labels) in samples if name == "motcua_http_requests_total"}
    assert not [m for m in methods if m.startswith("BREAK")], methods
    assert "other" in methods
