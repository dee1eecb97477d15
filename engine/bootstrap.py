"""Composition root: wires database, clock, calendar and services together."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta

from argon2 import PasswordHasher

from engine.calendar import WorkingCalendar
from engine.clock import Clock, SystemClock
from engine.persistence.database import Database, connect, upgrade
from engine.persistence.unit_of_work import UnitOfWorkFactory
from engine.services.account_admin import AccountAdminService
from engine.services.accounts import AccountPolicy, AccountService
from engine.services.applicants import ApplicantService
from engine.services.attachments import AttachmentService
from engine.services.payments import gateway_from_setting
from engine.services.audit import AuditService
from engine.services.figures import FiguresService
from engine.services.feedback import FeedbackService
from engine.services.backup import BackupService
from engine.services.catalogue import CatalogueService
from engine.services.context import CalendarProvider, EngineContext
from engine.services.dossier_path import DossierPathService
from engine.services.dossiers import DossierService
from engine.services.drafts import DraftService
from engine.services.incidents import IncidentService
from engine.services.integrity import IntegrityService
from engine.services.lifecycle import LifecycleService
from engine.services.dossier_search import DossierSearchService
from engine.services.watchlist import WatchlistService
from engine.services.messages import MessageService
from engine.services.notifications import NotificationService
from engine.notifications.senders import senders_from_settings
from engine.services.outbox import OutboxService
from engine.services.procedures import ProcedureService
from engine.services.records import RecordService
from engine.services.rate_limit import RateLimiter
from engine.services.reassignment import ReassignmentService
from engine.services.reports import ReportService, load_points
from engine.services.tasks import TaskService
from engine.services.timers import TimerService
from engine.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    ctx: EngineContext
    procedures: ProcedureService
    catalogue: CatalogueService  # the procedures in effect, for officials and applicants
    dossiers: DossierService
    timers: TimerService
    accounts: AccountService
    tasks: TaskService
    attachments: AttachmentService
    integrity: IntegrityService
    backups: BackupService
    limiter: RateLimiter  # attempt limits shared by every process (logins; public lookups)
    messages: MessageService
    audit: AuditService  # verifying the tamper-evident audit chain
    figures: FiguresService  # operational figures for /metrics
    drafts: DraftService  # analysts' drafts and the control office's review (issue 12)
    account_admin: AccountAdminService  # administrators: accounts
    reassignment: ReassignmentService  # agency heads: an official's tasks to a colleague
    incidents: IncidentService  # administrators: failed steps
    lifecycle: LifecycleService  # officials' lifecycle actions on a dossier (issue 9)
    search: DossierSearchService  # officials find a dossier by code or applicant
    watchlist: WatchlistService  # overdue and at-risk dossiers (R-5.3, N-6)
    outbox: OutboxService  # exporting status changes and notices (R-9.5, N-8)
    records: RecordService  # slips and records of a dossier (N-2)
    reports: ReportService
    dossier_paths: DossierPathService
    applicants: ApplicantService  # the applicants' side (issue 10)
    notifications: NotificationService  # sending notices to applicants (R-3.1, N-6)
    feedback: FeedbackService  # feedback and complaints

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
    db = connect(settings.database_url, pipeline=settings.db_pipeline)
    if settings.migrate_on_start if migrate is None else migrate:
        upgrade(db)
    calendars = CalendarProvider(settings.calendar_path, calendar=calendar)
    ctx = EngineContext.create(UnitOfWorkFactory(db), clock or SystemClock(calendars.get().tz), calendars,
                               settings.processes_dir, settings.forms_dir, settings.data_limits,
                               settings.script_limits)
    hasher = PasswordHasher(time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib)
    policy = AccountPolicy(settings.lock_after_failures, timedelta(minutes=settings.lock_minutes),
                           settings.login_address_limit, timedelta(seconds=settings.login_address_window))
    if settings.sso_allowed_roles is not None:
        policy = replace(policy, sso_roles=settings.sso_allowed_roles)
    limiter = RateLimiter(ctx)
    accounts = AccountService(ctx, hasher, policy, limiter)
    dossiers = DossierService(ctx)
    timers = TimerService(ctx)
    incidents = IncidentService(ctx, timers)
    return Services(
        settings, db, ctx,
        procedures=ProcedureService(ctx),
        catalogue=CatalogueService(ctx),
        dossiers=dossiers,
        timers=timers,
        accounts=accounts,
        tasks=TaskService(ctx, accounts.official, dossiers),
        attachments=AttachmentService(ctx, dossiers.check_visible, settings.max_upload_bytes),
        integrity=IntegrityService(ctx),
        backups=BackupService(db, ctx.clock),
        limiter=limiter,
        messages=MessageService(ctx),
        audit=AuditService(ctx),
        figures=FiguresService(ctx),
        drafts=DraftService(ctx, settings.setup_working_days),
        account_admin=AccountAdminService(ctx, accounts),
        reassignment=ReassignmentService(ctx),
        incidents=incidents,
        lifecycle=LifecycleService(ctx, dossiers),
        search=DossierSearchService(ctx),
        watchlist=WatchlistService(ctx, incidents, settings.at_risk_hours),
        outbox=OutboxService(ctx, notifications_sent=settings.notify.enabled),
        records=RecordService(ctx, dossiers),
        reports=ReportService(ctx, load_points(settings.ranking_points_path) if settings.ranking_points_path else None),
        dossier_paths=DossierPathService(ctx, dossiers),
        applicants=ApplicantService(ctx, dossiers, limiter, LifecycleService(ctx, dossiers),
                                    gateway_from_setting(settings.payment_gateway), settings.max_upload_bytes),
        notifications=NotificationService(ctx, settings.notify, senders_from_settings(settings.notify)),
        feedback=FeedbackService(ctx, limiter),
    )
