"""Typed rows that cross from persistence to the service layer (no ORM objects, no SimpleNamespace).

Built from Core result mappings by the repositories; fields are the table's columns."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Mapping


@dataclass(frozen=True)
class TaskRow:
    """A ready task (`ready_tasks`): an official's inbox item."""

    task_id: str
    dossier_id: int
    element_id: str
    name: str
    lane: str | None
    form: str | None
    candidate_role: str
    candidate_agency: str
    assignee: str | None
    owner: str | None
    created_at: datetime
    due_at: datetime | None
    due_basis: dict[str, Any] | None
    version: int
    dossier_code: str | None = None  # with the task's dossier, when the query joined it
    procedure_code: str | None = None


@dataclass(frozen=True)
class DueBasisRow:
    """A stored deadline and what it was computed from, for `motcua timers recalculate` to compare
    with the calendar in force: a dossier's appointment (with its count start), an open step's or
    a waiting timer's due instant. A few columns: no workflow state."""

    dossier_id: int
    due_basis: dict[str, Any]
    due_at: datetime | None
    started_at: datetime | None = None  # the dossier's count start (dossiers only)


@dataclass(frozen=True)
class DossierRow:
    """A dossier (`dossiers`): workflow state plus the lifecycle aggregate's fields."""

    id: int
    code: str
    procedure_version_id: int
    procedure_code: str
    agency_id: str
    channel: str
    status: str
    state: str
    version: int
    received_at: datetime
    started_at: datetime
    due_at: datetime | None
    due_basis: dict[str, Any] | None
    completed_at: datetime | None
    applicant: dict[str, Any]
    created_by: str | None
    updated_at: datetime
    applicant_name: str | None
    applicant_id_number: str | None
    on_the_spot: bool
    outcome: str | None
    status_reason: str | None
    timeliness: str | None
    timeliness_reappointed: str | None
    paused_since: datetime | None
    supplements: int
    forced_late: bool
    fee: dict[str, Any] | None
    result_ready_at: datetime | None
    returned_at: datetime | None
    return_channel: str | None
    tracking_number: str | None
    assigned_official: str | None = None  # chosen in an assignment task (migration 0009)


@dataclass(frozen=True)
class IncidentRow:
    """An incident (`incidents`: one failed attempt of a step) with its dossier's code, competent
    agency, procedure and status; in the operators' list also `since` (the step's first open
    attempt) and `open_attempts`."""

    id: int
    dossier_id: int
    element_id: str | None
    kind: str
    error: str
    occurred_at: datetime
    attempt: int
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None
    dossier_code: str
    agency_id: str
    procedure_code: str
    dossier_status: str
    since: datetime | None = None
    open_attempts: int = 0


def build(cls: type, row: Mapping[str, Any], **extra: Any) -> Any:
    """`cls` from a result mapping, taking only its fields (extra columns are ignored)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in row.items() if k in names}, **extra)
