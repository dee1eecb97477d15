"""Our decisions inside SpiffWorkflow: a parser that reads every decision of a DMN file, and the
converter that stores a business rule task with its decision (so restored specs run it too)."""
from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.task_spec import BusinessRuleTaskConverter, SpiffBpmnTaskConverter

from ..camunda import CAMUNDA_NS, ZEEBE_NS, Finding
from .engine import DecisionEngine
from .load import load_decisions

_KEY = "motcua_decision"


def _result_config(node: etree._Element) -> dict[str, Any]:
    """Where a business rule task puts its decision's result (engine.DecisionEngine.result)."""
    variable = node.get(f"{{{CAMUNDA_NS}}}resultVariable")
    if variable:
        return {"shape": node.get(f"{{{CAMUNDA_NS}}}mapDecisionResult") or "resultList", "variable": variable}
    zeebe = node.find(f".//{{{ZEEBE_NS}}}calledDecision")
    if zeebe is not None and zeebe.get("resultVariable"):
        return {"shape": "decisionResult", "variable": zeebe.get("resultVariable")}
    return {"shape": "merge"}


class DecisionBpmnParser(SpiffBpmnParser):
    """SpiffBpmnParser whose DMN files may hold several decisions, run by `DecisionEngine`."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.decisions: dict[str, dict[str, Any]] = {}
        self._refused: set[str] = set()  # decisions of files refused at check: reported there already
        self._bpmn_files: dict[Any, str] = {}

    def add_bpmn_xml(self, bpmn: etree._Element, filename: str | None = None) -> None:
        super().add_bpmn_xml(bpmn, filename)
        self._bpmn_files[bpmn] = filename or ""

    def add_dmn_tree(self, root: etree._Element, filename: str) -> list[Finding]:
        """Read every decision of a DMN file; returns what is refused (nothing is added then)."""
        decisions, findings = load_decisions(root, filename)
        for d in decisions:
            if d["id"] in self.decisions:
                findings.append(Finding(d["id"], f"decision id {d['id']!r} is also in {self.decisions[d['id']]['file']}",
                                        None))
        if findings:
            self._refused.update(el.get("id") for el in root.iter(f"{{{etree.QName(root).namespace}}}decision"))
        else:
            self.decisions.update((d["id"], d) for d in decisions)
        return findings

    def add_dmn_xml(self, node: etree._Element, filename: str | None = None) -> None:
        findings = self.add_dmn_tree(node, filename or "")
        if findings:
            f = findings[0]
            raise ValidationException(f.message, file_name=filename, id=f.element_id or "", line_number=f.line or "")

    def get_engine(self, decision_ref: str | None, node: etree._Element) -> DecisionEngine:
        file = self._bpmn_files.get(node.getroottree().getroot(), "")

        def refuse(message: str) -> ValidationException:
            return ValidationException(message, file_name=file, id=node.get("id", ""), line_number=node.sourceline)

        if not decision_ref:
            raise refuse("the business rule task calls no decision: set the called decision id "
                         "(Camunda: Decision reference; SpiffArena: calledDecisionId)")
        decision = self.decisions.get(decision_ref)
        if decision is None and decision_ref in self._refused:
            # its file's problems fail the check already; a second problem here would mislead
            return DecisionEngine({"id": decision_ref, "hit_policy": "UNIQUE", "aggregation": None,
                                   "inputs": [], "outputs": [], "rules": [], "file": ""})
        if decision is None:
            known = ", ".join(sorted(self.decisions)) or "none"
            raise refuse(f"calls decision {decision_ref!r}, which is in none of the DMN files (decisions: {known})")
        required = self._required(decision_ref, refuse)
        result = _result_config(node)
        outputs = decision["outputs"]
        if result["shape"] in ("singleEntry", "collectEntries") and len(outputs) > 1:
            raise refuse(f"mapDecisionResult={result['shape']} needs a decision with one output; "
                         f"{decision_ref!r} has {len(outputs)}")
        unnamed = [o["label"] or o["id"] for o in outputs if not o["name"]]
        needs_names = result["shape"] in ("merge", "singleResult", "resultList") or (
            result["shape"] == "decisionResult" and len(outputs) > 1)
        if unnamed and needs_names:
            raise refuse(f"decision {decision_ref!r} ({decision['file']}): output {unnamed[0]!r} has no name; "
                         "name it after the variable it sets")
        return DecisionEngine(decision, result, required)

    def _required(self, decision_ref: str, refuse: Any) -> list[dict[str, Any]]:
        """The decisions `decision_ref` requires, transitively, each after those it requires."""
        order: list[dict[str, Any]] = []
        visiting: list[str] = []

        def visit(did: str) -> None:
            if did in visiting:
                raise refuse(f"decision {did!r} requires itself through {' → '.join(visiting)}")
            if any(d["id"] == did for d in order):
                return
            decision = self.decisions.get(did)
            if decision is None and did in self._refused:
                return  # its file's problems fail the check already
            if decision is None:
                raise refuse(f"decision {visiting[-1]!r} requires decision {did!r}, which is in none of the DMN files")
            visiting.append(did)
            for req in decision.get("requires", []):
                visit(req)
            visiting.pop()
            if did != decision_ref:
                order.append(decision)

        visit(decision_ref)
        return order


class DecisionTaskConverter(BusinessRuleTaskConverter):
    """Stores our decision with the business rule task; SpiffWorkflow's own format still loads."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        if not isinstance(spec.dmnEngine, DecisionEngine):
            return super().to_dict(spec)
        dct = SpiffBpmnTaskConverter.to_dict(self, spec)
        dct[_KEY] = spec.dmnEngine.to_dict()
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        if _KEY not in dct:
            return super().from_dict(dct)
        dct["dmnEngine"] = DecisionEngine.from_dict(dct.pop(_KEY))
        return self.task_spec_from_dict(dct)
