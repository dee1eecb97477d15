"""`motcua demo`: publish processes/, run each folder's scenario on a manual clock, report (issue 11).

The runner only calls services (engine.bootstrap's composition root, the API's use cases). For
each procedure folder, in name order: load and publish it (development publish, in effect from the
start), create the accounts of its competent agency, set the clock back to the start and run its
scenario (cli/demo/scenarios). Then the outbox is exported (as `motcua outbox export` would) and
every dossier is reported with its status (N-8), appointment, control sheet (N-7) and events.

Failures (a folder that does not load, a scenario that raises, a dossier that did not end) are
reported where they happened and make `run` answer 1; the other scenarios still run.
"""
from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from engine.bootstrap import Services
from engine.clock import ManualClock
from engine.domain.access import Official
from engine.procedures.library import ProcedureInvalid, load_procedure, procedure_folders
from engine.services.dossiers import DossierView
from engine.services.errors import ServiceError
from engine.services.feedback import FeedbackView
from engine.services.records import ControlSheet, RecordKind

from . import report
from .driver import AGENCY_ROLES, Demo, Procedure, ended, official

SCENARIO_PACKAGE = "cli.demo.scenarios"


class UnknownFolder(LookupError):
    """--procedures named a folder processes/ does not have."""


@dataclass
class Outcome:
    """What happened to one procedure folder."""

    folder: str
    procedure: Procedure | None = None
    scenario: str | None = None  # the module run; None: no scenario (or the folder did not load)
    views: list[DossierView] = field(default_factory=list)
    feedback: list[FeedbackView] = field(default_factory=list)  # cases of a feedback procedure (PAKN-01)
    sheets: dict[int, ControlSheet] = field(default_factory=dict)
    story: list[tuple[datetime, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def module_name(folder: str) -> str:
    """The scenario module of a procedure folder: HKD-01 -> hkd_01 (cli/demo/scenarios docstring)."""
    name = re.sub(r"[^a-z0-9]+", "_", folder.lower()).strip("_")
    return f"p_{name}" if name[:1].isdigit() else name


def find_scenario(folder: str, package: str | None = None) -> ModuleType | None:
    """The scenario module of `folder` in `package` (default SCENARIO_PACKAGE), or None when it has
    none (an error inside it propagates)."""
    full = f"{package or SCENARIO_PACKAGE}.{module_name(folder)}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as err:
        if err.name == full:
            return None
        raise


def run(services: Services, clock: ManualClock, out: TextIO, folders: list[str] | None = None,
        package: str | None = None) -> int:
    """Publish, drive and report; 0 when every folder loaded and every scenario ended its dossiers,
    else 1. `folders`: only these folders of processes/ (UnknownFolder for one that is not there)."""
    start = clock.now()
    found = {p.name: p for p in procedure_folders(services.ctx.processes_dir)}
    missing = [f for f in folders or [] if f not in found]
    if missing:
        raise UnknownFolder(f"no procedure folder {', '.join(missing)} in {services.ctx.processes_dir} "
                            f"(there: {', '.join(found) or 'none'})")
    chosen = [found[f] for f in (folders or sorted(found))]
    accounts: dict[tuple[str, str], Official] = {}
    outcomes = [_publish(services, accounts, path) for path in chosen]
    for outcome in outcomes:
        if outcome.procedure is not None:
            clock.set(start)
            _drive(services, clock, accounts, outcome, package)
    events = _export_outbox(services)
    tz = services.ctx.calendars().tz
    report.print_header(out, start, services.ctx.processes_dir, outcomes, accounts, tz)
    for outcome in outcomes:
        report.print_outcome(out, outcome, events, tz)
    report.print_summary(out, outcomes)
    return 1 if any(o.failed for o in outcomes) else 0


def _publish(services: Services, accounts: dict[tuple[str, str], Official], path: Path) -> Outcome:
    outcome = Outcome(path.name)
    try:
        loaded = load_procedure(path, services.ctx.forms_dir)
    except ProcedureInvalid as err:
        errors = [p for p in err.problems if getattr(p, "severity", "error") == "error"] or err.problems
        outcome.error = "does not load: " + "; ".join(str(p) for p in errors)
        return outcome
    try:
        services.procedures.add_version(loaded, path.name)
        services.procedures.publish(loaded.code)
        procedure = Procedure(path.name, loaded.code, dict(loaded.metadata))
        for role in AGENCY_ROLES:
            official(services, accounts, role, procedure.agency, procedure.meta.get("agency_name"))
    except ServiceError as err:
        outcome.error = "not published: " + _describe(err)
        return outcome
    outcome.procedure = procedure
    return outcome


def _drive(services: Services, clock: ManualClock, accounts: dict[tuple[str, str], Official],
           outcome: Outcome, package: str | None) -> None:
    assert outcome.procedure is not None
    try:
        module = find_scenario(outcome.folder, package)
    except Exception as err:  # a scenario that does not import is a failing scenario
        outcome.scenario, outcome.error = module_name(outcome.folder), f"scenario does not import: {_describe(err)}"
        return
    if module is None:
        return
    outcome.scenario = module.__name__
    demo = Demo(services, clock, outcome.procedure, accounts)
    try:
        module.run(demo)
    except Exception as err:  # reported with the dossiers it left behind; the other scenarios go on
        outcome.error = f"scenario failed at {report.when(clock.now(), services.ctx.calendars().tz)}: {_describe(err)}"
    outcome.story = demo.story
    for dossier_id in demo.dossiers:
        view = services.dossiers.get(dossier_id)
        outcome.views.append(view)
        outcome.sheets[view.id] = services.records.build(view, RecordKind.CONTROL).body  # type: ignore[assignment]
        if not ended(view) and outcome.error is None:
            waiting = ", ".join(t.name for t in view.current_tasks) or "a message or timer"
            outcome.error = (f"dossier {view.code} did not end: status {view.status_code} {view.status}, "
                             f"waiting for {waiting}")
    head = official(services, accounts, "agency_head", outcome.procedure.agency)
    for code in demo.feedback:
        case = services.feedback.get(head, code)
        outcome.feedback.append(case)
        if case.status != "answered" and outcome.error is None:
            outcome.error = f"feedback {code} was not answered: status {case.status}"
    if not demo.dossiers and not demo.feedback and outcome.error is None:
        outcome.error = "the scenario registered no dossier"


def _export_outbox(services: Services) -> dict[str, list[dict[str, Any]]]:
    """Every pending outbox event, exported through OutboxService (so marked sent), by dossier code."""
    lines: list[str] = []
    while services.outbox.export(lines.extend).exported:
        pass
    events: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        event = json.loads(line)
        events.setdefault(event["dossier_code"], []).append(event)
    return events


def _describe(err: Exception) -> str:
    if isinstance(err, ServiceError):
        problems = "".join(f"; {f}: {p}" for f, p in getattr(err, "problems", []))
        return f"{type(err).__name__}: {err.detail}{problems}"
    return f"{type(err).__name__}: {err}"

