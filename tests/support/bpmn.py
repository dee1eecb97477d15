"""A tiny BPMN writer for tests and benches: procedures built in code, valid for SpiffWorkflow."""
from __future__ import annotations

import json
from pathlib import Path
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
             hours: float | None = None, days: int | None = None) -> "Process":
        props: dict[str, object] = {}
        if form:
            props["formJsonSchemaFilename"] = form
        if hours is not None:
            props["workingHours"] = hours
        if days is not None:
            props["workingDays"] = days
        self.elements.append(f'<bpmn:userTask id="{id}" name={quoteattr(name or id)}>{self._props(props)}</bpmn:userTask>')
        self._lane(lane, id)
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
        self.flows.append((id or f"flow_{self._n}", source, target, condition))
        return self

    def chain(self, *ids: str) -> "Process":
        for a, b in zip(ids, ids[1:]):
            self.flow(a, b)
        return self

    def xml(self) -> bytes:
        parts = [HEAD, f'<bpmn:process id="{self.id}" isExecutable="true">\n']
        if self.lanes:
            parts.append('<bpmn:laneSet id="laneset">')
            for n, (name, refs) in enumerate(self.lanes.items()):
                parts.append(f'<bpmn:lane id="lane_{n}" name={quoteattr(name)}>')
                parts += [f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs]
                parts.append("</bpmn:lane>")
            parts.append("</bpmn:laneSet>\n")
        parts += [e + "\n" for e in self.elements]
        for fid, src, tgt, cond in self.flows:
            if cond:
                parts.append(f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{tgt}">'
                             f'<bpmn:conditionExpression>{escape(cond)}</bpmn:conditionExpression></bpmn:sequenceFlow>\n')
            else:
                parts.append(f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{tgt}"/>\n')
        parts.append("</bpmn:process>\n</bpmn:definitions>\n")
        return "".join(parts).encode()


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
