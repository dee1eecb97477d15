"""Officials find a dossier by its code or its applicant's name or ID number (R-7.1), with the
visibility of the dossier view (access.can_see_dossier): the competent agency, agencies and officials
that worked on it, its registrar; oversight roles see every dossier."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.domain.access import Official
from engine.domain.dossier_status import Channel, DossierStatus

from .context import EngineContext
from .errors import InvalidInput

MAX_LIMIT = 200


@dataclass(frozen=True)
class DossierSummary:
    id: int
    code: str
    procedure_code: str
    agency_id: str
    channel: str
    channel_code: int  # N-8
    status: str
    status_code: int  # N-8
    applicant_name: str | None
    received_at: datetime
    due_at: datetime | None
    completed_at: datetime | None
    timeliness: str | None  # stored at the end (N-7)
    version: int


class DossierSearchService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def find(self, user: Official, code: str | None = None, applicant: str | None = None,
             status: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[DossierSummary], int]:
        """Dossiers `user` may see, newest first, and how many match: `code` a prefix of the
        dossier code (N-1), `applicant` part of the name (case-insensitive) or the whole 12-digit ID
        number, `status` a status name (docs/lifecycle.md). InvalidInput naming the field for an
        unknown status or a window out of range."""
        if status is not None and status not in {s.value for s in DossierStatus}:
            raise InvalidInput(f"unknown status {status!r}", [("status", "not a dossier status")])
        if offset < 0 or not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit from 1 to {MAX_LIMIT}, offset from 0",
                               [("offset" if offset < 0 else "limit", "out of range")])
        visible = None if user.oversees else (user.agency_id, user.username)
        with self.ctx.uow(write=False) as uow:
            rows, total = uow.dossiers.search(code=code or None, applicant=(applicant or "").strip() or None,
                                              status=status, visible_to=visible, limit=limit, offset=offset)
        items = [DossierSummary(
            id=r.id, code=r.code, procedure_code=r.procedure_code, agency_id=r.agency_id, channel=r.channel,
            channel_code=Channel(r.channel).national_code, status=r.status,
            status_code=DossierStatus(r.status).national_code, applicant_name=r.applicant_name,
            received_at=r.received_at, due_at=r.due_at, completed_at=r.completed_at, timeliness=r.timeliness,
            version=r.version) for r in rows]
        return items, total
