"""Valid BPMN that SpiffWorkflow 3.2 does not run as written, rewritten into BPMN it runs the same way.

Applied in place to the tree SpiffWorkflow parses, after the checks have read the modeler's tree:
- qualified references (`messageRef="semantic:Msg_1"`) are resolved to the id they name;
- data objects, data stores, data associations and input/output specifications are documentation
  (the dossier's data flows along the sequence flows anyway); a data store gets a warning;
- an activity or event with several outgoing flows is an implicit split (BPMN 2.0 §13.2.1): a
  parallel gateway, or an inclusive one when a flow has a condition ("conditional flows");
- a process or sub-process without a start event starts every node without an incoming flow, and
  a node without an outgoing flow ends its path (§10.5.2, §10.5.3): explicit start and end events;
- a link throw event continues at the link catch event of the same name (§10.5.4).
Added elements have ids `<original id>__motcua_<what>`; `original_id` maps them back for messages.
"""
from __future__ import annotations

from lxml import etree

from .model import (
    BPMN_NS,
    NS,
    bpmn,
    containers,
    event_definitions,
    flow_nodes,
    is_bpmn,
    local,
    sequence_flows,
)
from .problems import Problem, warning

MARK = "__motcua_"
_REF_ATTRIBUTES = ("messageRef", "signalRef", "errorRef", "escalationRef", "attachedToRef", "sourceRef", "targetRef",
                   "default", "calledElement", "processRef", "dataStoreRef", "dataObjectRef", "activityRef")
_REF_TEXTS = ("flowNodeRef", "incoming", "outgoing", "eventDefinitionRef", "sourceRef", "targetRef")


def original_id(element_id: str | None) -> str | None:
    return element_id.split(MARK)[0] if element_id else element_id


def resolve_qualified_refs(tree: etree._Element) -> None:
    """`prefix:id` → `id` where `id` is an element of the file (BPMN references are QNames)."""
    ids = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}

    def local_ref(value: str) -> str | None:
        if ":" not in value or value in ids:
            return None
        tail = value.rsplit(":", 1)[1]
        return tail if tail in ids else None

    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in _REF_ATTRIBUTES:
            value = el.get(attr)
            if value and (fixed := local_ref(value.strip())):
                el.set(attr, fixed)
        if is_bpmn(el, *_REF_TEXTS) and el.text and (fixed := local_ref(el.text.strip())):
            el.text = fixed


def _is_event_subprocess(el: etree._Element) -> bool:
    return is_bpmn(el, "subProcess") and el.get("triggeredByEvent") == "true"


def _new(container: etree._Element, tag: str, element_id: str, **attrs: str) -> etree._Element:
    el = etree.SubElement(container, bpmn(tag), id=element_id, **attrs)
    return el


def _flow(container: etree._Element, flow_id: str, source: str, target: str) -> etree._Element:
    return _new(container, "sequenceFlow", flow_id, sourceRef=source, targetRef=target)


def _condition(flow: etree._Element) -> etree._Element | None:
    return flow.find("bpmn:conditionExpression", NS)


def _documentation(tree: etree._Element, file: str, problems: list[Problem]) -> None:
    for ref in tree.iter(bpmn("dataStoreReference")):
        store = ref.get("dataStoreRef")
        label = ref.get("name") or store or ref.get("id")
        problems.append(warning(file, ref.get("id"), f"data store {label!r} is documentation: the engine keeps "
                                "no data in it (the dossier's data flows with the process)", ref.sourceline))
    doomed = [el for tag in ("dataInputAssociation", "dataOutputAssociation", "dataStore") for el in tree.iter(bpmn(tag))]
    for io in tree.iter(bpmn("ioSpecification")):
        # a multi-instance activity names its collection through its ioSpecification
        if io.getparent() is not None and io.getparent().find("bpmn:multiInstanceLoopCharacteristics", NS) is None:
            doomed.append(io)
    for el in doomed:
        el.getparent().remove(el)


def _links(container: etree._Element, file: str, problems: list[Problem]) -> None:
    def link_name(event: etree._Element) -> tuple[etree._Element, str] | None:
        for d in event_definitions(event):
            if local(d) == "linkEventDefinition":
                # linkEventDefinition/@name pairs a throw with its catch (the event's name if it has none)
                name = d.get("name") if d.get("name") is not None else event.get("name")
                return d, (name or "").strip()
        return None

    catches: dict[str, list[etree._Element]] = {}
    throws = []
    for node in flow_nodes(container):
        found = link_name(node)
        if found is None:
            continue
        if is_bpmn(node, "intermediateCatchEvent"):
            catches.setdefault(found[1], []).append(node)
        elif is_bpmn(node, "intermediateThrowEvent"):
            throws.append((node, found[1]))
    for node, name in throws:
        targets = catches.get(name, [])
        if len(targets) != 1:
            why = "no link catch event" if not targets else f"{len(targets)} link catch events"
            problems.append(Problem(file, node.get("id"), f"link {name!r} goes nowhere: the same process level has "
                                    f"{why} named {name!r} (a link throw continues at exactly one link catch)",
                                    node.sourceline))
            continue
        _flow(container, f"{node.get('id')}{MARK}link", node.get("id"), targets[0].get("id"))
    for events in [*catches.values(), [n for n, _ in throws]]:
        for event in events:
            for d in event_definitions(event):
                if local(d) == "linkEventDefinition" and d.getparent() is event:
                    event.remove(d)


def _implicit_start_and_end(container: etree._Element) -> None:
    nodes = list(flow_nodes(container))
    flows = sequence_flows(container)
    targets = {f.get("targetRef") for f in flows}
    sources = {f.get("sourceRef") for f in flows}
    cid = container.get("id")
    not_in_flow = [n for n in nodes if is_bpmn(n, "boundaryEvent") or _is_event_subprocess(n)
                   or n.get("isForCompensation") == "true"]
    if not any(is_bpmn(n, "startEvent") for n in nodes) and not _is_event_subprocess(container):
        first = [n for n in nodes if n.get("id") not in targets and n not in not_in_flow]
        start = f"{cid}{MARK}start"
        _new(container, "startEvent", start)
        if not first:  # an empty sub-process completes at once
            first = [_new(container, "endEvent", f"{cid}{MARK}end")]
        for n in first:
            _flow(container, f"{n.get('id')}{MARK}from_start", start, n.get("id"))
    for n in nodes:
        if n.get("id") in sources or is_bpmn(n, "endEvent") or _is_event_subprocess(n) \
                or n.get("isForCompensation") == "true":
            continue
        end = f"{n.get('id')}{MARK}end"
        _new(container, "endEvent", end)
        _flow(container, f"{n.get('id')}{MARK}to_end", n.get("id"), end)


def _implicit_splits(container: etree._Element) -> None:
    outgoing: dict[str, list[etree._Element]] = {}
    for f in sequence_flows(container):
        outgoing.setdefault(f.get("sourceRef"), []).append(f)
    for node in list(flow_nodes(container)):
        if local(node).endswith("Gateway"):
            continue
        flows = outgoing.get(node.get("id"), [])
        conditional = [f for f in flows if _condition(f) is not None]
        if len(flows) < 2 and not conditional:
            continue
        split = f"{node.get('id')}{MARK}split"
        default = node.attrib.pop("default", None)
        if conditional:
            gateway = _new(container, "inclusiveGateway", split)
            if default:
                gateway.set("default", default)
            for f in flows:
                if _condition(f) is None and f.get("id") != default:
                    etree.SubElement(f, bpmn("conditionExpression")).text = "True"  # always taken
        else:
            _new(container, "parallelGateway", split)
        for f in flows:
            f.set("sourceRef", split)
        _flow(container, f"{node.get('id')}{MARK}to_split", node.get("id"), split)


def make_explicit(tree: etree._Element, file: str, problems: list[Problem]) -> None:
    """Rewrite the implicit constructs of every process in the file (see the module docstring)."""
    _documentation(tree, file, problems)
    for process in tree.iterfind("bpmn:process", NS):
        for container in containers(process):
            if is_bpmn(container, "adHocSubProcess"):
                continue  # refused at check (checks/support.py)
            _links(container, file, problems)
            _implicit_splits(container)
            _implicit_start_and_end(container)


__all__ = ["BPMN_NS", "MARK", "make_explicit", "original_id", "resolve_qualified_refs"]
