"""Repositories: the only code that writes SQL. Hot paths use Core statements, not ORM objects."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable, Sequence

import functools

from sqlalchemy import String, and_, bindparam, case, delete, exists, func, insert, literal, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.domain import audit_chain
from engine.domain.procedure_version import Decision, ProcedureRepealed, VersionState, repeal_applies
from engine.domain.search_text import fold

from .rows import DossierRow, DueBasisRow, IncidentRow, TaskRow, build
from .write_behind import WRITE_BEHIND
from .models import (
    Account,
    Attachment,
    AuditChainHead,
    AuditRecord,
    Comment,
    Dossier,
    DossierCodeCounter,
    OutboxEntry,
    DossierEvent,
    NO_PASSWORD,
    Incident,
    Procedure,
    ProcedureRepeal,
    ProcedureVersion,
    RateCounter,
    ReadyTask,
    RevokedToken,
    SchedulerHeartbeat,
    Step,
    Timer,
    UTCDateTime,
)

_NO_SYNC = {"synchronize_session": False}
# Hot paths (completing a task, firing a timer) use plain Core tables: no ORM identity map, fewer
# Python calls per statement.
T_DOSSIER = Dossier.__table__
T_READY = ReadyTask.__table__
T_STEP = Step.__table__
T_EVENT = DossierEvent.__table__
T_TIMER = Timer.__table__
T_INCIDENT = Incident.__table__
_DOSSIER_COLS = list(T_DOSSIER.c)
# Statements of the hot path are built once (SQLAlchemy then only binds values).
_TASK_WITH_DOSSIER = (
    select(T_READY, *[c.label(f"d_{c.name}") for c in _DOSSIER_COLS])
    .join(T_DOSSIER, T_DOSSIER.c.id == T_READY.c.dossier_id)
    .where(T_READY.c.task_id == bindparam("task_id"))
)
# A task action reads the task with its dossier's code (for the answer): one query, no state column.
_TASK_FOR_ACTION = (
    select(T_READY, T_DOSSIER.c.code.label("dossier_code"), T_DOSSIER.c.procedure_code)
    .join(T_DOSSIER, T_DOSSIER.c.id == T_READY.c.dossier_id)
    .where(T_READY.c.task_id == bindparam("task_id"))
)
_DELETE_READY = (T_READY.delete().where(T_READY.c.task_id.in_(bindparam("ids", expanding=True)))
                 .execution_options(**WRITE_BEHIND))
# Compare-and-set delete: the completed task goes only if nobody changed it since it was read.
_DELETE_READY_IF = T_READY.delete().where(T_READY.c.task_id == bindparam("task_id"),
                                          T_READY.c.version == bindparam("version"))
_READY_ROWS = select(T_READY).where(T_READY.c.task_id.in_(bindparam("ids", expanding=True)))
# Rows nobody reads back in their transaction: on PostgreSQL they travel with the next statement
# or the COMMIT (write_behind.py); `inline`: no RETURNING of the new id.
_ADD_STEP = T_STEP.insert().inline().execution_options(**WRITE_BEHIND)
_ADD_EVENT = T_EVENT.insert().inline().execution_options(**WRITE_BEHIND)
_ADD_OUTBOX = OutboxEntry.__table__.insert().inline().execution_options(**WRITE_BEHIND)
_ADD_READY = T_READY.insert().inline().execution_options(**WRITE_BEHIND)


@functools.lru_cache(maxsize=32)
def _replace_ready(columns: tuple[str, ...], n: int) -> Any:
    """TaskRepository.replace_if's statement for `n` new rows: one single-row INSERT CTE each, with
    bound parameters (a multi-row VALUES of literal rows has no SQL cache key: it was compiled anew
    on every completion)."""
    stmt = select(func.count()).select_from(_DELETE_READY_IF.returning(T_READY.c.task_id).cte("gone"))
    for i in range(n):
        row = {c: bindparam(f"{c}_{i}", type_=T_READY.c[c].type) for c in columns}
        stmt = stmt.add_cte(T_READY.insert().values(row).cte(f"added_{i}"))
    return stmt


@functools.lru_cache(maxsize=32)
def _save_state(columns: tuple[str, ...]) -> Any:
    return (
        T_DOSSIER.update()
        .where(T_DOSSIER.c.id == bindparam("_id"), T_DOSSIER.c.version == bindparam("_expected"))
        .values(version=bindparam("_next"), **{c: bindparam(c) for c in columns})
    )


class _Repository:
    def __init__(self, session: Session, dialect: str):
        self.session = session
        self.dialect = dialect

    def _core(self, statement: Any, params: Any = None) -> Any:
        """Execute a Core statement on the session's connection, skipping the ORM's execute path."""
        return self.session.connection().execute(statement, params)

    def _upsert(self, table: Any) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)


class ProcedureRepository(_Repository):
    def procedure_id(self, code: str, now: datetime) -> int:
        pid = self.session.scalar(select(Procedure.id).where(Procedure.code == code))
        if pid is None:
            stmt = self._upsert(Procedure).values(code=code, created_at=now).on_conflict_do_nothing()
            self.session.execute(stmt)
            pid = self.session.scalar(select(Procedure.id).where(Procedure.code == code))
        return pid

    def locked_procedure_id(self, code: str, now: datetime) -> int:
        """The procedure's id (created if new), its row locked for the transaction (PostgreSQL;
        SQLite queues writers anyway): writers of one procedure's versions run one after the other,
        so two uploads or two start-up syncs never take the same number or hash (a unique-key 500)."""
        pid = self.procedure_id(code, now)
        self.session.execute(select(Procedure.id).where(Procedure.id == pid).with_for_update())
        return pid

    def version_with_hash(self, procedure_id: int, content_hash: str) -> ProcedureVersion | None:
        return self.session.scalar(
            select(ProcedureVersion).where(
                ProcedureVersion.procedure_id == procedure_id, ProcedureVersion.content_hash == content_hash
            )
        )

    def next_number(self, procedure_id: int) -> int:
        n = self.session.scalar(
            select(func.max(ProcedureVersion.number)).where(ProcedureVersion.procedure_id == procedure_id)
        )
        return (n or 0) + 1

    def add_version(self, **values: Any) -> ProcedureVersion:
        version = ProcedureVersion(**values)
        self.session.add(version)
        self.session.flush()
        return version

    def get_version(self, version_id: int) -> ProcedureVersion | None:
        return self.session.get(ProcedureVersion, version_id)

    def version(self, code: str, number: int) -> ProcedureVersion | None:
        return self.session.scalar(
            select(ProcedureVersion)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.code == code, ProcedureVersion.number == number)
        )

    def versions(self, code: str) -> Sequence[ProcedureVersion]:
        return self.session.scalars(
            select(ProcedureVersion)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.code == code)
            .order_by(ProcedureVersion.number)
        ).all()

    def in_effect(self, code: str, at: datetime) -> ProcedureVersion | None:
        """The published version whose effective_from is the latest not after `at` (R-1.3).

        Raises ProcedureRepealed (naming the decision) when a repeal is in force at `at` and no
        version took effect after it (R-1.2: a repealed procedure stops being offered)."""
        version = self._published_at(code, at)
        repeal = self.session.scalar(
            select(ProcedureRepeal)
            .join(Procedure, Procedure.id == ProcedureRepeal.procedure_id)
            .where(Procedure.code == code, ProcedureRepeal.effective_from <= at)
            .order_by(ProcedureRepeal.effective_from.desc(), ProcedureRepeal.id.desc())
            .limit(1)
        )
        if repeal is not None and repeal_applies(repeal.effective_from,
                                                 version.effective_from if version is not None else None, at):
            raise ProcedureRepealed(code, Decision(repeal.decision_number, repeal.decision_date),
                                    repeal.effective_from, repeal.replaced_by)
        return version

    def _published_at(self, code: str, at: datetime) -> ProcedureVersion | None:
        return self.session.scalar(
            select(ProcedureVersion)
            .join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(
                Procedure.code == code,
                ProcedureVersion.state == VersionState.PUBLISHED.value,
                ProcedureVersion.effective_from <= at,
            )
            .order_by(ProcedureVersion.effective_from.desc(), ProcedureVersion.number.desc())
            .limit(1)
        )

    def all_in_effect(self, at: datetime) -> list[ProcedureVersion]:
        """The version in effect of every procedure that has one and is not repealed at `at`."""
        found = []
        for code in self.session.scalars(select(Procedure.code).order_by(Procedure.code)).all():
            try:
                version = self.in_effect(code, at)
            except ProcedureRepealed:
                continue
            if version is not None:
                found.append(version)
        return found

    def procedure_codes(self) -> Sequence[str]:
        return self.session.scalars(select(Procedure.code).order_by(Procedure.code)).all()

    def code_of(self, version: ProcedureVersion) -> str:
        return self.session.scalar(select(Procedure.code).where(Procedure.id == version.procedure_id))


class DossierRepository(_Repository):
    def next_sequence(self, agency_id: str, day: date) -> int:
        """Atomic per-agency, per-day counter: safe under concurrent receipts (N-1)."""
        stmt = (
            self._upsert(DossierCodeCounter)
            .values(agency_id=agency_id, day=day, value=1)
            .on_conflict_do_update(
                index_elements=["agency_id", "day"], set_={"value": DossierCodeCounter.value + 1}
            )
            .returning(DossierCodeCounter.value)
        )
        return int(self.session.execute(stmt).scalar_one())

    def add(self, **values: Any) -> int:
        return int(self.session.execute(insert(Dossier).values(**values).returning(Dossier.id)).scalar_one())

    def get(self, dossier_id: int) -> Dossier | None:
        return self.session.get(Dossier, dossier_id)

    def load(self, dossier_id: int | None = None, code: str | None = None) -> DossierRow | None:
        """The dossier row by id or code, typed (the write path's read)."""
        cond = T_DOSSIER.c.code == code if code is not None else T_DOSSIER.c.id == dossier_id
        row = self._core(select(T_DOSSIER).where(cond)).mappings().first()
        return build(DossierRow, row) if row is not None else None

    def search(self, *, code: str | None = None, applicant: str | None = None, agencies: set[str] | None = None,
               status: str | None = None, visible_to: tuple[str, str] | None = None, limit: int = 50,
               offset: int = 0) -> tuple[list[DossierRow], int]:
        """Dossiers by code prefix or applicant name (any part, case and diacritics ignored: search_text.fold)
        / whole ID number (R-7.1), newest first. `visible_to`
        (agency, user name): only dossiers the official may see (access.can_see_dossier: the competent
        agency, agencies and officials that have or had a task in it, its registrar)."""
        conds = []
        if visible_to is not None:
            agency, username = visible_to
            d_id = T_DOSSIER.c.id
            conds.append(or_(
                T_DOSSIER.c.agency_id == agency, T_DOSSIER.c.created_by == username,
                exists().where(T_READY.c.dossier_id == d_id, or_(T_READY.c.candidate_agency == agency,
                                                                 T_READY.c.assignee == username,
                                                                 T_READY.c.owner == username)),
                exists().where(T_STEP.c.dossier_id == d_id, or_(T_STEP.c.candidate_agency == agency,
                                                                T_STEP.c.completed_by == username)),
            ))
        if code:
            conds.append(T_DOSSIER.c.code.startswith(code, autoescape=True))
        if applicant:
            needle = applicant.strip()
            conds.append(or_(T_DOSSIER.c.applicant_name_key.contains(fold(needle), autoescape=True),
                             T_DOSSIER.c.applicant_id_number == needle))
        if agencies is not None:
            conds.append(T_DOSSIER.c.agency_id.in_(sorted(agencies)))
        if status:
            conds.append(T_DOSSIER.c.status == status)
        stmt = select(T_DOSSIER).where(*conds)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self._core(stmt.order_by(T_DOSSIER.c.received_at.desc(), T_DOSSIER.c.id.desc())
                          .limit(limit).offset(offset)).mappings().all()
        return [build(DossierRow, r) for r in rows], int(total or 0)

    def lock(self, dossier_id: int) -> None:
        """Hold the dossier's row until the transaction ends (PostgreSQL; SQLite's writers queue
        anyway): no save of it passes meanwhile, so a check made after this holds until the commit."""
        self._core(select(T_DOSSIER.c.id).where(T_DOSSIER.c.id == dossier_id).with_for_update())

    def applicant_index(self, id_number: str) -> list[tuple[int, str | None]]:
        """(id, applicant name) of every dossier filed for a citizen ID number, newest first: a
        person's few hundred at most, so the name check (R-7.1) is made before paging, not after."""
        stmt = (select(T_DOSSIER.c.id, T_DOSSIER.c.applicant_name).where(T_DOSSIER.c.applicant_id_number == id_number)
                .order_by(T_DOSSIER.c.received_at.desc(), T_DOSSIER.c.id.desc()))
        return [(r.id, r.applicant_name) for r in self._core(stmt)]

    def open_past(self, at: datetime, agencies: set[str] | None = None) -> list[DossierRow]:
        """Open dossiers (not ended, not waiting for the applicant) due before `at`, earliest first."""
        conds = [T_DOSSIER.c.completed_at.is_(None), T_DOSSIER.c.due_at < at,
                 T_DOSSIER.c.status.not_in(("supplement_requested",))]
        if agencies is not None:
            conds.append(T_DOSSIER.c.agency_id.in_(sorted(agencies)))
        rows = self._core(select(T_DOSSIER).where(*conds).order_by(T_DOSSIER.c.due_at)).mappings().all()
        return [build(DossierRow, r) for r in rows]

    def open_due_between(self, start: datetime, end: datetime, agencies: set[str] | None = None) -> list[DossierRow]:
        """Open dossiers (not ended, not waiting for the applicant) due in [start, end], earliest first."""
        conds = [T_DOSSIER.c.completed_at.is_(None), T_DOSSIER.c.due_at >= start, T_DOSSIER.c.due_at <= end,
                 T_DOSSIER.c.status.not_in(("supplement_requested",))]
        if agencies is not None:
            conds.append(T_DOSSIER.c.agency_id.in_(sorted(agencies)))
        rows = self._core(select(T_DOSSIER).where(*conds).order_by(T_DOSSIER.c.due_at, T_DOSSIER.c.id)).mappings().all()
        return [build(DossierRow, r) for r in rows]

    def by_code(self, code: str) -> Dossier | None:
        return self.session.scalar(select(Dossier).where(Dossier.code == code))

    def lock(self, dossier_id: int) -> Dossier | None:
        return self.session.scalar(select(Dossier).where(Dossier.id == dossier_id).with_for_update())

    def save_state(self, dossier_id: int, expected_version: int, **values: Any) -> bool:
        """Write new state only if nobody else did since we read it (optimistic concurrency)."""
        result = self._core(_save_state(tuple(sorted(values))),
                            {"_id": dossier_id, "_expected": expected_version, "_next": expected_version + 1, **values})
        return result.rowcount == 1

    def add_step(self, **values: Any) -> None:
        self._core(_ADD_STEP, values)

    def add_event(self, dossier_id: int, at: datetime, kind: str, actor: str | None,
                  detail: dict[str, Any] | None = None) -> None:
        self._core(_ADD_EVENT, {"dossier_id": dossier_id, "at": at, "kind": kind, "actor": actor,
                                                "detail": detail or {}})

    def involved(self, dossier_id: int) -> tuple[set[str], set[str]]:
        """Agencies and officials that have or had a task in the dossier."""
        agencies: set[str] = set()
        users: set[str] = set()
        for agency, a, b in self.session.execute(
            select(ReadyTask.candidate_agency, ReadyTask.assignee, ReadyTask.owner).where(ReadyTask.dossier_id == dossier_id)
        ):
            agencies.add(agency)
            users.update(u for u in (a, b) if u)
        for agency, who in self.session.execute(
            select(Step.candidate_agency, Step.completed_by).where(Step.dossier_id == dossier_id)
        ):
            agencies.add(agency)
            if who:
                users.add(who)
        return agencies, users

    def step_done(self, task_id: str) -> bool:
        return self.session.scalar(select(Step.id).where(Step.task_id == task_id).limit(1)) is not None

    def steps(self, dossier_id: int) -> Sequence[Step]:
        return self.session.scalars(select(Step).where(Step.dossier_id == dossier_id).order_by(Step.id)).all()

    def events(self, dossier_id: int) -> Sequence[DossierEvent]:
        return self.session.scalars(
            select(DossierEvent).where(DossierEvent.dossier_id == dossier_id).order_by(DossierEvent.id)
        ).all()

    def open_with_due_basis(self) -> list[DueBasisRow]:
        """Open dossiers' appointments and bases: four columns, not the workflow state."""
        rows = self._core(select(T_DOSSIER.c.id, T_DOSSIER.c.due_basis, T_DOSSIER.c.due_at, T_DOSSIER.c.started_at)
                          .where(T_DOSSIER.c.completed_at.is_(None), T_DOSSIER.c.due_basis.is_not(None)))
        return [DueBasisRow(*r) for r in rows]


class OutboxRepository(_Repository):
    """The outbox (R-9.5, N-8): rows are written with the change, read and marked by exporters."""

    T = OutboxEntry.__table__

    def add(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._core(_ADD_OUTBOX, rows)

    def pending(self, topic: str | None, limit: int = 1000, lock: bool = False,
                exclude: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """Unsent rows of `topic` (None: every topic but those in `exclude`), oldest first. `lock`: FOR
        UPDATE SKIP LOCKED on PostgreSQL, so two exporters never take the same rows."""
        stmt = select(self.T).where(self.T.c.sent_at.is_(None))
        if topic is not None:
            stmt = stmt.where(self.T.c.topic == topic)
        if exclude:
            stmt = stmt.where(self.T.c.topic.not_in(exclude))
        stmt = stmt.order_by(self.T.c.id).limit(limit)
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return [dict(r) for r in self._core(stmt).mappings()]

    def mark_sent(self, ids: list[int], at: datetime) -> None:
        if ids:
            self._core(self.T.update().where(self.T.c.id.in_(ids), self.T.c.sent_at.is_(None))
                       .values(sent_at=at, attempts=self.T.c.attempts + 1, last_error=None))

    def mark_failed(self, ids: list[int], error: str) -> None:
        if ids:
            self._core(self.T.update().where(self.T.c.id.in_(ids))
                       .values(attempts=self.T.c.attempts + 1, last_error=error[:2000]))

    def for_dossier(self, dossier_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self._core(select(self.T).where(self.T.c.dossier_id == dossier_id)
                                            .order_by(self.T.c.id)).mappings()]

    def pending_ids(self, topic: str | None, dossier_ids: list[int], upto: int,
                    exclude: tuple[str, ...] = ()) -> list[tuple[int, int]]:
        """(dossier_id, id) of every unsent row of those dossiers with id <= `upto`, locked or not
        (an exporter keeps a dossier's events in order: it stops at one another exporter holds)."""
        if not dossier_ids:
            return []
        stmt = select(self.T.c.dossier_id, self.T.c.id).where(
            self.T.c.sent_at.is_(None), self.T.c.dossier_id.in_(dossier_ids), self.T.c.id <= upto)
        if topic is not None:
            stmt = stmt.where(self.T.c.topic == topic)
        if exclude:
            stmt = stmt.where(self.T.c.topic.not_in(exclude))
        return [(int(d), int(i)) for d, i in self._core(stmt.order_by(self.T.c.id))]

    def summary(self) -> list[dict[str, Any]]:
        """Per topic: pending rows, the oldest pending event's time, pending rows whose last export
        failed, sent rows and the last failure's message."""
        T = self.T
        pending = T.c.sent_at.is_(None)
        rows = self._core(select(
            T.c.topic,
            func.count().filter(pending).label("pending"),
            func.min(T.c.at).filter(pending).label("oldest_pending_at"),
            func.count().filter(pending, T.c.last_error.is_not(None)).label("failing"),
            func.count().filter(T.c.sent_at.is_not(None)).label("sent"),
            func.max(T.c.sent_at).label("last_sent_at"),
        ).group_by(T.c.topic).order_by(T.c.topic)).mappings()
        out = [dict(r) for r in rows]
        for r in out:  # the latest failure still pending, to show the operator why
            r["last_error"] = self._core(select(T.c.last_error).where(
                T.c.topic == r["topic"], pending, T.c.last_error.is_not(None)).order_by(T.c.id.desc())
                .limit(1)).scalar()
        return out

    def count_pending(self) -> dict[str, int]:
        rows = self.session.execute(select(self.T.c.topic, func.count()).where(self.T.c.sent_at.is_(None))
                                    .group_by(self.T.c.topic)).all()
        return {topic: int(n) for topic, n in rows}


class TaskRepository(_Repository):
    def for_dossier(self, dossier_id: int) -> Sequence[ReadyTask]:
        return self.session.scalars(select(ReadyTask).where(ReadyTask.dossier_id == dossier_id)).all()

    def ids_for_dossier(self, dossier_id: int) -> set[str]:
        return set(self.session.scalars(select(ReadyTask.task_id).where(ReadyTask.dossier_id == dossier_id)))

    def get(self, task_id: str, lock: bool = False) -> ReadyTask | None:
        """`lock`: hold a share lock until the transaction ends (PostgreSQL; SQLite writers are
        serialized anyway), so the task cannot change or go under an action that only reads it."""
        if lock and self.dialect == "postgresql":
            return self.session.scalar(select(ReadyTask).where(ReadyTask.task_id == task_id).with_for_update(read=True))
        return self.session.get(ReadyTask, task_id)

    def for_action(self, task_id: str) -> Any | None:
        """The ready task's columns plus its dossier's `dossier_code` and `procedure_code`, or None."""
        row = self._core(_TASK_FOR_ACTION, {"task_id": task_id}).mappings().first()
        return build(TaskRow, row) if row is not None else None

    def get_with_dossier(self, task_id: str) -> tuple[TaskRow, DossierRow] | None:
        """The ready task and its dossier, in one query."""
        row = self._core(_TASK_WITH_DOSSIER, {"task_id": task_id}).mappings().first()
        if row is None:
            return None
        task = build(TaskRow, {c.name: row[c.name] for c in T_READY.c})
        dossier = build(DossierRow, {c.name: row[f"d_{c.name}"] for c in _DOSSIER_COLS})
        return task, dossier

    def rows(self, task_ids: Iterable[str]) -> list[TaskRow]:
        ids = list(task_ids)
        if not ids:
            return []
        return [build(TaskRow, r) for r in self._core(_READY_ROWS, {"ids": ids}).mappings()]

    def insert(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self._core(_ADD_READY, rows)

    def delete(self, task_ids: Iterable[str]) -> None:
        ids = list(task_ids)
        if ids:
            self._core(_DELETE_READY, {"ids": ids})

    def delete_if(self, task_id: str, version: int) -> bool:
        """Delete the ready task only if it is still at `version`; False if it changed or went.

        On PostgreSQL a concurrent writer of the row makes this wait for its commit, then the
        condition is checked against the committed row (READ COMMITTED re-check)."""
        return self._core(_DELETE_READY_IF, {"task_id": task_id, "version": version}).rowcount == 1

    def replace_if(self, task_id: str, version: int, rows: list[dict[str, Any]]) -> bool:
        """`delete_if(task_id, version)`, and insert `rows` (the tasks that follow it); False when the
        task changed or went, and then the caller must not commit. PostgreSQL: one statement (a
        data-modifying CTE), so a completion that readies the next task costs one round trip less."""
        columns = tuple(rows[0]) if rows else ()
        if self.dialect != "postgresql" or not rows or any(tuple(r) != columns for r in rows):
            done = self.delete_if(task_id, version)
            self.insert(rows)
            return done
        params = {"task_id": task_id, "version": version}
        for i, r in enumerate(rows):
            params.update({f"{c}_{i}": v for c, v in r.items()})
        return self._core(_replace_ready(columns, len(rows)), params).scalar_one() == 1

    def update_if(self, task_id: str, expected: dict[str, Any], **values: Any) -> Any | None:
        """Compare-and-set on a ready task row (claims and assignments never lose an update).

        Bumps the version; returns the row as written (UPDATE … RETURNING, so nothing is read
        after the commit), or None when the row is gone or differs from `expected`."""
        conditions = [T_READY.c.task_id == task_id]
        for column, value in expected.items():
            col = T_READY.c[column]
            conditions.append(col.is_(None) if value is None else col == value)
        stmt = T_READY.update().where(*conditions).values(version=T_READY.c.version + 1, **values).returning(*T_READY.c)
        row = self._core(stmt).mappings().first()
        return build(TaskRow, row) if row is not None else None

    @staticmethod
    def _candidate(roles_by_agency: dict[str, set[str]]) -> Any:
        matches = [
            and_(ReadyTask.candidate_agency == agency, ReadyTask.candidate_role.in_(sorted(roles)))
            for agency, roles in roles_by_agency.items()
            if roles
        ]
        return or_(*matches) if matches else ReadyTask.task_id.is_(None)

    def with_due_basis(self) -> list[DueBasisRow]:
        rows = self._core(select(T_READY.c.dossier_id, T_READY.c.due_basis, T_READY.c.due_at)
                          .where(T_READY.c.due_basis.is_not(None)))
        return [DueBasisRow(*r) for r in rows]

    def set_due(self, task_id: str, due_at: datetime, basis: dict[str, Any] | None = None) -> None:
        """A moved step deadline (calendar changed, or a supplement pause: then with its new basis)."""
        values: dict[str, Any] = {"due_at": due_at}
        if basis is not None:
            values["due_basis"] = basis
        self.session.execute(update(ReadyTask).where(ReadyTask.task_id == task_id).values(**values)
                             .execution_options(**_NO_SYNC))

    def claimed_by(self, username: str) -> list[Any]:
        """Ready tasks `username` holds (claimed, assigned or delegated to them), each with its
        dossier's `dossier_code` and `procedure_code`, oldest first."""
        stmt = (select(T_READY, T_DOSSIER.c.code.label("dossier_code"), T_DOSSIER.c.procedure_code)
                .join(T_DOSSIER, T_DOSSIER.c.id == T_READY.c.dossier_id)
                .where(T_READY.c.assignee == username).order_by(T_READY.c.created_at, T_READY.c.task_id))
        return [build(TaskRow, r) for r in self._core(stmt).mappings()]

    def query(
        self,
        *,
        visible_to: tuple[str, dict[str, set[str]]] | None = None,
        candidate_of: dict[str, set[str]] | None = None,
        assignee: str | None = None,
        unassigned: bool = False,
        procedure: str | None = None,
        dossier_id: int | None = None,
        dossier_code: str | None = None,
        due_before: datetime | None = None,
        overdue_at: datetime | None = None,
        involving: set[str] | None = None,
        order: str = "due",
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[tuple[ReadyTask, str, str]], int]:
        """Inbox query over the ready-task table; never touches workflow state."""
        stmt = select(ReadyTask, Dossier.code, Dossier.procedure_code).join(
            Dossier, Dossier.id == ReadyTask.dossier_id
        )
        conds = []
        if visible_to is not None:  # what an official may see at all
            user, roles_by_agency = visible_to
            conds.append(or_(self._candidate(roles_by_agency), ReadyTask.assignee == user, ReadyTask.owner == user))
        if candidate_of is not None:
            conds.append(self._candidate(candidate_of))
        if assignee is not None:
            conds.append(ReadyTask.assignee == assignee)
        if unassigned:
            conds.append(ReadyTask.assignee.is_(None))
        if procedure:
            conds.append(Dossier.procedure_code == procedure)
        if dossier_id is not None:
            conds.append(ReadyTask.dossier_id == dossier_id)
        if dossier_code is not None:
            conds.append(Dossier.code == dossier_code)
        if due_before is not None:
            conds.append(ReadyTask.due_at < due_before)
        if overdue_at is not None:
            conds.append(ReadyTask.due_at < overdue_at)
        if involving is not None:  # tasks of these agencies, or in dossiers they are competent for
            conds.append(or_(ReadyTask.candidate_agency.in_(sorted(involving)), Dossier.agency_id.in_(sorted(involving))))
        if conds:
            stmt = stmt.where(and_(*conds))
        if order == "created":
            ordering = (ReadyTask.created_at, ReadyTask.task_id)
        else:
            ordering = (ReadyTask.due_at.is_(None), ReadyTask.due_at, ReadyTask.created_at, ReadyTask.task_id)
        # The total comes with the page (a window count over every match, taken before LIMIT):
        # one statement, one round trip (issue 15). Only a page past the end asks again.
        if procedure or dossier_code is not None or involving is not None:  # filters on the dossier
            page = stmt.add_columns(func.count().over()).order_by(*ordering).limit(limit).offset(offset)
        else:
            # Sort and count the matching task ids alone, then read the page's rows and dossiers:
            # every ready task has its dossier (foreign key), so the join changes no count, and
            # only the page's rows are joined and carried (issue 15: the inbox with 100,000 dossiers).
            keys = (select(ReadyTask.task_id, func.count().over().label("total")).where(*conds)
                    .order_by(*ordering).limit(limit).offset(offset).subquery())
            page = (select(ReadyTask, Dossier.code, Dossier.procedure_code, keys.c.total)
                    .join(keys, keys.c.task_id == ReadyTask.task_id)
                    .join(Dossier, Dossier.id == ReadyTask.dossier_id).order_by(*ordering))
        rows = self.session.execute(page).all()
        if rows:
            total = rows[0][3]
        else:
            total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) if offset else 0
        return [(r[0], r[1], r[2]) for r in rows], int(total or 0)


class TimerRepository(_Repository):
    def for_dossier(self, dossier_id: int) -> Sequence[Timer]:
        return self.session.scalars(select(Timer).where(Timer.dossier_id == dossier_id)).all()

    def insert(self, rows: Iterable[dict[str, Any]]) -> None:
        rows = list(rows)
        if rows:
            self._core(T_TIMER.insert().inline().execution_options(**WRITE_BEHIND), rows)

    def delete(self, dossier_id: int, task_ids: Iterable[str]) -> None:
        ids = list(task_ids)
        if ids:
            self._core(
                T_TIMER.delete().where(T_TIMER.c.dossier_id == dossier_id, T_TIMER.c.task_id.in_(ids))
                .execution_options(**WRITE_BEHIND)
            )

    def reschedule(self, dossier_id: int, task_id: str, due_at: datetime, basis: dict[str, Any] | None) -> None:
        """A timer that fired and waits again (a cycle): its next instant, failures forgotten."""
        self._core(
            T_TIMER.update().where(T_TIMER.c.dossier_id == dossier_id, T_TIMER.c.task_id == task_id)
            .values(due_at=due_at, basis=basis, attempts=0, next_attempt_at=None, last_error=None)
            .execution_options(**WRITE_BEHIND)
        )

    def set_due(self, timer_id: int, due_at: datetime) -> None:
        self.session.execute(update(Timer).where(Timer.id == timer_id).values(due_at=due_at).execution_options(**_NO_SYNC))

    def _due(self, now: datetime) -> Any:
        return and_(Timer.due_at <= now, or_(Timer.next_attempt_at.is_(None), Timer.next_attempt_at <= now))

    def next_due_at(self) -> datetime | None:
        """The earliest instant any timer is due (None: no timer waits)."""
        return self.session.scalar(select(func.min(Timer.due_at)))

    def due_dossier_ids(self, now: datetime, limit: int) -> list[int]:
        """`limit` dossiers with due timers (fewer only when no more are due), earliest first. Reads
        the due_at index only (no GROUP BY, which SQLite answers by scanning every timer): cost
        independent of open dossiers. The rows are read in chunks until `limit` distinct dossiers:
        one chunk cut before de-duplicating let a dossier with many due timers crowd the others out,
        and the sweep, finding only dossiers it had tried, stopped with timers still due."""
        ids: dict[int, None] = {}
        after: Any = None
        while len(ids) < limit:
            stmt = select(Timer.dossier_id, Timer.due_at, Timer.id).where(self._due(now))
            if after is not None:  # keyset: past the last row read, in (due_at, id) order
                stmt = stmt.where(or_(Timer.due_at > after.due_at,
                                      and_(Timer.due_at == after.due_at, Timer.id > after.id)))
            rows = self.session.execute(stmt.order_by(Timer.due_at, Timer.id).limit(limit * 4)).all()
            ids.update(dict.fromkeys(r.dossier_id for r in rows))
            if len(rows) < limit * 4:
                break
            after = rows[-1]
        return list(ids)[:limit]

    def lock_due_dossier(self, dossier_id: int, now: datetime) -> DossierRow | None:
        """Lock the dossier if it still has a due timer; skip it if another process holds it."""
        stmt = (
            select(T_DOSSIER)
            .where(T_DOSSIER.c.id == dossier_id)
            .where(select(Timer.id).where(Timer.dossier_id == dossier_id, self._due(now)).exists())
        )
        if self.dialect != "postgresql":  # SQLite: BEGIN IMMEDIATE already serializes writers
            row = self._core(stmt).mappings().first()
            return build(DossierRow, row) if row is not None else None
        row = self._core(stmt.with_for_update(skip_locked=True)).mappings().first()
        if row is None:
            return None
        # Under READ COMMITTED the EXISTS above was judged on the statement's snapshot: if another
        # sweep fired this dossier and committed just before we got the lock, its timers were
        # already gone. A new statement sees that commit.
        still_due = select(Timer.id).where(Timer.dossier_id == dossier_id, self._due(now)).exists()
        return build(DossierRow, row) if self.session.scalar(select(still_due)) else None

    def record_failure(self, dossier_id: int, now: datetime, next_attempt_at: datetime, error: str) -> int:
        """Push the dossier's due timers back (backoff); returns the attempt number."""
        self.session.execute(
            update(Timer)
            .where(Timer.dossier_id == dossier_id, self._due(now))
            .values(attempts=Timer.attempts + 1, next_attempt_at=next_attempt_at, last_error=error[:4000])
            .execution_options(**_NO_SYNC)
        )
        return int(self.session.scalar(select(func.max(Timer.attempts)).where(Timer.dossier_id == dossier_id)) or 1)

    def with_basis(self) -> list[DueBasisRow]:
        rows = self._core(select(T_TIMER.c.dossier_id, T_TIMER.c.basis, T_TIMER.c.due_at)
                          .where(T_TIMER.c.basis.is_not(None)))
        return [DueBasisRow(*r) for r in rows]

    def retry_now(self, dossier_id: int, now: datetime) -> int:
        """Make the dossier's failed timers due at `now` (their backoff waived); returns how many."""
        return self.session.execute(
            update(Timer).where(Timer.dossier_id == dossier_id, Timer.attempts > 0, Timer.due_at <= now)
            .values(next_attempt_at=now).execution_options(**_NO_SYNC)
        ).rowcount

    def count(self) -> int:
        return int(self.session.scalar(select(func.count(Timer.id))) or 0)


class IncidentRepository(_Repository):
    def add(self, **values: Any) -> int:
        """Record an incident; returns its id (logged with the failure, engine/logs.py)."""
        return int(self.session.execute(insert(Incident).values(**values).returning(Incident.id)).scalar_one())

    def for_dossier(self, dossier_id: int) -> Sequence[Incident]:
        return self.session.scalars(select(Incident).where(Incident.dossier_id == dossier_id).order_by(Incident.id)).all()

    def open(self) -> Sequence[Incident]:
        return self.session.scalars(select(Incident).where(Incident.resolved_at.is_(None)).order_by(Incident.id)).all()

    def resolve(self, dossier_id: int, now: datetime) -> None:
        self.session.execute(
            update(Incident).where(Incident.dossier_id == dossier_id, Incident.resolved_at.is_(None))
            .values(resolved_at=now).execution_options(**_NO_SYNC)
        )

    # An operator sees one open problem per dossier, kind and element (the sweep records one row
    # per failed attempt): its latest row, since its first open row.
    _WITH_DOSSIER = (T_INCIDENT, T_DOSSIER.c.code.label("dossier_code"), T_DOSSIER.c.agency_id,
                     T_DOSSIER.c.procedure_code, T_DOSSIER.c.status.label("dossier_status"))

    @staticmethod
    def _same_step(row: IncidentRow) -> Any:
        c = T_INCIDENT.c
        return and_(c.dossier_id == row.dossier_id, c.kind == row.kind,
                    func.coalesce(c.element_id, "") == (row.element_id or ""))

    def open_problems(self, agency_id: str | None = None, procedure: str | None = None,
                      since_before: datetime | None = None, dossier_ids: Sequence[int] | None = None,
                      limit: int | None = 50, offset: int = 0) -> tuple[list[IncidentRow], int]:
        """Open problems, oldest first: the latest incident row of each (dossier, kind, element) with
        `since` (first open occurrence) and `open_attempts`, and the dossier's code, agency and procedure.
        `limit` None: all of them (a few dossiers' problems, never cut before the caller picks)."""
        c = T_INCIDENT.c
        groups = (select(func.max(c.id).label("latest"), func.min(c.occurred_at).label("since"),
                         func.count().label("open_attempts"))
                  .where(c.resolved_at.is_(None))
                  .group_by(c.dossier_id, c.kind, func.coalesce(c.element_id, "")).subquery())
        stmt = (select(*self._WITH_DOSSIER, groups.c.since, groups.c.open_attempts)
                .join(groups, groups.c.latest == c.id).join(T_DOSSIER, T_DOSSIER.c.id == c.dossier_id))
        if agency_id is not None:
            stmt = stmt.where(T_DOSSIER.c.agency_id == agency_id)
        if procedure is not None:
            stmt = stmt.where(T_DOSSIER.c.procedure_code == procedure)
        if since_before is not None:
            stmt = stmt.where(groups.c.since <= since_before)
        if dossier_ids is not None:
            stmt = stmt.where(c.dossier_id.in_(list(dossier_ids)))
        total = self._core(select(func.count()).select_from(stmt.subquery())).scalar()
        rows = self._core(stmt.order_by(groups.c.since, c.id).limit(limit).offset(offset)).mappings()
        return [build(IncidentRow, r) for r in rows], int(total or 0)

    def get(self, incident_id: int) -> IncidentRow | None:
        """The incident with its dossier's code, agency, procedure and status, or None."""
        row = self._core(select(*self._WITH_DOSSIER).join(T_DOSSIER, T_DOSSIER.c.id == T_INCIDENT.c.dossier_id)
                         .where(T_INCIDENT.c.id == incident_id)).mappings().first()
        return build(IncidentRow, row) if row is not None else None

    def same_problem(self, row: IncidentRow) -> list[IncidentRow]:
        """Every row of the incident's (dossier, kind, element), oldest first: its attempts."""
        rows = self._core(select(*self._WITH_DOSSIER).join(T_DOSSIER, T_DOSSIER.c.id == T_INCIDENT.c.dossier_id)
                          .where(self._same_step(row)).order_by(T_INCIDENT.c.id)).mappings()
        return [build(IncidentRow, r) for r in rows]

    def resolve_problem(self, row: IncidentRow, now: datetime, by: str, note: str) -> int:
        """Close every open row of the incident's (dossier, kind, element) with who and why."""
        return self._core(update(T_INCIDENT).where(self._same_step(row), T_INCIDENT.c.resolved_at.is_(None))
                          .values(resolved_at=now, resolved_by=by, resolution_note=note)).rowcount


class SchedulerRepository(_Repository):
    def beat(self, name: str, now: datetime, fired: int, failed: int) -> None:
        stmt = self._upsert(SchedulerHeartbeat).values(name=name, last_run_at=now, fired=fired, failed=failed, active=True)
        stmt = stmt.on_conflict_do_update(
            index_elements=["name"],
            set_={"last_run_at": now, "fired": SchedulerHeartbeat.fired + fired,
                  "failed": SchedulerHeartbeat.failed + failed, "active": True},
        )
        self.session.execute(stmt)

    def stop(self, name: str) -> None:
        self.session.execute(update(SchedulerHeartbeat).where(SchedulerHeartbeat.name == name).values(active=False))

    def latest(self) -> SchedulerHeartbeat | None:
        return self.session.scalar(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.last_run_at.desc()).limit(1))


class AccountRepository(_Repository):
    def by_username(self, username: str) -> Account | None:
        return self.session.scalar(select(Account).where(Account.username == username))

    def add(self, **values: Any) -> Account:
        account = Account(**values)
        self.session.add(account)
        self.session.flush()
        return account

    def add_new(self, **values: Any) -> bool:
        """Insert the account unless its user name is taken, also by a concurrent insert (PostgreSQL
        waits for it, then does nothing): False then, never a unique-key error."""
        stmt = (self._upsert(Account).values(**values).on_conflict_do_nothing(index_elements=["username"])
                .returning(Account.id))
        return self.session.execute(stmt).scalar() is not None

    def exists(self, username: str) -> bool:
        return self.session.scalar(select(Account.id).where(Account.username == username)) is not None

    def remember_sso(self, username: str, display_name: str, agency_id: str, roles: list[str], now: datetime) -> None:
        """Insert or refresh an SSO official's directory entry in one statement (parallel first
        requests of the same official do not collide); an entry with a local password is left alone."""
        stmt = self._upsert(Account).values(username=username, display_name=display_name, agency_id=agency_id,
                                            roles=roles, password_hash=NO_PASSWORD, must_change_password=False,
                                            active=True, created_at=now, token_generation=0)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["username"], where=Account.password_hash == NO_PASSWORD,
            set_={"display_name": display_name, "agency_id": agency_id, "roles": stmt.excluded.roles}))

    def set_password(self, account_id: int, password_hash: str, now: datetime, generation: int) -> int | None:
        """Compare-and-set on the token generation the caller's token carries; raising it ends every
        other session. Returns the new generation, or None when the generation moved meanwhile."""
        return self.session.execute(
            update(Account).where(Account.id == account_id, Account.token_generation == generation)
            .values(password_hash=password_hash, must_change_password=False, password_changed_at=now,
                    token_generation=Account.token_generation + 1)
            .returning(Account.token_generation).execution_options(**_NO_SYNC)
        ).scalar_one_or_none()

    def set_active(self, username: str, active: bool, now: datetime) -> bool:
        """Deactivating (or reactivating) also raises the token generation and records when sessions
        ended: no earlier token, local or SSO, works again."""
        return self.session.execute(
            update(Account).where(Account.username == username)
            .values(active=active, token_generation=Account.token_generation + 1, sessions_ended_at=now)
            .execution_options(**_NO_SYNC)
        ).rowcount == 1

    def lock(self, username: str) -> Account | None:
        """The account, row-locked until the transaction ends (PostgreSQL; SQLite writers queue anyway)."""
        stmt = select(Account).where(Account.username == username)
        return self.session.scalar(stmt.with_for_update() if self.dialect == "postgresql" else stmt)

    def listing(self, agency_id: str | None = None) -> Sequence[Account]:
        stmt = select(Account).order_by(Account.agency_id, Account.username)
        if agency_id is not None:
            stmt = stmt.where(Account.agency_id == agency_id)
        return self.session.scalars(stmt).all()

    def set_roles(self, username: str, roles: list[str]) -> bool:
        return self.session.execute(
            update(Account).where(Account.username == username).values(roles=roles).execution_options(**_NO_SYNC)
        ).rowcount == 1

    def reset_password(self, username: str, password_hash: str, now: datetime) -> bool:
        """A new first password (to change at next login, R-8.2); every session of the account ends."""
        return self.session.execute(
            update(Account).where(Account.username == username, Account.password_hash != NO_PASSWORD)
            .values(password_hash=password_hash, must_change_password=True, password_changed_at=now,
                    token_generation=Account.token_generation + 1)
            .execution_options(**_NO_SYNC)
        ).rowcount == 1


@dataclass(frozen=True)
class AccountState:
    """What every request needs to know about the caller's directory entry."""

    active: bool
    token_generation: int
    agency_id: str
    roles: tuple[str, ...]
    display_name: str
    local: bool  # has a local password (not an SSO-only entry)
    sessions_ended_at: datetime | None = None  # last (de)activation: SSO tokens issued before are refused


@dataclass(frozen=True)
class SessionState:
    revoked: bool  # the token's id was revoked (logout)
    account: AccountState | None  # None: not in the directory


_ONE_ROW = select(literal(1).label("one")).subquery()
_SESSION = (
    select(exists().where(RevokedToken.jti == bindparam("jti")).label("revoked"),
           Account.active, Account.token_generation, Account.agency_id, Account.roles, Account.display_name,
           (Account.password_hash != NO_PASSWORD).label("local"), Account.sessions_ended_at)
    .select_from(_ONE_ROW.outerjoin(Account.__table__, Account.username == bindparam("username")))
)


class TokenRepository(_Repository):
    def revoke(self, jti: str, expires_at: datetime, now: datetime) -> None:
        self.session.execute(self._upsert(RevokedToken).values(jti=jti, expires_at=expires_at, revoked_at=now)
                             .on_conflict_do_nothing())

    def session_state(self, username: str, jti: str | None) -> SessionState:
        """Revocation and the account's state in ONE statement (it runs on every request)."""
        row = self._core(_SESSION, {"jti": jti or "", "username": username}).one()
        account = None
        if row.active is not None:
            account = AccountState(bool(row.active), int(row.token_generation), row.agency_id,
                                   tuple(row.roles), row.display_name, bool(row.local), row.sessions_ended_at)
        return SessionState(bool(row.revoked), account)

    def purge_expired(self, now: datetime) -> None:
        self.session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now).execution_options(**_NO_SYNC))


@dataclass(frozen=True)
class RateCount:
    hits: int  # attempts in the current window, this one included
    resets_at: datetime  # when the window (or the block) ends


_PURGE_BATCH = 100


class RateCounterRepository(_Repository):
    def hit(self, scope: str, subject: str, limit: int, now: datetime, window_ends: datetime,
            block_ends: datetime | None) -> RateCount:
        """Count one attempt atomically (one upsert ... RETURNING: parallel attempts never read the
        same count). A window that has ended starts afresh; the attempt that reaches `limit`
        extends the window to `block_ends` when given."""
        c = RateCounter.__table__.c
        at = functools.partial(literal, type_=UTCDateTime())
        expired = c.resets_at <= at(now)
        resets = case((expired, at(window_ends)), else_=c.resets_at)
        if block_ends is not None:
            resets = case((expired, at(window_ends)), (c.hits + 1 == limit, at(block_ends)), else_=c.resets_at)
            if limit <= 1:  # the first attempt already reaches the limit
                window_ends = block_ends
        stmt = (
            self._upsert(RateCounter.__table__).values(scope=scope, subject=subject, hits=1, resets_at=window_ends)
            .on_conflict_do_update(index_elements=["scope", "subject"],
                                   set_={"hits": case((expired, 1), else_=c.hits + 1), "resets_at": resets})
            .returning(c.hits, c.resets_at)
        )
        row = self._core(stmt).one()
        return RateCount(int(row.hits), row.resets_at)

    def refund(self, scope: str, subject: str) -> None:
        c = RateCounter.__table__.c
        self._core(update(RateCounter.__table__).where(c.scope == scope, c.subject == subject, c.hits > 0)
                   .values(hits=c.hits - 1))

    def clear(self, scope: str, subject: str) -> None:
        c = RateCounter.__table__.c
        self._core(delete(RateCounter.__table__).where(c.scope == scope, c.subject == subject))

    def get(self, scope: str, subject: str) -> RateCount | None:
        c = RateCounter.__table__.c
        row = self._core(select(c.hits, c.resets_at).where(c.scope == scope, c.subject == subject)).first()
        return RateCount(int(row.hits), row.resets_at) if row is not None else None

    def purge_ended(self, now: datetime) -> None:
        """Forget a bounded batch of ended windows; on PostgreSQL rows another transaction holds are
        skipped, so concurrent purges never wait for or deadlock with each other."""
        c = RateCounter.__table__.c
        ended = select(c.scope, c.subject).where(c.resets_at < now).limit(_PURGE_BATCH)
        if self.dialect == "postgresql":
            ended = ended.with_for_update(skip_locked=True)
        self._core(delete(RateCounter.__table__).where(tuple_(c.scope, c.subject).in_(ended)))


T_AUDIT = AuditRecord.__table__
T_CHAIN_HEAD = AuditChainHead.__table__
_AUDIT_FIELDS = [T_AUDIT.c[name] for name in audit_chain.FIELDS]


@functools.lru_cache(maxsize=8)
def _append_audit(columns: tuple[str, ...]) -> Any:
    """The one-statement append of AuditRepository on PostgreSQL, for records of these columns; built
    once, with bound parameters (`a_<column>`, and `a_body` for `audit_chain.record_body`): building
    and keying a fresh statement with the values inlined cost more than the round trip it saves."""
    head = select(T_CHAIN_HEAD.c.hash).where(T_CHAIN_HEAD.c.id == 1).with_for_update().cte("head")
    text = func.convert_to(head.c.hash + literal("\n") + bindparam("a_body", type_=String), "UTF8")
    digest = func.encode(func.sha256(text), "hex")
    record = (insert(T_AUDIT)
              .from_select([*columns, "prev_hash", "hash"],
                           select(*[bindparam(f"a_{c}", type_=T_AUDIT.c[c].type) for c in columns],
                                  head.c.hash, digest))
              .returning(T_AUDIT.c.id, T_AUDIT.c.hash).cte("appended"))
    return (update(T_CHAIN_HEAD).add_cte(record).where(T_CHAIN_HEAD.c.id == 1)
            .values(record_id=select(record.c.id).scalar_subquery(),
                    hash=select(record.c.hash).scalar_subquery(), count=T_CHAIN_HEAD.c.count + 1))


class AuditRepository(_Repository):
    def add(self, **values: Any) -> None:
        """Append one record to the hash chain (R-8.5). The chain head row is locked until this
        transaction ends (PostgreSQL: FOR UPDATE; SQLite: write transactions are BEGIN IMMEDIATE),
        so appends from every process queue and ids follow the chain. Append the record last in
        its transaction: the lock is then held only for the commit."""
        if self.dialect == "postgresql":
            if not self._append_in_one_statement(values):
                # The first append ever creates the head; a racing one waits on its key, then finds it.
                self._core(self._upsert(T_CHAIN_HEAD).values(id=1, record_id=None, hash=audit_chain.GENESIS,
                                                             count=0).on_conflict_do_nothing(index_elements=["id"]))
                if not self._append_in_one_statement(values):
                    raise RuntimeError("the audit chain head row vanished while appending")
            return
        # SQLite: write transactions are BEGIN IMMEDIATE, so reading the head is locking it.
        head = self._core(select(T_CHAIN_HEAD).where(T_CHAIN_HEAD.c.id == 1)).one_or_none()
        prev = head.hash if head is not None else audit_chain.GENESIS
        digest = audit_chain.record_hash(prev, values)
        record_id = self._core(insert(T_AUDIT).values(**values, prev_hash=prev, hash=digest)
                               .returning(T_AUDIT.c.id)).scalar_one()
        if head is None:
            self._core(insert(T_CHAIN_HEAD).values(id=1, record_id=record_id, hash=digest, count=1))
        else:
            self._core(update(T_CHAIN_HEAD).where(T_CHAIN_HEAD.c.id == 1)
                       .values(record_id=record_id, hash=digest, count=T_CHAIN_HEAD.c.count + 1))

    def _append_in_one_statement(self, values: dict[str, Any]) -> bool:
        """PostgreSQL: lock the head, insert the record hashed by the server (sha256 over the head's
        hash, a newline and `audit_chain.record_body`, the same bytes `record_hash` hashes) and move
        the head, in one statement: one round trip instead of two (issue 15). The head is locked
        before the record's id is drawn, so ids still follow the chain. False, having written
        nothing, when there is no head row yet (the first append ever)."""
        params = {f"a_{c}": v for c, v in values.items()}
        params["a_body"] = audit_chain.record_body(values)
        return self._core(_append_audit(tuple(values)), params).rowcount == 1

    def chain_head(self) -> audit_chain.Anchor | None:
        row = self._core(select(T_CHAIN_HEAD).where(T_CHAIN_HEAD.c.id == 1)).one_or_none()
        return None if row is None else audit_chain.Anchor(row.record_id, row.hash, int(row.count))

    def snapshot(self) -> None:
        """Make the rest of this (read) transaction see one snapshot: the head and the records agree."""
        if self.dialect == "postgresql":
            self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    def chain(self, after_id: int, limit: int) -> list[audit_chain.ChainedRecord]:
        """Up to `limit` records with id > `after_id`, in id order (the chain's order)."""
        rows = self._core(select(T_AUDIT.c.id, T_AUDIT.c.prev_hash, T_AUDIT.c.hash, *_AUDIT_FIELDS)
                          .where(T_AUDIT.c.id > after_id).order_by(T_AUDIT.c.id).limit(limit))
        return [audit_chain.ChainedRecord(r.id, r.prev_hash, r.hash, {n: r._mapping[n] for n in audit_chain.FIELDS})
                for r in rows]

    def for_request(self, request_id: str) -> Sequence[AuditRecord]:
        return self.session.scalars(select(AuditRecord).where(AuditRecord.request_id == request_id)).all()

    def recent(self, limit: int = 100) -> Sequence[AuditRecord]:
        return self.session.scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)).all()


class CommentRepository(_Repository):
    def add(self, **values: Any) -> int:
        return int(self.session.execute(insert(Comment).values(**values).returning(Comment.id)).scalar_one())

    def for_task(self, task_id: str) -> Sequence[Comment]:
        return self.session.scalars(select(Comment).where(Comment.task_id == task_id).order_by(Comment.id)).all()


class AttachmentRepository(_Repository):
    def add(self, **values: Any) -> int:
        return int(self.session.execute(insert(Attachment).values(**values).returning(Attachment.id)).scalar_one())

    def for_dossier(self, dossier_id: int) -> Sequence[Any]:
        cols = [c for c in Attachment.__table__.c if c.name != "content"]
        return self.session.execute(
            select(*cols).where(Attachment.dossier_id == dossier_id).order_by(Attachment.id)
        ).all()

    def get(self, dossier_id: int, attachment_id: int) -> Attachment | None:
        return self.session.scalar(
            select(Attachment).where(Attachment.id == attachment_id, Attachment.dossier_id == dossier_id)
        )

    def set_result(self, dossier_id: int, attachment_id: int, is_result: bool) -> bool:
        """Mark the file as the dossier's result or not (R-6.1); False when no such file."""
        return self.session.execute(
            update(Attachment).where(Attachment.id == attachment_id, Attachment.dossier_id == dossier_id)
            .values(is_result=is_result).returning(Attachment.id)
        ).first() is not None
