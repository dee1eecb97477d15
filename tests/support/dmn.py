"""A tiny DMN 1.3 writer for tests: decision tables as Camunda Modeler saves them, and a BPMN process
that calls one decision from a business rule task, then waits in a user task `t` (to read the data)."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(decision_id: str, inputs: list[str], outputs: list[str], rules: list[tuple[list[str], list[str]]],
          hit_policy: str = "UNIQUE", aggregation: str | None = None, output_values: dict[str, str] | None = None,
          requires: str | None = None) -> str:
    """`inputs`: input expressions; `outputs`: output names; `rules`: (input entries, output entries)."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    parts = [f'<decision id="{decision_id}" name="{decision_id}">']
    if requires:
        parts.append(f'<informationRequirement id="req_{decision_id}"><requiredDecision href="#{requires}"/>'
                     "</informationRequirement>")
    parts.append(f'<decisionTable id="table_{decision_id}" hitPolicy="{hit_policy}"{agg}>')
    for n, expr in enumerate(inputs):
        parts.append(f'<input id="{decision_id}_in{n}" label={quoteattr(expr)}><inputExpression '
                     f'id="{decision_id}_ie{n}" typeRef="string"><text>{escape(expr)}</text></inputExpression></input>')
    for n, name in enumerate(outputs):
        values = (output_values or {}).get(name)
        inner = f'<outputValues id="{decision_id}_ov{n}"><text>{escape(values)}</text></outputValues>' if values else ""
        parts.append(f'<output id="{decision_id}_out{n}" name="{name}" typeRef="string">{inner}</output>')
    for r, (when, then) in enumerate(rules, start=1):
        parts.append(f'<rule id="{decision_id}_r{r}">')
        parts += [f'<inputEntry id="{decision_id}_r{r}_i{n}"><text>{escape(t)}</text></inputEntry>' for n, t in enumerate(when)]
        parts += [f'<outputEntry id="{decision_id}_r{r}_o{n}"><text>{escape(t)}</text></outputEntry>' for n, t in enumerate(then)]
        parts.append("</rule>")
    parts.append("</decisionTable></decision>")
    return "\n".join(parts)  # an element per line, as a modeler writes them: problems have lines


def definitions(*decisions: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<definitions xmlns="{DMN_NS}" '
            'xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="drd" name="DRD" '
            'namespace="http://camunda.org/schema/1.0/dmn" exporter="Camunda Modeler" exporterVersion="5.17.0">'
            + "\n".join(decisions) + "</definitions>").encode()


def rule_process(decision_id: str, task_attrs: str = "", process_id: str = "rules") -> bytes:
    """start → business rule task `decide` (Camunda decisionRef) → user task `t` → end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{process_id}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="decide" name="Quyết định" camunda:decisionRef="{decision_id}" {task_attrs}/>
    <bpmn:userTask id="t" name="Xem kết quả"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="t"/>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
""".encode()
