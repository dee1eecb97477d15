"""/api/reassignments: an official's tasks to a colleague at once (R-4.1), e.g. after deactivation."""
from __future__ import annotations

from flask import g

from ..access import current_user
from ..admin_schemas import ReassignSchema, ReassignmentSchema
from ..endpoints import Blueprint
from .common import services

bp = Blueprint("reassignments", __name__, url_prefix="/api/reassignments",
               description="The agency head moves every task an official holds to a colleague (R-4.1)")


@bp.post("")
@bp.arguments(ReassignSchema)
@bp.response(200, ReassignmentSchema)
@bp.problems(403, 404, 409)
def reassign(body: dict) -> object:
    """Give every task an official holds to a colleague

    The agency head of the official's agency (or a system administrator). The colleague must exist,
    be active, be in the tasks' agency and hold each task's role, as for one assignment; otherwise
    422 naming every problem under `to`, and nothing moves. All tasks move or none (409: a task
    changed meanwhile). Tasks delegated to the official are skipped and listed."""
    return services().reassignment.reassign_claimed(current_user(), body["from_"], body["to"],
                                                    g.get("request_id", ""))
