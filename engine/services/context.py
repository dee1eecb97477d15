"""What every service needs: unit of work, clock, calendar, and the cache of restored specs."""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from engine.calendar import WorkingCalendar
from engine.calendar.config import resolve_path
from engine.clock import Clock
from engine.domain.dossier import LifecyclePolicy
from engine.domain.json_values import JsonLimits
from engine.execution.dossier_workflow import LoadedProcess
from engine.execution.sandbox import ScriptLimits
from engine.execution.script_engine import MotcuaScriptEngine, WorkingTimeFunctions
from engine.persistence.unit_of_work import UnitOfWork

from .errors import NotFound
from .forms import FormChecker


class CalendarProvider:
    """The calendar file, reloaded when it changes on disk (checked at most every few seconds).

    Every process reads the same file, so a new announcement reaches all of them without a
    restart; `motcua timers recalculate` then moves deadlines already computed.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, calendar: WorkingCalendar | None = None,
                 check_every: float = 5.0):
        self._path = None if calendar is not None else resolve_path(path)
        self._calendar = calendar or WorkingCalendar.load(self._path)
        self._mtime = self._stat()
        self._checked = time.monotonic()
        self._every = check_every
        self._lock = threading.Lock()

    def _stat(self) -> float | None:
        try:
            return os.stat(self._path).st_mtime if self._path else None
        except OSError:
            return None

    def get(self, reload: bool = False) -> WorkingCalendar:
        if self._path is None:
            return self._calendar
        if reload or time.monotonic() - self._checked > self._every:
            with self._lock:
                self._checked = time.monotonic()
                mtime = self._stat()
                if reload or mtime != self._mtime:
                    self._calendar = WorkingCalendar.load(self._path)
                    self._mtime = mtime
        return self._calendar

    def __call__(self) -> WorkingCalendar:
        return self.get()


@dataclass(frozen=True)
class VersionInfo:
    """What running a dossier needs of its procedure version, restored once per process."""

    id: int
    number: int
    process: LoadedProcess
    forms: dict[str, FormChecker]

    def form(self, name: str | None) -> FormChecker:
        return self.forms.get(name or "") or _NO_FORM


_NO_FORM = FormChecker(None)


class ProcessCache:
    """Restored specs and compiled forms per procedure version. A version's content never
    changes once stored, so this cache is only about speed, never about correctness."""

    def __init__(self) -> None:
        self._cache: dict[int, VersionInfo] = {}
        self._lock = threading.Lock()

    def info(self, uow: UnitOfWork, version_id: int) -> VersionInfo:
        info = self._cache.get(version_id)
        if info is None:
            version = uow.procedures.get_version(version_id)
            if version is None:
                raise NotFound(f"procedure version {version_id} does not exist")
            process = LoadedProcess.from_stored(
                version.spec["spec"], version.spec["subprocess_specs"], version.spec["human_tasks"],
                version.spec.get("messages"),  # versions stored before messages were recorded have none
            )
            forms = {path[len("forms/"):]: FormChecker(json.loads(text))
                     for path, text in version.sources.items() if path.startswith("forms/")}
            info = VersionInfo(version.id, version.number, process, forms)
            with self._lock:
                self._cache[version_id] = info
        return info

    def get(self, uow: UnitOfWork, version_id: int) -> LoadedProcess:
        return self.info(uow, version_id).process


@dataclass
class EngineContext:
    uow: Callable[..., UnitOfWork]
    clock: Clock
    calendars: CalendarProvider
    processes: ProcessCache
    script_engine: MotcuaScriptEngine
    processes_dir: Path
    forms_dir: Path
    data_limits: JsonLimits = JsonLimits()  # task data and start data from any caller (issue 7)
    lifecycle: LifecyclePolicy = LifecyclePolicy()  # the configurable lifecycle rules (N-3, N-4, N-7)

    @classmethod
    def create(cls, uow: Callable[..., UnitOfWork], clock: Clock, calendars: CalendarProvider,
               processes_dir: Path, forms_dir: Path, data_limits: JsonLimits | None = None,
               script_limits: ScriptLimits | None = None) -> "EngineContext":
        engine = MotcuaScriptEngine(WorkingTimeFunctions(calendars, clock), script_limits)
        return cls(uow, clock, calendars, ProcessCache(), engine, processes_dir, forms_dir,
                   data_limits or JsonLimits())
