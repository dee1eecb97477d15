"""Officials' roles and the lane convention that routes tasks to them (R-4.1, R-4.4, R-8.3).

A BPMN lane names the role that works its tasks, either as the whole lane name or in brackets
after a human label:  ``official``  ·  ``Chuyên viên thẩm định [official]``. The tasks go to that
role in the dossier's competent agency, unless the lane names another agency after ``@``:
``[official@000.00.12.H15]`` (a fixed agency) or ``[official@{consulted_agency}]`` (the agency id
held in the dossier's data field ``consulted_agency``, or a dotted path into it such as
``{consultation.agency}`` for the item of a multi-instance task), which inter-agency routing needs.

A task's candidate group (Camunda Modeler's ``camunda:candidateGroups``, written like the bracket
of a lane: ``official`` or ``official@{consulted_agency}``) takes precedence over its lane: in
Camunda lanes are only drawn, the candidate group is what assigns the task.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any, Mapping

from .fields import FIELD_PATH, FieldError, field_value


class Role(str, Enum):
    ONE_STOP_OFFICER = "one_stop_officer"  # Bộ phận Một cửa
    AGENCY_HEAD = "agency_head"  # lãnh đạo cơ quan: assigns dossiers
    OFFICIAL = "official"  # công chức thẩm định
    APPROVER = "approver"  # người có thẩm quyền phê duyệt
    CONTROL_OFFICE = "control_office"  # Bộ phận kiểm soát TTHC
    ANALYST = "analyst"  # edits procedure diagrams
    AGENCY_ADMIN = "agency_admin"  # quản trị của cơ quan: accounts of its own agency only
    ADMIN = "admin"  # system administrator: every agency


ROLE_CODES = frozenset(r.value for r in Role)
# Tasks outside any lane go to the competent agency's officials.
DEFAULT_ROLE = Role.OFFICIAL.value

_LANE_RE = re.compile(
    r"^(?:.*\[)?\s*(?P<role>[a-z_]+)\s*(?:@\s*(?P<agency>\{" + FIELD_PATH + r"\}|[A-Za-z0-9.\-_]{1,35}))?\s*\]?\s*$"
)


_GROUP_RE = re.compile(
    r"^(?P<role>[a-z_]+)(?:@(?P<agency>\{" + FIELD_PATH + r"\}|[A-Za-z0-9.\-_]{1,35}))?$"
)


class LaneError(ValueError):
    pass


@dataclass(frozen=True)
class LaneRoute:
    role: str
    agency: str | None = None  # a fixed agency id
    agency_field: str | None = None  # a dossier data field that holds the agency id

    def agency_for(self, competent_agency: str, data: Mapping[str, Any]) -> str:
        if self.agency:
            return self.agency
        if self.agency_field:
            try:
                value = field_value(data, self.agency_field)
            except FieldError:
                value = None
            if not isinstance(value, str) or not value:
                raise LaneError(f"the lane routes to the agency in data field {self.agency_field!r}, which is empty")
            return value
        return competent_agency


def parse_lane(lane: str | None) -> LaneRoute:
    if lane is None or not lane.strip():
        return LaneRoute(DEFAULT_ROLE)
    text = lane.strip()
    m = _LANE_RE.match(text)
    if not m or (("[" in text) != text.endswith("]")):
        raise LaneError(
            f"lane {lane!r} does not name a role: write the role code, e.g. 'official' or "
            f"'Chuyên viên [official]' (roles: {', '.join(sorted(ROLE_CODES))})"
        )
    role = m.group("role")
    if role not in ROLE_CODES:
        raise LaneError(f"lane {lane!r}: unknown role {role!r} (roles: {', '.join(sorted(ROLE_CODES))})")
    agency = m.group("agency")
    if agency and agency.startswith("{"):
        return LaneRoute(role, agency_field=agency[1:-1])
    return LaneRoute(role, agency=agency)


def parse_candidate_group(group: str) -> LaneRoute:
    """``official``, ``official@000.00.12.H20`` or ``official@{field}``. Raises LaneError."""
    text = group.strip()
    if "${" in text or "#{" in text or text.startswith("="):
        raise LaneError(f"candidate group {group!r} is an expression, which is not run: write one role code; "
                        "for an agency held in the data write e.g. official@{consulted_agency}")
    if "," in text:
        raise LaneError(f"candidate groups {group!r} name several groups: a task goes to one role, write one")
    m = _GROUP_RE.match(text)
    if not m:
        raise LaneError(
            f"candidate group {group!r} is not a role: write one role code, e.g. 'official' or "
            f"'official@{{consulted_agency}}' (roles: {', '.join(sorted(ROLE_CODES))})"
        )
    if m.group("role") not in ROLE_CODES:
        raise LaneError(f"candidate group {group!r}: unknown role {m.group('role')!r} (roles: {', '.join(sorted(ROLE_CODES))})")
    agency = m.group("agency")
    if agency and agency.startswith("{"):
        return LaneRoute(m.group("role"), agency_field=agency[1:-1])
    return LaneRoute(m.group("role"), agency=agency)


def parse_route(lane: str | None, candidate_group: str | None = None) -> LaneRoute:
    """Who works a task: its candidate group if it has one, else its lane, else DEFAULT_ROLE."""
    if candidate_group:
        return parse_candidate_group(candidate_group)
    return parse_lane(lane)
