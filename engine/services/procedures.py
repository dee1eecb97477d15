"""Procedure versions: load processes/ into draft versions, publish, retire (R-1.2, R-1.3).

`sync` (the server's start-up load of processes/) only creates drafts. `publish` here is the
development convenience (`motcua serve --publish-drafts`, tests): it publishes a draft without the
control office's review or decision. The review itself — upload, submit, publish with the
announcing decision, repeal — is `engine/services/drafts.py` (issue 12)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from engine.domain.access import Official
from engine.domain.procedure_version import Action, TransitionRefused, VersionState, advance
from engine.domain.roles import Role
from engine.execution.bpmn_compiler import Problem
from engine.execution.serialization import SERIALIZER_VERSION
from engine.persistence.models import ProcedureVersion
from engine.procedures.library import LoadedProcedure, ProcedureInvalid, load_procedure, procedure_folders

from .context import EngineContext
from .errors import Conflict, Forbidden, InvalidInput, NotFound

DRAFT, SUBMITTED = VersionState.DRAFT.value, VersionState.SUBMITTED.value
PUBLISHED, RETIRED = VersionState.PUBLISHED.value, VersionState.RETIRED.value
DEVELOPMENT = "development"  # the actor recorded when nobody of the control office published


@dataclass(frozen=True)
class SyncEntry:
    folder: str
    outcome: str  # "created", "unchanged" or "invalid"
    version: int | None = None
    problems: list[Problem] = field(default_factory=list)  # invalid: errors and warnings; else warnings


@dataclass(frozen=True)
class VersionView:
    code: str
    number: int
    state: str
    content_hash: str
    effective_from: datetime | None
    published_at: datetime | None
    published_by: str | None
    retired_at: datetime | None
    created_at: datetime
    metadata: dict[str, Any]
    submitted_at: datetime | None = None
    submitted_by: str | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    backdate_reason: str | None = None

    @classmethod
    def of(cls, code: str, v: ProcedureVersion) -> "VersionView":
        return cls(code, v.number, v.state, v.content_hash, v.effective_from, v.published_at,
                   v.published_by, v.retired_at, v.created_at, v.meta, v.submitted_at, v.submitted_by,
                   v.decision_number, v.decision_date, v.backdate_reason)



def version_content(loaded: LoadedProcedure) -> dict[str, Any]:
    """The stored columns of a version compiled from `loaded` (hash, metadata, sources, the compiled
    spec and its serializer version): the one place a procedure_versions row gets its content."""
    compiled = loaded.compiled
    return dict(
        content_hash=loaded.content_hash,
        meta=loaded.metadata,
        sources=loaded.sources,
        process_id=compiled.process_id,
        spec={
            "spec": compiled.spec,
            "subprocess_specs": compiled.subprocess_specs,
            "human_tasks": {k: vars(h) for k, h in compiled.human_tasks.items()},
            "messages": {k: vars(m) for k, m in compiled.messages.items()},
        },
        serializer_version=SERIALIZER_VERSION,
    )

class ProcedureService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def sync(self, processes_dir: Path | None = None, forms_dir: Path | None = None) -> list[SyncEntry]:
        """Load every procedure folder; a changed folder becomes a new draft version."""
        processes_dir = processes_dir or self.ctx.processes_dir
        forms_dir = forms_dir or self.ctx.forms_dir
        entries = []
        for folder in procedure_folders(processes_dir):
            try:
                loaded = load_procedure(folder, forms_dir)
            except ProcedureInvalid as err:
                entries.append(SyncEntry(folder.name, "invalid", problems=err.problems))
                continue
            entries.append(replace(self.add_version(loaded, folder.name), problems=loaded.warnings))
        return entries

    def add_version(self, loaded: LoadedProcedure, folder: str | None = None) -> SyncEntry:
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            pid = uow.procedures.locked_procedure_id(loaded.code, now)  # several processes syncing at start
            existing = uow.procedures.version_with_hash(pid, loaded.content_hash)
            if existing is not None:
                return SyncEntry(folder or loaded.code, "unchanged", existing.number)
            version = uow.procedures.add_version(procedure_id=pid, number=uow.procedures.next_number(pid),
                                                 state=DRAFT, created_at=now, **version_content(loaded))
            uow.procedure_review.add_event(pid, version.number, now, "system", "upload",
                                           detail={"outcome": "created", "source": folder or loaded.code})
            uow.commit()
            return SyncEntry(folder or loaded.code, "created", version.number)

    def publish(self, code: str, number: int | None = None, effective_from: datetime | None = None,
                actor: str | None = None) -> VersionView:
        """Publish a version (default: the newest draft), in effect from `effective_from` (default now)."""
        now = self.ctx.clock.now()
        effective_from = effective_from or now
        if effective_from.tzinfo is None:
            raise InvalidInput("effective_from needs a time zone", [("effective_from", "no offset")])
        if effective_from < now.replace(microsecond=0):
            # Dossiers already received must keep the version that was in effect.
            raise InvalidInput("a version cannot take effect in the past",
                               [("effective_from", f"{effective_from.isoformat()} is before now")])
        with self.ctx.uow() as uow:
            version = self._pick(uow, code, number, DRAFT)
            if version.state != DRAFT:
                raise Conflict(f"{code} version {version.number} is {version.state}, not a draft")
            # draft -> submitted -> published in one go: the review is skipped, not the rules
            version.state = advance(advance(version.state, Action.SUBMIT), Action.PUBLISH).value
            version.effective_from = effective_from
            version.published_at = now
            version.published_by = actor or DEVELOPMENT
            uow.procedure_review.add_event(version.procedure_id, version.number, now, actor or DEVELOPMENT,
                                           "publish", detail={"effective_from": effective_from.isoformat(),
                                                              "development": True})
            uow.commit()
            return VersionView.of(code, version)

    def retire(self, code: str, number: int, user: Official) -> VersionView:
        """Stop offering a version to new dossiers; running dossiers finish on it (R-1.2, R-1.3).
        Only the control office (R-1.2), recorded under its name (R-8.5). Raises Forbidden,
        NotFound, Conflict (not published)."""
        if not user.has(Role.CONTROL_OFFICE):
            raise Forbidden("only the control office can retire a procedure version (R-1.2)")
        actor = user.username
        now = self.ctx.clock.now()
        with self.ctx.uow() as uow:
            version = self._pick(uow, code, number, None)
            try:
                version.state = advance(version.state, Action.RETIRE).value
            except TransitionRefused as err:
                raise Conflict(f"{code} version {number}: {err}") from None
            version.retired_at = now
            uow.procedure_review.add_event(version.procedure_id, version.number, now, actor, "retire")
            uow.commit()
            return VersionView.of(code, version)

    def versions(self, code: str) -> list[VersionView]:
        with self.ctx.uow(write=False) as uow:
            found = uow.procedures.versions(code)
            if not found:
                raise NotFound(f"procedure {code!r} does not exist")
            return [VersionView.of(code, v) for v in found]

    def in_effect(self, at: datetime | None = None) -> list[VersionView]:
        at = at or self.ctx.clock.now()
        with self.ctx.uow(write=False) as uow:
            return [VersionView.of(uow.procedures.code_of(v), v) for v in uow.procedures.all_in_effect(at)]

    @staticmethod
    def _pick(uow: Any, code: str, number: int | None, newest_in_state: str | None) -> ProcedureVersion:
        if number is not None:
            version = uow.procedures.version(code, number)
            if version is None:
                raise NotFound(f"procedure {code!r} has no version {number}")
            return version
        candidates = [v for v in uow.procedures.versions(code) if v.state == newest_in_state]
        if not candidates:
            raise NotFound(f"procedure {code!r} has no {newest_in_state} version")
        return candidates[-1]
