"""Unit of work: one transaction, with the repositories that work inside it."""
from __future__ import annotations

from types import TracebackType
from typing import Callable

from sqlalchemy.orm import Session

from . import companion as companions
from . import prepared
from .database import Database
from .figures import FiguresRepository
from .integrity import IntegrityRepository
from .notifications import NotificationRepository
from .online_payments import OnlinePaymentRepository
from .procedure_review import ProcedureReviewRepository
from .feedback import FeedbackRepository
from .ratings import ApplicantFormRepository, ApplicantSubmissionRepository, RatingRepository
from .report_queries import ReportQueries
from .repositories import (
    AccountRepository,
    AttachmentRepository,
    AuditRepository,
    CommentRepository,
    DossierRepository,
    IncidentRepository,
    OutboxRepository,
    ProcedureRepository,
    RateCounterRepository,
    SchedulerRepository,
    TaskRepository,
    TimerRepository,
    TokenRepository,
)


class UnitOfWork:
    """``with uow_factory() as uow: …; uow.commit()`` — anything not committed is rolled back."""

    def __init__(self, session_factory: Callable[[], Session], dialect: str,
                 companion: companions.Companion | None = None):
        self._factory = session_factory
        self.dialect = dialect
        self._companion = companion  # written last in this transaction (companion.py)

    def __enter__(self) -> "UnitOfWork":
        self.session = self._factory()
        s, d = self.session, self.dialect
        self.procedures = ProcedureRepository(s, d)
        self.dossiers = DossierRepository(s, d)
        self.tasks = TaskRepository(s, d)
        self.timers = TimerRepository(s, d)
        self.incidents = IncidentRepository(s, d)
        self.outbox = OutboxRepository(s, d)
        self.notifications = NotificationRepository(s, d)  # the outbox's notices being sent
        self.scheduler = SchedulerRepository(s, d)
        self.accounts = AccountRepository(s, d)
        self.tokens = TokenRepository(s, d)
        self.rate_counters = RateCounterRepository(s, d)
        self.audit = AuditRepository(s, d)
        self.comments = CommentRepository(s, d)
        self.attachments = AttachmentRepository(s, d)
        self.integrity = IntegrityRepository(s, d)
        self.figures = FiguresRepository(s, d)
        self.procedure_review = ProcedureReviewRepository(s, d)
        self.reports = ReportQueries(s, d)
        self.ratings = RatingRepository(s, d)
        self.applicant_forms = ApplicantFormRepository(s, d)
        self.applicant_submissions = ApplicantSubmissionRepository(s, d)  # Idempotency-Keys
        self.feedback = FeedbackRepository(s, d)  # feedback and complaints
        self.online_payments = OnlinePaymentRepository(s, d)  # applicants' online payments (R-6.2)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        s = self.session
        tx = s.get_transaction()
        if (exc_type is None and self.dialect == "postgresql" and tx is not None and tx.is_active
                and not (s.new or s.dirty or s.deleted) and prepared.only_read(s.connection())):
            s.commit()  # not ROLLBACK, which drops psycopg's prepared statements (prepared.py)
        # close() rolls back anything not committed without expiring loaded objects, so views
        # built from them stay readable after the block.
        self.session.close()

    def commit(self) -> None:
        companion, self._companion = self._companion, None
        if companion is not None:
            companion.write(self)
        self.session.commit()
        if companion is not None:
            companion.committed()

    def rollback(self) -> None:
        self.session.rollback()


class UnitOfWorkFactory:
    def __init__(self, db: Database):
        self.db = db

    def __call__(self, write: bool = True, single_read: bool = False) -> UnitOfWork:
        """`single_read`: one read statement, no transaction needed (cheaper on PostgreSQL)."""
        if single_read:
            factory = self.db.autocommit_sessions
        else:
            factory = self.db.write_sessions if write else self.db.read_sessions
        # The first write transaction of a request carries the record its entrypoint offered.
        return UnitOfWork(factory, self.db.dialect, companions.take() if write and not single_read else None)
