"""Camunda Modeler files (Camunda 7 and 8 / Zeebe) made runnable before SpiffWorkflow parses them.

One pass over a BPMN file's XML tree, in place, before the parser sees it:
- conditions written as JUEL ``${...}`` or FEEL ``=...`` are translated into Python expressions
  (``expressions.translate``); other languages (``language="javascript"``...), deferred ``#{...}``
  and text mixing several ``${}`` are refused; Python conditions are syntax-checked;
- ``camunda:decisionRef`` / ``zeebe:calledDecision`` become SpiffWorkflow's ``calledDecisionId``;
- what would be silently ignored is refused: named assignees and candidate users (tasks go to roles),
  listeners, input/output mappings, generated forms, call-activity variable mappings, business rule
  tasks not calling a DMN decision.

Candidate groups themselves are read with the user task (`checks.human_tasks`), checked and routed
by `engine.domain.roles.parse_route`. docs/bpmn-conventions.md §7 lists what runs and what is refused.
"""
from __future__ import annotations

import ast
from typing import NamedTuple

from lxml import etree

from .expressions import Unsupported, translate_condition, translate_value

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

MAP_DECISION_RESULTS = ("singleEntry", "singleResult", "collectEntries", "resultList")
_PYTHON = {"python", "python3", "text/x-python"}
_FEEL = {"feel", "http://www.omg.org/spec/feel/20140401", "https://www.omg.org/spec/dmn/20191111/feel/",
         "https://www.omg.org/spec/feel/20140401"}
_JUEL = {"juel", "el", "uel"}
# variables Camunda's engine itself provides (multi-instance counters, the execution): none here
_CAMUNDA_VARIABLES = {"nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances", "loopCounter",
                      "execution", "task", "authenticatedUserId"}
CONDITION_HINT = "write a Python expression, a Camunda 7 expression ${...} or a Camunda 8 expression =..."


class Finding(NamedTuple):
    element_id: str | None
    message: str
    line: int | None


def _b(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _z(name: str) -> str:
    return f"{{{ZEEBE_NS}}}{name}"


def _owner(el: etree._Element) -> etree._Element:
    """The nearest ancestor with an id (the flow or event a condition belongs to)."""
    node = el.getparent()
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node if node is not None else el


def _condition(el: etree._Element, findings: list[Finding]) -> None:
    owner = _owner(el)
    where = owner.get("id")
    text = (el.text or "").strip()
    language = (el.get("language") or "").strip().lower()
    if el.get(_c("resource")):
        findings.append(Finding(where, f"the condition runs an external script ({el.get(_c('resource'))!r}), "
                                "which the engine does not run; " + CONDITION_HINT, el.sourceline))
        return
    if not text:
        return
    if language and language not in _PYTHON | _FEEL | _JUEL:
        findings.append(Finding(where, f"the condition is a {el.get('language')} script, which the engine does not "
                                f"run; {CONDITION_HINT}, e.g. ${{decision == 'accept'}}", el.sourceline))
        return
    try:
        if text.startswith("#{"):
            raise Unsupported("deferred expressions #{...} are not supported", "write ${...}")
        if text.count("${") + text.count("#{") > 1:
            raise Unsupported("the condition holds several expressions", "write one expression ${...}")
        if text.startswith("${") and text.endswith("}"):
            python = translate_condition(text[2:-1], "juel")
        elif language in _JUEL:
            raise Unsupported("a JUEL condition is written ${...}")
        elif "${" in text or "#{" in text:
            raise Unsupported("the condition mixes text and ${...}", "write one expression ${...}")
        elif text.startswith("="):
            python = translate_condition(text[1:], "feel")
        elif language in _FEEL:
            python = translate_condition(text, "feel")
        else:
            try:
                ast.parse(text, mode="eval")
            except SyntaxError as err:
                findings.append(Finding(where, f"condition {text!r} is not a valid expression ({err.msg}): "
                                        f"{CONDITION_HINT}", el.sourceline))
            return
    except Unsupported as err:
        findings.append(Finding(where, f"condition {text!r} cannot run: {err}", el.sourceline))
        return
    engine_names = sorted({n.id for n in ast.walk(ast.parse(python, mode="eval")) if isinstance(n, ast.Name)}
                          & _CAMUNDA_VARIABLES)
    if engine_names:
        findings.append(Finding(where, f"condition {text!r} reads {', '.join(engine_names)}, which Camunda's engine "
                                "provides and this one does not: test a variable that the tasks set (e.g. a "
                                "decision field of the form)", el.sourceline))
        return
    # the original stays as a comment: incidents quote the expression, the analyst knows this one
    el.text = f"{python}  # {' '.join(text.split())}"
    el.attrib.pop("language", None)


def _cardinality(el: etree._Element, findings: list[Finding]) -> None:
    """A multi-instance loopCardinality is a value (how many instances): Python, ${...} or =...,
    translated like a condition (it ran untranslated, so JUEL/FEEL failed at run time)."""
    text = (el.text or "").strip()
    if not text:
        return
    try:
        if text.startswith("${") and text.endswith("}"):
            python = translate_value(text[2:-1], "juel")
        elif text.startswith("="):
            python = translate_value(text[1:], "feel")
        else:
            try:
                ast.parse(text, mode="eval")
            except SyntaxError as err:
                findings.append(Finding(_owner(el).get("id"), f"loop cardinality {text!r} is not a valid expression "
                                        f"({err.msg}): write a number or a variable, e.g. 3 or ${{count}}",
                                        el.sourceline))
            return
    except Unsupported as err:
        findings.append(Finding(_owner(el).get("id"), f"loop cardinality {text!r} cannot run: {err}", el.sourceline))
        return
    el.text = f"{python}  # {' '.join(text.split())}"


def _refuse(el: etree._Element, message: str, findings: list[Finding]) -> None:
    """Refuse `el`, located by its own id or its owner's (an extension element has none)."""
    findings.append(Finding(el.get("id") or _owner(el).get("id"), message, el.sourceline))


_ASSIGNMENT_HINT = ("tasks go to a role, not to named people: set camunda:candidateGroups to one role code "
                    "(e.g. official) or put the task in a lane; agency heads assign tasks to officials (R-4.1)")
_UNSUPPORTED_EXTENSIONS = {
    _c("executionListener"): "execution listeners are not run: put the logic in a script task",
    _c("taskListener"): "task listeners are not run: put the logic in a script task",
    _c("inputOutput"): "input/output mappings are not run: map the data in a script task",
    _c("formData"): "generated forms (form fields) are not supported: describe the form as a JSON Schema "
                    "file in forms/ and set the form key to its name",
    _c("in"): "call-activity variable mappings are not run: a called process shares all the dossier's data",
    _c("out"): "call-activity variable mappings are not run: a called process shares all the dossier's data",
    _z("ioMapping"): "input/output mappings are not run: map the data in a script task",
    _z("formDefinition"): "Camunda 8 forms are not supported: describe the form as a JSON Schema file in forms/ "
                          "and set the form key (camunda:formKey) or the formJsonSchemaFilename property to its name",
    _z("executionListeners"): "execution listeners are not run: put the logic in a script task",
    _z("taskListeners"): "task listeners are not run: put the logic in a script task",
}


def _user_task(task: etree._Element, findings: list[Finding]) -> None:
    for attr in ("assignee", "candidateUsers"):
        if task.get(_c(attr)):
            _refuse(task, f"camunda:{attr}={task.get(_c(attr))!r} is not supported: {_ASSIGNMENT_HINT}", findings)
    zeebe = task.find(f"{_b('extensionElements')}/{_z('assignmentDefinition')}")
    if zeebe is not None:
        for attr in ("assignee", "candidateUsers"):
            if zeebe.get(attr):
                _refuse(task, f"zeebe {attr}={zeebe.get(attr)!r} is not supported: {_ASSIGNMENT_HINT}", findings)


def candidate_groups(task: etree._Element) -> str | None:
    """The task's candidate groups (Camunda 7 attribute or Zeebe assignment), None when absent."""
    value = task.get(_c("candidateGroups"))
    if value is None:
        zeebe = task.find(f"{_b('extensionElements')}/{_z('assignmentDefinition')}")
        if zeebe is not None:
            value = zeebe.get("candidateGroups")
    return value.strip() if value and value.strip() else None


def _business_rule_task(task: etree._Element, findings: list[Finding]) -> None:
    for attr in ("class", "delegateExpression", "expression", "type"):
        if task.get(_c(attr)):
            _refuse(task, f"camunda:{attr} on a business rule task is not run: only DMN decisions are "
                    "(set the called decision, camunda:decisionRef)", findings)
    mapping = task.get(_c("mapDecisionResult"))
    if mapping is not None and mapping not in MAP_DECISION_RESULTS:
        _refuse(task, f"camunda:mapDecisionResult={mapping!r} is not one of {', '.join(MAP_DECISION_RESULTS)}", findings)
    if mapping is not None and not task.get(_c("resultVariable")):
        _refuse(task, "camunda:mapDecisionResult needs camunda:resultVariable", findings)
    extensions = task.find(_b("extensionElements"))
    spiff = extensions.find(f"{{{SPIFF_NS}}}calledDecisionId") if extensions is not None else None
    if spiff is not None:
        return
    ref = task.get(_c("decisionRef"))
    zeebe = extensions.find(_z("calledDecision")) if extensions is not None else None
    if ref is None and zeebe is not None:
        ref = zeebe.get("decisionId")
    if not ref:
        return
    if ref.startswith(("${", "#{", "=")):
        _refuse(task, f"the called decision {ref!r} is an expression: name the decision's id", findings)
        return
    if extensions is None:
        extensions = etree.Element(_b("extensionElements"))
        task.insert(0, extensions)
    called = etree.SubElement(extensions, f"{{{SPIFF_NS}}}calledDecisionId")
    called.text = ref


_IMPLEMENTATIONS = ("class", "delegateExpression", "expression", "type")


def _script_task(task: etree._Element, findings: list[Finding]) -> None:
    language = (task.get("scriptFormat") or "").strip().lower()
    if language and language not in _PYTHON:
        _refuse(task, f"the script is {task.get('scriptFormat')}, which the engine does not run: scripts are "
                "Python (set the script format to python, or leave it empty)", findings)
    if task.get(_c("resource")):
        _refuse(task, f"the script is an external resource ({task.get(_c('resource'))!r}), which the engine does not "
                "read: write the script inline", findings)


def _send_task(el: etree._Element, findings: list[Finding]) -> None:
    """A send task or a message throw event implemented by Java, an expression or an external worker."""
    owner = el if el.get("id") else _owner(el)
    for attr in _IMPLEMENTATIONS:
        if el.get(_c(attr)):
            _refuse(owner, f"camunda:{attr} on {etree.QName(owner).localname} {owner.get('id')!r} is not run: the engine calls no Java "
                    "classes, expressions or external workers; use a script task or a message", findings)


def _form(task: etree._Element, findings: list[Finding]) -> None:
    key = task.get(_c("formKey")) or ""
    if task.get(_c("formRef")) or key.startswith(("camunda-forms:", "app:", "deployment:")):
        _refuse(task, "Camunda Forms are not supported: describe the form as a JSON Schema file in forms/ and set "
                "the form key to its name (e.g. appraisal.json)", findings)


def _variable(expression: str | None) -> str | None:
    """``agencies``, ``${agencies}`` or ``=agencies``: the data variable's name, else None."""
    text = (expression or "").strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    elif text.startswith("="):
        text = text[1:].strip()
    return text if text.isidentifier() and not text.startswith("_") else None


def _multi_instance(loop: etree._Element, findings: list[Finding]) -> None:
    """Camunda 7 ``camunda:collection``/``elementVariable`` and Camunda 8 ``zeebe:loopCharacteristics``
    become BPMN's loopDataInputRef / inputDataItem (and output), which the engine runs (§11)."""
    task = loop.getparent()
    zeebe = loop.find(f"{_b('extensionElements')}/{_z('loopCharacteristics')}")
    if zeebe is not None:
        spec = {"in": zeebe.get("inputCollection"), "item": zeebe.get("inputElement"),
                "out": zeebe.get("outputCollection"), "out_item": zeebe.get("outputElement")}
    elif loop.get(_c("collection")) is not None:
        spec = {"in": loop.get(_c("collection")), "item": loop.get(_c("elementVariable")), "out": None, "out_item": None}
    else:
        return
    if loop.find(_b("loopDataInputRef")) is not None:
        return
    names = {k: _variable(v) for k, v in spec.items() if v}
    bad = [spec[k] for k in spec if spec[k] and names.get(k) is None]
    if bad or "in" not in names:
        _refuse(task, f"the multi-instance collection must name a data variable (e.g. agencies or ${{agencies}}); "
                f"{', '.join(repr(b) for b in bad) or 'no collection'} cannot be run", findings)
        return
    if spec["out"] and not names.get("out_item"):
        _refuse(task, "an output collection needs an output element naming a variable", findings)
        return
    # BPMN order: loopCardinality?, loopDataInputRef, loopDataOutputRef, inputDataItem, outputDataItem
    anchor = loop.find(_b("extensionElements"))
    position = 0 if anchor is None else list(loop).index(anchor) + 1
    cardinality = loop.find(_b("loopCardinality"))
    if cardinality is not None:
        position = list(loop).index(cardinality) + 1
    added = [("loopDataInputRef", names["in"], None)]
    if names.get("out"):
        added.append(("loopDataOutputRef", names["out"], None))
    added.append(("inputDataItem", None, names.get("item") or "item"))
    if names.get("out_item"):
        added.append(("outputDataItem", None, names["out_item"]))
    for offset, (tag, text, name) in enumerate(added):
        el = etree.Element(_b(tag))
        if text:
            el.text = text
        if name:
            el.set("id", name)  # SpiffWorkflow names the item variable by the id
            el.set("name", name)
        loop.insert(position + offset, el)


def prepare_vendor_extensions(tree: etree._Element) -> list[Finding]:
    """Translate Camunda conditions and decision references in place; return what must be refused."""
    findings: list[Finding] = []
    for tag in ("conditionExpression", "condition", "completionCondition", "loopCondition"):
        for el in list(tree.iter(_b(tag))):
            _condition(el, findings)
    for el in list(tree.iter(_b("loopCardinality"))):
        _cardinality(el, findings)
    for tag in ("userTask", "manualTask", "task"):
        for task in tree.iter(_b(tag)):
            _user_task(task, findings)
    for task in list(tree.iter(_b("businessRuleTask"))):
        _business_rule_task(task, findings)
    for task in tree.iter(_b("scriptTask")):
        _script_task(task, findings)
    for tag in ("sendTask", "messageEventDefinition"):
        for el in tree.iter(_b(tag)):
            _send_task(el, findings)
    for task in tree.iter(_b("userTask")):
        _form(task, findings)
    for loop in list(tree.iter(_b("multiInstanceLoopCharacteristics"))):
        _multi_instance(loop, findings)
    for tag, message in _UNSUPPORTED_EXTENSIONS.items():
        for el in tree.iter(tag):
            _refuse(el, message, findings)
    return findings
