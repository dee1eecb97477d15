"""Composition root: wires database, clock, calendar and services together."""
from __future__ import annotations

from dataclasses import dataclass

from engine.calendar import WorkingCalendar
from engine.clock import Clock, SystemClock
from engine.persistence.database import Database, connect, upgrade
from engine.persistence.unit_of_work import UnitOfWorkFactory
from engine.services.context import CalendarProvider, EngineContext
from engine.services.dossiers import DossierService
from engine.services.procedures import ProcedureService
from engine.services.timers import TimerService
from engine.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    ctx: EngineContext
    procedures: ProcedureService
    dossiers: DossierService
    timers: TimerService

    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    def close(self) -> None:
        self.db.dispose()


def build(
    settings: Settings | None = None,
    clock: Clock | None = None,
    calendar: WorkingCalendar | None = None,
    migrate: bool | None = None,
) -> Services:
    settings = settings or Settings.from_env()
    db = connect(settings.database_url)
    if settings.migrate_on_start if migrate is None else migrate:
        upgrade(db)
    calendars = CalendarProvider(settings.calendar_path, calendar=calendar)
    ctx = EngineContext.create(UnitOfWorkFactory(db), clock or SystemClock(), calendars,
                               settings.processes_dir, settings.forms_dir)
    return Services(settings, db, ctx, ProcedureService(ctx), DossierService(ctx), TimerService(ctx))
