"""A tiny BPMN writer for tests and benches: procedures built in code, valid for SpiffWorkflow."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
    'id="defs" targetNamespace="http://bpmn.io/schema/bpmn">\n'
)


class Process:
    def __init__(self, process_id: str = "proc"):
        self.id = process_id
        self.elements: list[str] = []
        self.flows: list[tuple[str, str, str | None]] = []
        self.lanes: dict[str, list[str]] = {}
        self.messages: dict[str, str] = {}  # name -> extension XML of the bpmn:message element
        self._n = 0

    def _props(self, props: dict[str, object]) -> str:
        if not props:
            return ""
        inner = "".join(f'<spiffworkflow:property name="{k}" value={quoteattr(str(v))}/>' for k, v in props.items())
        return f"<bpmn:extensionElements><spiffworkflow:properties>{inner}</spiffworkflow:properties></bpmn:extensionElements>"

    def _lane(self, lane: str | None, element: str) -> None:
        if lane is not None:
            self.lanes.setdefault(lane, []).append(element)

    def start(self, id: str = "start", lane: str | None = None) -> "Process":
        self.elements.append(f'<bpmn:startEvent id="{id}"/>')
        self._lane(lane, id)
        return self

    def end(self, id: str = "end", lane: str | None = None) -> "Process":
        self.elements.append(f'<bpmn:endEvent id="{id}"/>')
        self._lane(lane, id)
        return self

    def user(self, id: str, name: str | None = None, lane: str | None = None, form: str | None = None,
             hours: float | str | None = None, days: int | str | None = None,
             each: str | None = None, item: str | None = None, gather: str | None = None,
             output_item: str | None = None, sequential: bool = False,
             props: dict[str, object] | None = None, lifecycle: str | None = None) -> "Process":
        """A user task; with `each` (a data field holding a collection) a multi-instance one whose
        instances get the collection's items as `item`, their `output_item` gathered in `gather`.
        `props`: more task properties; `lifecycle` names its lifecycle step (docs/bpmn-conventions.md §15)."""
        props = dict(props or {})
        if lifecycle:
            props["lifecycle"] = lifecycle
        if form:
            props["formJsonSchemaFilename"] = form
        if hours is not None:
            props["workingHours"] = hours
        if days is not None:
            props["workingDays"] = days
        loop = ""
        if each is not None:
            loop = (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
                    f'<bpmn:loopDataInputRef>{each}</bpmn:loopDataInputRef>'
                    + (f'<bpmn:loopDataOutputRef>{gather}</bpmn:loopDataOutputRef>' if gather else "")
                    + (f'<bpmn:inputDataItem id="{item}" name="{item}"/>' if item else "")
                    + (f'<bpmn:outputDataItem id="{output_item}" name="{output_item}"/>' if output_item else "")
                    + "</bpmn:multiInstanceLoopCharacteristics>")
        self.elements.append(f'<bpmn:userTask id="{id}" name={quoteattr(name or id)}>{self._props(props)}{loop}</bpmn:userTask>')
        self._lane(lane, id)
        return self

    def message(self, name: str, form: str | None = None, variable: str | None = None) -> str:
        """Declare a message (once per name); returns its id for messageRef."""
        ext = ""
        if form or variable:
            inner = self._props({"formJsonSchemaFilename": form}) if form else ""
            if variable:
                var = f"<spiffworkflow:messageVariable>{escape(variable)}</spiffworkflow:messageVariable>"
                inner = (inner.replace("</bpmn:extensionElements>", var + "</bpmn:extensionElements>") if inner
                         else f"<bpmn:extensionElements>{var}</bpmn:extensionElements>")
            ext = inner
        if ext or name not in self.messages:
            self.messages[name] = ext
        return self.message_id(name)

    @staticmethod
    def message_id(name: str) -> str:
        return "msg_" + "".join(c if c.isalnum() else "_" for c in name)

    def message_start(self, id: str, message: str, lane: str | None = None) -> "Process":
        ref = self.message(message)
        self.elements.append(f'<bpmn:startEvent id="{id}"><bpmn:messageEventDefinition messageRef="{ref}"/></bpmn:startEvent>')
        self._lane(lane, id)
        return self

    def message_catch(self, id: str, message: str, lane: str | None = None) -> "Process":
        ref = self.message(message)
        self.elements.append(f'<bpmn:intermediateCatchEvent id="{id}"><bpmn:messageEventDefinition messageRef="{ref}"/>'
                             f'</bpmn:intermediateCatchEvent>')
        self._lane(lane, id)
        return self

    def receive(self, id: str, message: str, lane: str | None = None) -> "Process":
        ref = self.message(message)
        self.elements.append(f'<bpmn:receiveTask id="{id}" messageRef="{ref}"/>')
        self._lane(lane, id)
        return self

    def boundary_message(self, id: str, attached_to: str, message: str, interrupting: bool = True) -> "Process":
        ref = self.message(message)
        self.elements.append(
            f'<bpmn:boundaryEvent id="{id}" attachedToRef="{attached_to}" cancelActivity="{str(interrupting).lower()}">'
            f'<bpmn:messageEventDefinition messageRef="{ref}"/></bpmn:boundaryEvent>'
        )
        return self

    def event_gateway(self, id: str) -> "Process":
        self.elements.append(f'<bpmn:eventBasedGateway id="{id}"/>')
        return self

    def terminate(self, id: str = "terminate") -> "Process":
        self.elements.append(f'<bpmn:endEvent id="{id}"><bpmn:terminateEventDefinition/></bpmn:endEvent>')
        return self

    def event_subprocess(self, id: str, inner: "Process", interrupting: bool = False) -> "Process":
        """An event sub-process; `inner` holds its elements and flows, its start event already triggered
        (see `timer_start`)."""
        body = "".join(inner.elements) + "".join(_flow_xml(f) for f in inner.flows)
        self.elements.append(f'<bpmn:subProcess id="{id}" triggeredByEvent="true">{body}</bpmn:subProcess>')
        self.messages.update(inner.messages)
        return self

    def timer_start(self, id: str, expression: str, kind: str = "timeDate", interrupting: bool = True) -> "Process":
        self.elements.append(
            f'<bpmn:startEvent id="{id}" isInterrupting="{str(interrupting).lower()}"><bpmn:timerEventDefinition>'
            f'<bpmn:{kind}>{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:startEvent>'
        )
        return self

    def parallel(self, id: str) -> "Process":
        self.elements.append(f'<bpmn:parallelGateway id="{id}"/>')
        return self

    def script(self, id: str, script: str, lane: str | None = None) -> "Process":
        self.elements.append(f'<bpmn:scriptTask id="{id}"><bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>')
        self._lane(lane, id)
        return self

    def element(self, xml: str, id: str | None = None, lane: str | None = None) -> "Process":
        """Any BPMN element written out by hand (plain tasks, sub-processes, events...)."""
        self.elements.append(xml)
        if id is not None:
            self._lane(lane, id)
        return self

    def timer(self, id: str, expression: str, kind: str = "timeDate", lane: str | None = None) -> "Process":
        self.elements.append(
            f'<bpmn:intermediateCatchEvent id="{id}"><bpmn:timerEventDefinition>'
            f'<bpmn:{kind}>{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>'
        )
        self._lane(lane, id)
        return self

    def boundary_timer(self, id: str, attached_to: str, expression: str, interrupting: bool = True,
                       kind: str = "timeDate") -> "Process":
        self.elements.append(
            f'<bpmn:boundaryEvent id="{id}" attachedToRef="{attached_to}" cancelActivity="{str(interrupting).lower()}">'
            f'<bpmn:timerEventDefinition><bpmn:{kind}>{escape(expression)}</bpmn:{kind}></bpmn:timerEventDefinition>'
            f'</bpmn:boundaryEvent>'
        )
        return self

    def xor(self, id: str, default: str | None = None) -> "Process":
        attr = f' default="{default}"' if default else ""
        self.elements.append(f'<bpmn:exclusiveGateway id="{id}"{attr}/>')
        return self

    def flow(self, source: str, target: str, condition: str | None = None, id: str | None = None) -> "Process":
        self._n += 1
        self.flows.append((id or f"{self.id}_flow_{self._n}", source, target, condition))
        return self

    def chain(self, *ids: str) -> "Process":
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)
        return self

    def xml(self) -> bytes:
        parts = [HEAD]
        for name, ext in self.messages.items():
            parts.append(f'<bpmn:message id="{self.message_id(name)}" name={quoteattr(name)}>{ext}</bpmn:message>\n')
        parts.append(f'<bpmn:process id="{self.id}" isExecutable="true">\n')
        if self.lanes:
            parts.append('<bpmn:laneSet id="laneset">')
            for n, (name, refs) in enumerate(self.lanes.items()):
                parts.append(f'<bpmn:lane id="lane_{n}" name={quoteattr(name)}>')
                parts += [f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs]
                parts.append("</bpmn:lane>")
            parts.append("</bpmn:laneSet>\n")
        parts += [e + "\n" for e in self.elements]
        parts += [_flow_xml(f) + "\n" for f in self.flows]
        parts.append("</bpmn:process>\n</bpmn:definitions>\n")
        return "".join(parts).encode()


def _flow_xml(flow: tuple[str, str, str, str | None]) -> str:
    fid, src, tgt, cond = flow
    if cond:
        return (f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{tgt}">'
                f'<bpmn:conditionExpression>{escape(cond)}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{tgt}"/>'


def sequential(n: int = 10, process_id: str = "seq", lane: str = "official", hours: float | None = 8,
               form: str | None = None) -> Process:
    p = Process(process_id).start()
    ids = [f"task_{i}" for i in range(n)]
    for i, tid in enumerate(ids):
        p.user(tid, f"Step {i}", lane=lane, hours=hours, form=form)
    p.end()
    return p.chain("start", *ids, "end")


def metadata(code: str, agency: str = "000.00.12.H15", statutory_days: int = 5, **extra: object) -> str:
    lines = [
        f'code = "{code}"',
        f'name = "Thủ tục thử nghiệm {code}"',
        'field = "Thử nghiệm"',
        f'agency_id = "{agency}"',
        'level = "province"',
        f"statutory_days = {statutory_days}",
        'online_level = "partial"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def write_procedure(processes_dir: Path, code: str, process: Process | bytes, *, forms_dir: Path | None = None,
                    forms: dict[str, dict] | None = None, **meta: object) -> Path:
    folder = processes_dir / code
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "procedure.toml").write_text(metadata(code, **meta), encoding="utf-8")
    (folder / f"{code}.bpmn").write_bytes(process if isinstance(process, bytes) else process.xml())
    if forms:
        assert forms_dir is not None
        forms_dir.mkdir(parents=True, exist_ok=True)
        for name, schema in forms.items():
            (forms_dir / name).write_text(json.dumps(schema), encoding="utf-8")
    return folder


def publish_procedure(services: Any, code: str, process: Process | bytes, **kw: object) -> str:
    """Write procedure `code` into the test's processes/ (and forms/: `forms=`), load it and put it in
    effect now; `kw` as for write_procedure. A folder the loader refuses fails the test with its
    problems (not later, as a missing version). Returns the code."""
    write_procedure(services.settings.processes_dir, code, process, forms_dir=services.settings.forms_dir, **kw)
    [entry] = [e for e in services.procedures.sync() if e.folder == code]
    assert entry.outcome != "invalid", entry.problems
    services.procedures.publish(code)
    return code
