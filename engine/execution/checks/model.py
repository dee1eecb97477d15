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
ACTIVITY_TAGS = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
                 "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess")
GATEWAY_TAGS = ("exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway")
EVENT_TAGS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent")
FLOW_NODE_TAGS = ACTIVITY_TAGS + GATEWAY_TAGS + EVENT_TAGS
EVENT_DEFINITION_TAGS = ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
                         "errorEventDefinition", "escalationEventDefinition", "conditionalEventDefinition",
                         "compensateEventDefinition", "cancelEventDefinition", "terminateEventDefinition",
                         "linkEventDefinition")
# What the engine treats as documentation: schema errors inside them are warnings, and they are
# removed from the copy SpiffWorkflow parses (checks/normalize.py).
DOCUMENTATION_TAGS = ("dataObject", "dataObjectReference", "dataStore", "dataStoreReference", "dataInputAssociation",
                      "dataOutputAssociation", "ioSpecification", "textAnnotation", "association", "group",
                      "category", "documentation", "messageFlow", "conversation", "operation", "interface")


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


def flow_nodes(container: etree._Element) -> Iterator[etree._Element]:
    """The flow nodes directly in a process or sub-process (not in nested sub-processes)."""
    for el in container:
        if is_bpmn(el, *FLOW_NODE_TAGS) and el.get("id"):
            yield el


def sequence_flows(container: etree._Element) -> list[etree._Element]:
    return [el for el in container if is_bpmn(el, "sequenceFlow")]


def event_definitions(event: etree._Element) -> list[etree._Element]:
    """The event's definitions, inline or referenced by eventDefinitionRef."""
    found = [el for el in event if is_bpmn(el, *EVENT_DEFINITION_TAGS)]
    for ref in event.iterfind("bpmn:eventDefinitionRef", NS):
        target = by_id(event, (ref.text or "").strip())
        if target is not None:
            found.append(target)
    return found


def by_id(anywhere: etree._Element, element_id: str) -> etree._Element | None:
    if not element_id:
        return None
    found = anywhere.getroottree().xpath("//*[@id=$id]", id=element_id)
    return found[0] if found else None


def containers(process: etree._Element) -> Iterator[etree._Element]:
    """The process and every sub-process in it, outermost first."""
    yield process
    for el in process.iter(*(bpmn(t) for t in CONTAINER_TAGS[1:])):
        yield el
