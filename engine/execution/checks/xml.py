"""Read a BPMN file: well-formed XML, a BPMN 2.0 root, and the BPMN 2.0 XSD (with Spiff's extensions).

Schema errors in the diagram layout (BPMNDI, DC, DI elements) are warnings: the engine ignores
layout. Every other schema error is reported, all of them, located by line and element id.
"""
from __future__ import annotations

import copy
import re

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .model import BPMN_NS, LAYOUT_NAMESPACES, NS, line_element_id
from .problems import Problem, warning

_PARSER_OPTIONS = dict(resolve_entities=False, no_network=True, huge_tree=False)
_MAX_SCHEMA_PROBLEMS = 20
# lxml schema messages name elements as "{namespace}local"; a modeler reads "bpmn:local".
_QNAME = re.compile(r"\{([^}]*)\}(\w+)")
_PREFIXES = {BPMN_NS: "bpmn", **{ns: p for p, ns in NS.items()}, LAYOUT_NAMESPACES[1]: "dc", LAYOUT_NAMESPACES[2]: "di"}


def read_xml(name: str, content: bytes, problems: list[Problem]) -> etree._Element | None:
    try:
        return etree.fromstring(content, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as err:
        problems.append(Problem(name, None, f"not well-formed XML: {err.msg}", err.lineno))
        return None


def read_bpmn(name: str, content: bytes, problems: list[Problem]) -> etree._Element | None:
    """The parsed tree, or None (with a problem) when the file is not well-formed BPMN 2.0."""
    tree = read_xml(name, content, problems)
    if tree is None:
        return None
    if tree.tag != f"{{{BPMN_NS}}}definitions":
        problems.append(Problem(name, None, f"not a BPMN 2.0 file (root element {_readable(str(tree.tag))!r}: "
                                "expected bpmn:definitions)", tree.sourceline))
        return None
    check_schema(name, tree, problems)
    return tree


def _readable(message: str) -> str:
    return _QNAME.sub(lambda m: f"{_PREFIXES[m.group(1)]}:{m.group(2)}" if m.group(1) in _PREFIXES else m.group(2), message)


def _in_layout(tree: etree._Element, line: int) -> bool:
    for el in tree.iter():
        if not isinstance(el.tag, str) or not el.sourceline or el.sourceline < line:
            continue
        if el.sourceline > line:
            return False
        node = el
        while node is not None:
            if etree.QName(node).namespace in LAYOUT_NAMESPACES:
                return True
            node = node.getparent()
        return False
    return False


def check_schema(name: str, tree: etree._Element, problems: list[Problem]) -> None:
    """XSD validation; every error reported (up to a bound), layout errors as warnings."""
    doc = copy.deepcopy(tree)
    VALIDATOR.preprocess(doc)  # the bpmn.io correlation-expression quirk SpiffWorkflow accepts
    schema = VALIDATOR.validator
    if schema.validate(doc):
        return
    found = 0
    for entry in schema.error_log:
        message = _readable(entry.message)
        layout = _in_layout(tree, entry.line) or any(ns in entry.message for ns in LAYOUT_NAMESPACES)
        if layout:
            problems.append(warning(name, line_element_id(tree, entry.line),
                                    f"diagram layout does not follow the BPMN schema ({message}); "
                                    "the engine ignores layout", entry.line))
            continue
        found += 1
        if found > _MAX_SCHEMA_PROBLEMS:
            problems.append(Problem(name, None, "more schema errors follow; fix these first"))
            break
        problems.append(Problem(name, line_element_id(tree, entry.line),
                                f"does not follow the BPMN 2.0 schema: {message}", entry.line))
