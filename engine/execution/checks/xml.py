"""Read a BPMN file: well-formed XML, a BPMN 2.0 root, and the BPMN 2.0 XSD (with Spiff's extensions).

Schema errors in the diagram layout (BPMNDI, DC, DI elements) are warnings: the engine ignores
layout. Every other schema error is reported, all of them, located by line and element id.
"""
from __future__ import annotations

import copy
import re

from lxml import etree
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from .model import BPMN_NS, DOCUMENTATION_TAGS, LAYOUT_NAMESPACES, NS, line_element_id
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


def _at(doc: etree._Element, path: str | None) -> etree._Element | None:
    """The element a schema error is about (its XPath uses the document's own prefixes)."""
    if not path:
        return None
    prefixes = {k: v for k, v in doc.nsmap.items() if k}
    try:
        found = doc.getroottree().xpath(path, namespaces=prefixes)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _ignored_part(el: etree._Element) -> str | None:
    """'layout' or 'documentation' when `el` is in a part of the file the engine ignores."""
    node = el
    while node is not None:
        qname = etree.QName(node)
        if qname.namespace in LAYOUT_NAMESPACES:
            return "layout"
        if qname.namespace == BPMN_NS and qname.localname in DOCUMENTATION_TAGS:
            return "documentation"
        node = node.getparent()
    return None


def _nearest_id(el: etree._Element) -> str | None:
    node = el
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node.get("id") if node is not None else None


def check_schema(name: str, tree: etree._Element, problems: list[Problem]) -> None:
    """XSD validation; every error reported (up to a bound), layout and documentation errors as warnings."""
    doc = copy.deepcopy(tree)
    VALIDATOR.preprocess(doc)  # the bpmn.io correlation-expression quirk SpiffWorkflow accepts
    schema = VALIDATOR.validator
    if schema.validate(doc):
        return
    found = 0
    for entry in schema.error_log:
        message = _readable(entry.message)
        el = _at(doc, entry.path)
        part = _ignored_part(el) if el is not None else None
        if part is None and any(ns in entry.message for ns in LAYOUT_NAMESPACES):
            part = "layout"
        element_id = (_nearest_id(el) if el is not None else None) or line_element_id(tree, entry.line)
        if part == "layout":
            problems.append(warning(name, element_id, f"diagram layout does not follow the BPMN schema ({message}); "
                                    "the engine ignores layout", entry.line))
            continue
        if part == "documentation":
            problems.append(warning(name, element_id, f"does not follow the BPMN schema ({message}); the engine "
                                    "reads this element as documentation only", entry.line))
            continue
        found += 1
        if found > _MAX_SCHEMA_PROBLEMS:
            problems.append(Problem(name, element_id, "more schema errors follow from here; fix these first",
                                    entry.line))
            break
        problems.append(Problem(name, element_id, f"does not follow the BPMN 2.0 schema: {message}", entry.line))
