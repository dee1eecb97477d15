"""Namespaces and small helpers to walk a BPMN tree (lxml)."""
from __future__ import annotations

from typing import Iterator

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "spiffworkflow": SPIFF_NS, "camunda": CAMUNDA_NS}
LAYOUT_NAMESPACES = (BPMNDI_NS, DC_NS, DI_NS)

# Elements that hold their own flow (a nested spec at run time).
CONTAINER_TAGS = ("process", "subProcess", "transaction", "adHocSubProcess")
_CONTAINERS = {f"{{{BPMN_NS}}}{t}" for t in CONTAINER_TAGS}


def bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def is_bpmn(el: etree._Element, *tags: str) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(f"{{{BPMN_NS}}}") and (not tags or local(el) in tags)


def container_of(el: etree._Element) -> etree._Element | None:
    """The process or sub-process whose flow `el` belongs to."""
    owner = el.getparent()
    while owner is not None and owner.tag not in _CONTAINERS:
        owner = owner.getparent()
    return owner


def processes(tree: etree._Element) -> Iterator[etree._Element]:
    yield from tree.iterfind("bpmn:process", NS)


def is_executable(process: etree._Element) -> bool:
    # SpiffWorkflow's rule: a process is executable unless it says isExecutable="false".
    return process.get("isExecutable", "true") == "true"


def line_element_id(tree: etree._Element, line: int | None) -> str | None:
    """The id of the element on `line`, else of the nearest element with an id before it."""
    if not line:
        return None
    best = None
    for el in tree.iter():
        if not isinstance(el.tag, str) or not el.sourceline:
            continue
        if el.sourceline > line:
            break
        if el.get("id"):
            best = el.get("id")
    return best
