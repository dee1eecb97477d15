"""SQL of the procedure review (issue 12): repeals, the procedure audit trail, and which running
dossiers wait on which element (the door to migrating them to a new version)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Sequence

from sqlalchemy import select

from .models import Account, Dossier, Procedure, ProcedureEvent, ProcedureRepeal, ProcedureVersion, ReadyTask, Timer
from .repositories import _Repository


@dataclass(frozen=True)
class ProcedureEventRow:
    code: str
    version: int | None
    at: datetime
    actor: str
    action: str
    decision_number: str | None
    decision_date: date | None
    detail: dict[str, Any]


@dataclass(frozen=True)
class RepealRow:
    code: str
    effective_from: datetime
    decision_number: str
    decision_date: date
    replaced_by: str | None
    reason: str | None
    repealed_by: str
    repealed_at: datetime


class ProcedureReviewRepository(_Repository):
    def add_event(self, procedure_id: int, version: int | None, at: datetime, actor: str, action: str,
                  decision_number: str | None = None, decision_date: date | None = None,
                  detail: dict[str, Any] | None = None) -> None:
        self.session.add(ProcedureEvent(procedure_id=procedure_id, version_number=version, at=at, actor=actor,
                                        action=action, decision_number=decision_number,
                                        decision_date=decision_date, detail=detail or {}))

    def events(self, code: str) -> list[ProcedureEventRow]:
        rows = self.session.execute(
            select(ProcedureEvent).join(Procedure, Procedure.id == ProcedureEvent.procedure_id)
            .where(Procedure.code == code).order_by(ProcedureEvent.id)
        ).scalars()
        return [ProcedureEventRow(code, e.version_number, e.at, e.actor, e.action, e.decision_number,
                                  e.decision_date, e.detail) for e in rows]

    def add_repeal(self, **values: Any) -> None:
        self.session.add(ProcedureRepeal(**values))
        self.session.flush()

    def repeals(self, code: str) -> list[RepealRow]:
        rows = self.session.execute(
            select(ProcedureRepeal).join(Procedure, Procedure.id == ProcedureRepeal.procedure_id)
            .where(Procedure.code == code).order_by(ProcedureRepeal.effective_from, ProcedureRepeal.id)
        ).scalars()
        return [RepealRow(code, r.effective_from, r.decision_number, r.decision_date, r.replaced_by, r.reason,
                          r.repealed_by, r.repealed_at) for r in rows]

    def procedure_id(self, code: str) -> int | None:
        return self.session.scalar(select(Procedure.id).where(Procedure.code == code))

    def lock_version(self, code: str, number: int) -> ProcedureVersion | None:
        """The version row, locked until the transaction ends (two reviewers never both publish)."""
        return self.session.scalar(
            select(ProcedureVersion).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(Procedure.code == code, ProcedureVersion.number == number).with_for_update()
        )

    def delete_version(self, version: ProcedureVersion) -> None:
        self.session.delete(version)
        self.session.flush()

    def with_decision(self) -> Sequence[tuple[str, ProcedureVersion]]:
        """Every version that names an announcing decision, with its procedure code."""
        return self.session.execute(
            select(Procedure.code, ProcedureVersion).join(Procedure, Procedure.id == ProcedureVersion.procedure_id)
            .where(ProcedureVersion.decision_date.is_not(None))
            .order_by(Procedure.code, ProcedureVersion.number)
        ).all()

    def waiting_elements(self, code: str) -> dict[str, list[str]]:
        """Element id -> codes of the running dossiers (any version of `code`) that wait there: a
        ready human task or a pending timer."""
        found: dict[str, set[str]] = {}
        for table, column in ((ReadyTask, ReadyTask.element_id), (Timer, Timer.element_id)):
            rows = self.session.execute(
                select(column, Dossier.code).join(Dossier, Dossier.id == table.dossier_id)
                .where(Dossier.procedure_code == code, Dossier.completed_at.is_(None))
            )
            for element, dossier in rows:
                found.setdefault(element, set()).add(dossier)
        return {element: sorted(codes) for element, codes in sorted(found.items())}

    def roles_by_agency(self) -> dict[str, set[str]]:
        """Agency id -> the roles its active accounts hold (legal lint: does a lane reach anyone?)."""
        found: dict[str, set[str]] = {}
        for agency, roles in self.session.execute(select(Account.agency_id, Account.roles).where(Account.active)):
            found.setdefault(agency, set()).update(r for r in roles or [] if isinstance(r, str))
        return found
