"""A dossier's path: the diagram of the version it runs on, with its completed, current and late
steps, and the process control sheet (N-2) beside it. Read for the web page /ui/dossiers/<id>.

Who: whoever may see the dossier through the API (DossierService.check_visible); others get NotFound.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from engine.domain.access import Official

from .context import EngineContext
from .dossiers import DossierService, TimelineEntry
from .errors import NotFound


@dataclass(frozen=True)
class DossierPath:
    dossier_id: int
    code: str
    procedure_code: str
    procedure_version: int
    status: str
    due_at: object
    timeliness: str | None
    process_id: str
    diagram: str  # BPMN XML of the file that holds the process (as published: the law in force, R-1.3)
    diagram_file: str
    completed: list[str]  # element ids of finished steps, in the order they finished
    current: list[str]  # element ids waiting for an official now
    late: list[str]  # element ids finished late, or waiting past their due time
    sheet: list[TimelineEntry]  # the process control sheet: who, received, due, done, class (N-2, N-7)


def _unique(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def diagram_file(sources: dict[str, str], process_id: str) -> tuple[str, str]:
    """The .bpmn source (path, text) that defines `process_id`; NotFound if the version has none."""
    pattern = re.compile(r"<(?:\w+:)?process\b[^>]*\bid\s*=\s*[\"']" + re.escape(process_id) + r"[\"']")
    for path in sorted(sources):
        if path.lower().endswith(".bpmn") and pattern.search(sources[path]):
            return path, sources[path]
    raise NotFound(f"the diagram of process {process_id!r} is not stored with this version")


class DossierPathService:
    def __init__(self, ctx: EngineContext, dossiers: DossierService):
        self.ctx = ctx
        self.dossiers = dossiers

    def path(self, user: Official, dossier_id: int) -> DossierPath:
        view = self.dossiers.get_for(user, dossier_id)  # NotFound when the user may not see it
        with self.ctx.uow(write=False) as uow:
            d = uow.dossiers.get(dossier_id)
            version = uow.procedures.get_version(d.procedure_version_id)
            path, xml = diagram_file(version.sources or {}, version.process_id)
        done = [e for e in view.timeline if e.done_at is not None]
        waiting = [e for e in view.timeline if e.done_at is None]
        return DossierPath(
            view.id, view.code, view.procedure_code, view.procedure_version, view.status, view.due_at,
            view.timeliness, version.process_id, xml, path,
            completed=_unique([e.element_id for e in done]),
            current=_unique([e.element_id for e in waiting]),
            late=_unique([e.element_id for e in view.timeline if e.timeliness == "late"]),
            sheet=view.timeline,
        )
