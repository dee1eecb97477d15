"""The procedure catalogue (R-1.1): a read model of the procedures in effect, for officials and,
read-only, for applicants (issue 10 serves it to them).

Built from the published version in effect of every procedure not repealed at the instant asked:
code, name, field, competent agency and level, online service level, statutory time, fees,
components, and the announcing decision. Officials also see the version number and who published.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from engine.domain.lifecycle_steps import is_feedback_procedure

from .context import EngineContext

OFFICIALS, APPLICANTS = "officials", "applicants"


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    field: str
    agency_id: str
    agency_name: str | None
    level: str
    online_level: str
    statutory_days: int
    result_on_the_spot: bool
    fees: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    effective_from: datetime | None = None
    decision_number: str | None = None
    decision_date: date | None = None
    # officials only
    version: int | None = None
    published_by: str | None = None

    def for_applicants(self) -> "CatalogueEntry":
        """What the public catalogue shows: the procedure, not how the system holds it."""
        return CatalogueEntry(**{**asdict(self), "version": None, "published_by": None})


class CatalogueService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def entries(self, audience: str = OFFICIALS, at: datetime | None = None) -> list[CatalogueEntry]:
        """Every procedure in effect at `at` (default now), by code; `audience` OFFICIALS or APPLICANTS."""
        at = at or self.ctx.clock.now()
        found = []
        with self.ctx.uow(write=False) as uow:
            for v in uow.procedures.all_in_effect(at):
                if is_feedback_procedure(v.meta):  # its cases are feedback, sent apart
                    continue
                m = v.meta
                entry = CatalogueEntry(
                    code=uow.procedures.code_of(v), name=m["name"], field=m["field"], agency_id=m["agency_id"],
                    agency_name=m.get("agency_name"), level=m["level"], online_level=m["online_level"],
                    statutory_days=m["statutory_days"], result_on_the_spot=bool(m.get("result_on_the_spot")),
                    fees=list(m.get("fees", [])), components=list(m.get("components", [])),
                    effective_from=v.effective_from, decision_number=v.decision_number,
                    decision_date=v.decision_date, version=v.number, published_by=v.published_by)
                found.append(entry if audience == OFFICIALS else entry.for_applicants())
        return found
