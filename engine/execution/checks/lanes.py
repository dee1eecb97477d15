"""Which lane each flow node is in, read only from bpmn:laneSet (issue 8).

Only `process/laneSet/lane` (and nested `childLaneSet`) count: a vendor extension that happens to
hold lane-like elements (IBM's "Milestone") names no role. The innermost lane naming a node wins;
a node in an embedded sub-process without lanes of its own is in the sub-process's lane. The
compiler gives SpiffWorkflow this same map, so what check validates is what routes at run time.
"""
from __future__ import annotations

from lxml import etree

from .model import BPMN_NS, NS, bpmn

_FLOW_CONTAINERS = ("subProcess", "transaction", "adHocSubProcess")


def _lane_refs(lane_set: etree._Element, out: dict[str, str | None]) -> None:
    for lane in lane_set.iterfind("bpmn:lane", NS):
        name = (lane.get("name") or "").strip() or None  # an unnamed lane routes to the default role
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            out[(ref.text or "").strip()] = name
        for child in lane.iterfind("bpmn:childLaneSet", NS):
            _lane_refs(child, out)  # after the parent's refs: the innermost lane wins


def _walk(container: etree._Element, inherited: str | None, out: dict[str, str | None]) -> None:
    own: dict[str, str | None] = {}
    for lane_set in container.iterfind("bpmn:laneSet", NS):
        _lane_refs(lane_set, own)
    for node in container:
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}") or not node.get("id"):
            continue
        lane = own.get(node.get("id"), inherited)
        out[node.get("id")] = lane
        if node.tag in {bpmn(t) for t in _FLOW_CONTAINERS}:
            _walk(node, lane, out)


def lanes_by_node(tree: etree._Element) -> dict[str, str | None]:
    """Flow node id -> lane name (None: in no lane), for every process in the file."""
    out: dict[str, str | None] = {}
    for process in tree.iterfind("bpmn:process", NS):
        _walk(process, None, out)
    return out
