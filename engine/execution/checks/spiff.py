"""SpiffWorkflow's parser, fed our lane map, and its exceptions turned into a modeler's sentence.

No SpiffWorkflow message reaches a modeler raw: a known one is rewritten, an unknown one that
carries Python internals (a repr, an exception name) becomes a plain sentence naming the element.
"""
from __future__ import annotations

import re
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from ..dmn import DecisionBpmnParser
from .lanes import lanes_by_node
from .model import NS, local
from .normalize import original_id
from .problems import Problem


class MotcuaBpmnParser(DecisionBpmnParser):
    """SpiffBpmnParser that reads lanes only from bpmn:laneSet (see lanes.py), without XSD checking,
    and DMN files with several decisions, run by DMN 1.3 (see execution/dmn).

    The schema is checked by checks/xml.py, which reports every error, not the first.
    """

    def __init__(self) -> None:
        super().__init__(validator=None)

    def _add_diagram_indexes(self, bpmn: Any) -> None:
        super()._add_diagram_indexes(bpmn)
        root = bpmn.getroot() if hasattr(bpmn, "getroot") else bpmn
        self.document_lanes[self._document_key(bpmn)] = lanes_by_node(root)

    # An embedded sub-process's tasks look their lane up in the map too, instead of inheriting
    # the sub-process's lane whatever lanes the sub-process itself draws.
    def create_parser(self, node: Any, filename: str | None = None, lane: str | None = None) -> None:
        super().create_parser(node, filename, None)

    def create_ad_hoc_parser(self, node: Any, filename: str | None = None, lane: str | None = None) -> None:
        super().create_ad_hoc_parser(node, filename, None)


_INTERNALS = re.compile(r"<[^>]* at 0x[0-9a-f]+>|\b\w+(Error|Exception)\(|\bobject has no attribute\b|"
                        r"\b(TypeError|AttributeError|NameError|KeyError|ValueError|IndexError|AssertionError)\b|Traceback")

# (pattern of SpiffWorkflow's message, sentence; {tag} is the element's BPMN type)
_REWRITES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Multiple outgoing flows are not supported"),
     "{tag} has several outgoing sequence flows, which the engine cannot run here: "
     "split with a parallel or exclusive gateway"),
    (re.compile(r"Unknown Time Specification"),
     "timer has no time: give it a date (timeDate), a duration (timeDuration) or a cycle (timeCycle)"),
    (re.compile(r"Non-default exclusive outgoing sequence flow without condition"),
     "this sequence flow leaves a gateway without a condition and is not the gateway's default flow: "
     "give it a condition or make it the default"),
    (re.compile(r"Exactly one start event is required in a SubWorkflow Task; found (\d+)"),
     "{tag} needs exactly one start event (it has {0})"),
    (re.compile(r"A SubWorkflow Must contain an End event"), "{tag} needs an end event"),
    (re.compile(r"No start event found"), "process has no start event"),
    (re.compile(r"A Service Task must have an operator"),
     "service task calls no service: the engine runs no external services; use a script task or a user task"),
    (re.compile(r"There is no support implemented for this task type"), "{tag} is not supported by the engine"),
    (re.compile(r"Cancel Events may only be used with transactions"),
     "a cancel event may only be attached to a transaction"),
    (re.compile(r"Conditional event definition with missing condition"), "conditional event has no condition"),
    (re.compile(r"Expected an? (\w+) node"), "{tag} refers to a {0} that is not defined in the file"),
    (re.compile(r"Cannot resolve data(Input|Output)Association"),
     "{tag} has a data association to something that is not a data object or data store in this process"),
    (re.compile(r'No "calledElement" attribute'), "call activity names no process to call (calledElement)"),
    (re.compile(r"Unsupported Catch Event"), "a boundary event needs a trigger (timer, message, error, escalation "
     "or signal)"),
    (re.compile(r"A loopMaximum or loopCondition must be specified"),
     "a loop needs a maximum number of loops (loopMaximum) or a loop condition (loopCondition)"),
    (re.compile(r"A multiinstance task must specify a cardinality or a (loop input data reference|collection)"),
     "a multi-instance activity needs a number of instances (loopCardinality) or a collection to go over "
     "(loopDataInputRef)"),
    (re.compile(r"A multiinstance task must specify exactly one of"),
     "a multi-instance activity needs a number of instances (loopCardinality) or a collection "
     "(loopDataInputRef), not both"),
    (re.compile(r"Duplicate process ID: (.+)"), "process id {0!s} is used twice (in this file or another of the procedure)"),
    (re.compile(r"Process (\S+) is not executable"), "process {0!s} is called but is not executable: "
     "set isExecutable=\"true\""),
]


def _find(trees: dict[str, etree._Element], file: str, xpath: str, **args: str) -> tuple[str, etree._Element | None]:
    """(file, element) for the first match, looking in `file` first."""
    for name in sorted(trees, key=lambda n: n != file):
        found = trees[name].xpath(xpath, namespaces=NS, **args)
        if found:
            return name, found[0]
    return file, None


def translate(err: Exception, file: str, trees: dict[str, etree._Element]) -> Problem:
    """A Problem a modeler can act on, from whatever SpiffWorkflow's parser raised in `file`."""
    file = getattr(err, "file_name", None) or file
    element_id = original_id(getattr(err, "id", None) or None)  # not an element the rewrite added
    text = str(err).strip().rstrip(".")
    missing = re.match(r"The process '(.*)' was not found", text)
    if missing:  # raised for a call activity, without naming it
        file, node = _find(trees, file, "//bpmn:callActivity[@calledElement=$called]", called=missing.group(1))
        element_id = node.get("id") if node is not None else None
        return Problem(file, element_id, f"call activity calls process {missing.group(1)!r}, which is in none of "
                       "the procedure's BPMN files", node.sourceline if node is not None else None)
    node = _find(trees, file, "//*[@id=$id]", id=element_id)[1] if element_id else None
    line = node.sourceline if node is not None else None
    tag = getattr(err, "tag", "") or (f"bpmn:{local(node)}" if node is not None else "element")
    tag = tag.replace("bpmn:", "")
    for pattern, sentence in _REWRITES:
        m = pattern.search(text)
        if m:
            return Problem(file, element_id, sentence.format(*m.groups(), tag=tag), line)
    if not isinstance(err, ValidationException) or _INTERNALS.search(text):
        text = f"the engine cannot read this {tag}: check its attributes and references against BPMN 2.0"
    return Problem(file, element_id, text, line)
