"""Audit records of administrative changes, written in the change's own transaction (R-8.5).

The API also records every state-changing request (api/audit.py: route and status, never the
body); a change made here adds what changed (roles before and after, tasks moved…) under the same
request id. The command line has no request: its changes are recorded here only, with the actor
`cli:<operating-system user>` and a request id `cli-…` (cli/common.py).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.access import Official
from engine.persistence.unit_of_work import UnitOfWork

DONE = 200  # audit_log.outcome of a change that was made (the column holds HTTP statuses)


def record_change(uow: UnitOfWork, at: datetime, actor: Official, action: str, target: str, request_id: str,
                  detail: dict[str, Any] | None = None) -> None:
    """One audit row: `action` such as "account.roles", `target` such as "accounts/an"."""
    uow.audit.add(at=at, actor=actor.username[:128], agency_id=actor.agency_id or None, action=action[:128],
                  target=target[:255], request_id=request_id[:64], outcome=DONE, detail=detail or {})
