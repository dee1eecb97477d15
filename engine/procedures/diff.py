"""What a procedure version changes against another (issue 12): elements added / removed / changed by
id (name, lane, timers, conditions, forms, working-time shares, scripts, calls), flows rewired,
forms' fields added / removed, metadata and decisions changed; as JSON and as a readable text.

Running dossiers that wait on an element the new version removes are listed: they could not be
moved onto it as they are (migration of running dossiers is not done yet, R-1.3).
"""
from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.execution.checks.human_tasks import DAYS_PROPERTY, FORM_PROPERTY, HOURS_PROPERTY
from engine.execution.checks.lanes import lanes_by_node
from engine.execution.checks.model import BPMN_NS, CAMUNDA_NS, FLOW_NODE_TAGS, NS, local
from engine.execution.checks.xml import read_xml
from engine.execution.dmn.load import load_decisions

from .library import FORMS_PREFIX
from .metadata import METADATA_FILE

_FLOW_NODES = {f"{{{BPMN_NS}}}{t}" for t in FLOW_NODE_TAGS}


@dataclass(frozen=True)
class ProcedureDiff:
    code: str
    old_version: int | None
    new_version: int
    elements_added: list[dict[str, Any]] = field(default_factory=list)  # {"id", "type", "name"}
    elements_removed: list[dict[str, Any]] = field(default_factory=list)
    elements_changed: list[dict[str, Any]] = field(default_factory=list)  # {"id", "changes": {what: [old, new]}}
    flows_added: list[dict[str, Any]] = field(default_factory=list)  # {"id", "from", "to", "condition"}
    flows_removed: list[dict[str, Any]] = field(default_factory=list)
    flows_changed: list[dict[str, Any]] = field(default_factory=list)  # {"id", "changes": {...}}
    forms: dict[str, dict[str, Any]] = field(default_factory=dict)  # form -> {"status", "fields_added", ...}
    metadata: dict[str, list[Any]] = field(default_factory=dict)  # key -> [old, new]
    decisions: dict[str, str] = field(default_factory=dict)  # decision id -> added / removed / changed
    running_on_removed: dict[str, list[str]] = field(default_factory=dict)  # element -> dossier codes

    @property
    def empty(self) -> bool:
        return not any((self.elements_added, self.elements_removed, self.elements_changed, self.flows_added,
                        self.flows_removed, self.flows_changed, self.forms, self.metadata, self.decisions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code, "from_version": self.old_version, "to_version": self.new_version,
            "elements": {"added": self.elements_added, "removed": self.elements_removed,
                         "changed": self.elements_changed},
            "flows": {"added": self.flows_added, "removed": self.flows_removed, "changed": self.flows_changed},
            "forms": self.forms, "metadata": {k: {"old": o, "new": n} for k, (o, n) in self.metadata.items()},
            "decisions": self.decisions, "running_dossiers_on_removed_elements": self.running_on_removed,
        }

    def text(self) -> str:
        old = f"version {self.old_version}" if self.old_version is not None else "nothing published"
        lines = [f"{self.code}: version {self.new_version} against {old}"]
        if self.empty:
            lines.append("  no change")
        for e in self.elements_added:
            lines.append(f"  + {e['type']} {e['id']} {_q(e['name'])}")
        for e in self.elements_removed:
            lines.append(f"  - {e['type']} {e['id']} {_q(e['name'])}")
        for e in self.elements_changed:
            for what, (o, n) in e["changes"].items():
                lines.append(f"  ~ {e['id']}: {what} {_show(o)} -> {_show(n)}")
        for f in self.flows_added:
            lines.append(f"  + flow {f['id']}: {f['from']} -> {f['to']}" + (f" if {f['condition']}" if f["condition"] else ""))
        for f in self.flows_removed:
            lines.append(f"  - flow {f['id']}: {f['from']} -> {f['to']}")
        for f in self.flows_changed:
            for what, (o, n) in f["changes"].items():
                lines.append(f"  ~ flow {f['id']}: {what} {_show(o)} -> {_show(n)}")
        for name, d in self.forms.items():
            if d["status"] != "changed":
                lines.append(f"  {'+' if d['status'] == 'added' else '-'} form {name}")
            else:
                lines.append(f"  ~ form {name}: fields added {d['fields_added'] or '-'}, removed {d['fields_removed'] or '-'}")
        for key, (o, n) in self.metadata.items():
            lines.append(f"  ~ procedure.toml {key}: {_show(o)} -> {_show(n)}")
        for decision, status in self.decisions.items():
            lines.append(f"  ~ decision {decision}: {status}")
        for element, dossiers in self.running_on_removed.items():
            lines.append(f"  ! {len(dossiers)} running dossier(s) wait on removed {element}: {', '.join(dossiers)}")
        return "\n".join(lines)


def _q(name: str | None) -> str:
    return f"({name!r})" if name else ""


def _show(value: Any) -> str:
    return "-" if value is None else json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)


def _trees(sources: dict[str, str], suffix: str) -> dict[str, etree._Element]:
    out = {}
    for name, text in sorted(sources.items()):
        if name.endswith(suffix):
            tree = read_xml(name, text.encode("utf-8"), [])
            if tree is not None:
                out[name] = tree
    return out


def _properties(el: etree._Element) -> dict[str, str]:
    props = {p.get("name", ""): p.get("value", "") for p in el.iterfind("bpmn:extensionElements//spiffworkflow:property", NS)}
    for p in el.iterfind("bpmn:extensionElements//camunda:property", NS):
        props.setdefault(p.get("name", ""), p.get("value", ""))
    return props


def _text(el: etree._Element | None) -> str | None:
    return (el.text or "").strip() or None if el is not None else None


def _element(el: etree._Element, lane: str | None) -> dict[str, Any]:
    props = _properties(el)
    timers = {}
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        found = el.find(f"bpmn:timerEventDefinition/bpmn:{tag}", NS)
        if found is not None:
            timers[tag] = _text(found)
    script = el.find("bpmn:script", NS)
    return {
        "type": local(el),
        "name": el.get("name"),
        "lane": lane,
        "timer": timers or None,
        "form": props.get(FORM_PROPERTY) or el.get(f"{{{CAMUNDA_NS}}}formKey"),
        "working_hours": props.get(HOURS_PROPERTY),
        "working_days": props.get(DAYS_PROPERTY),
        "script": _text(script),
        "calls": el.get("calledElement"),
        "decision": el.get(f"{{{CAMUNDA_NS}}}decisionRef") or props.get("calledDecisionId"),
        "attached_to": el.get("attachedToRef"),
    }


def _model(sources: dict[str, str]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(element id -> what the diff compares, flow id -> from / to / condition) over every BPMN file."""
    elements: dict[str, dict[str, Any]] = {}
    flows: dict[str, dict[str, Any]] = {}
    for tree in _trees(sources, ".bpmn").values():
        lanes = lanes_by_node(tree)
        for el in tree.iter():
            if not isinstance(el.tag, str) or not el.get("id"):
                continue
            if el.tag in _FLOW_NODES:
                elements.setdefault(el.get("id"), _element(el, lanes.get(el.get("id"))))
            elif el.tag == f"{{{BPMN_NS}}}sequenceFlow":
                flows.setdefault(el.get("id"), {"from": el.get("sourceRef"), "to": el.get("targetRef"),
                                                "condition": _text(el.find("bpmn:conditionExpression", NS)),
                                                "name": el.get("name")})
    return elements, flows


def _form_fields(schema: Any, prefix: str = "", depth: int = 0) -> set[str]:
    """Dotted paths of the fields a JSON Schema lists (properties, also under if/then/else/allOf…)."""
    found: set[str] = set()
    if not isinstance(schema, dict) or depth > 32:
        return found
    properties = schema.get("properties")
    for name, sub in (properties.items() if isinstance(properties, dict) else ()):
        found.add(prefix + name)
        found |= _form_fields(sub, f"{prefix}{name}.", depth + 1)
    for key in ("then", "else", "if"):
        found |= _form_fields(schema.get(key), prefix, depth + 1)
    for key in ("allOf", "anyOf", "oneOf"):
        parts = schema.get(key)
        for sub in (parts if isinstance(parts, list) else ()):
            found |= _form_fields(sub, prefix, depth + 1)
    return found


def _forms(old: dict[str, str], new: dict[str, str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    names = sorted({k for k in (*old, *new) if k.startswith(FORMS_PREFIX)})
    for key in names:
        name = key[len(FORMS_PREFIX):]
        if key not in old:
            out[name] = {"status": "added", "fields_added": sorted(_form_fields(_json(new[key]))), "fields_removed": []}
        elif key not in new:
            out[name] = {"status": "removed", "fields_added": [], "fields_removed": sorted(_form_fields(_json(old[key])))}
        elif _json(old[key]) != _json(new[key]):
            a, b = _form_fields(_json(old[key])), _form_fields(_json(new[key]))
            out[name] = {"status": "changed", "fields_added": sorted(b - a), "fields_removed": sorted(a - b)}
    return out


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _metadata(old: dict[str, str], new: dict[str, str]) -> dict[str, list[Any]]:
    def read(sources: dict[str, str]) -> dict[str, Any]:
        try:
            return tomllib.loads(sources.get(METADATA_FILE, ""))
        except tomllib.TOMLDecodeError:
            return {}
    a, b = read(old), read(new)
    return {k: [a.get(k), b.get(k)] for k in sorted({*a, *b}) if a.get(k) != b.get(k)}


def _decisions(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    def read(sources: dict[str, str]) -> dict[str, str]:
        out = {}
        for name, tree in _trees(sources, ".dmn").items():
            try:
                decisions, _ = load_decisions(tree, name, validate=False)
            except Exception:  # unreadable: the engine's checks report it
                continue
            for d in decisions:
                out[d["id"]] = json.dumps({k: v for k, v in d.items() if k != "file"}, sort_keys=True, default=str)
        return out
    a, b = read(old), read(new)
    out = {}
    for k in sorted({*a, *b}):
        if k not in a:
            out[k] = "added"
        elif k not in b:
            out[k] = "removed"
        elif a[k] != b[k]:
            out[k] = "changed"
    return out


def diff_sources(code: str, old_version: int | None, old: dict[str, str], new_version: int, new: dict[str, str],
                 waiting: dict[str, list[str]] | None = None) -> ProcedureDiff:
    """Compare two versions' sources (relative path -> text). `waiting`: element id -> running
    dossiers waiting there (any version); those on removed elements are reported."""
    old_elements, old_flows = _model(old)
    new_elements, new_flows = _model(new)
    added = [{"id": i, "type": e["type"], "name": e["name"]} for i, e in new_elements.items() if i not in old_elements]
    removed = [{"id": i, "type": e["type"], "name": e["name"]} for i, e in old_elements.items() if i not in new_elements]
    changed = []
    for i, e in new_elements.items():
        if i in old_elements:
            changes = {k: [old_elements[i][k], v] for k, v in e.items() if old_elements[i][k] != v}
            if changes:
                changed.append({"id": i, "changes": changes})
    flows_added = [{"id": i, **f} for i, f in new_flows.items() if i not in old_flows]
    flows_removed = [{"id": i, **f} for i, f in old_flows.items() if i not in new_flows]
    flows_changed = []
    for i, f in new_flows.items():
        if i in old_flows:
            changes = {k: [old_flows[i][k], v] for k, v in f.items() if old_flows[i][k] != v}
            if changes:
                flows_changed.append({"id": i, "changes": changes})
    gone = {e["id"] for e in removed}
    running = {element: codes for element, codes in (waiting or {}).items() if element in gone}
    return ProcedureDiff(code, old_version, new_version, added, removed, changed, flows_added, flows_removed,
                         flows_changed, _forms(old, new), _metadata(old, new), _decisions(old, new), running)
