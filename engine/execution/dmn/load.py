"""Read DMN files (1.1-1.3, as Camunda Modeler saves them) into decision tables the engine runs.

Every decision of a file is read (a decision requirements diagram holds several), each addressable
by its id, with the ids of the decisions it requires. A decision comes out as a plain, JSON-ready
dict (stored with the procedure version):

    {"id", "name", "file", "hit_policy", "aggregation", "requires": [id, ...], "variable",
     "inputs":  [{"id", "label", "expr": operand}],
     "outputs": [{"id", "name", "label", "values": [literal, ...] | None, "default": operand | None}],
     "rules":   [{"id", "row", "when": [cell, ...], "then": [operand | None, ...]}]}

    operand = {"v": literal} | {"py": "python expression"}
    cell    = None (any input) | {"python": "cell text"} | {"not": bool, "tests": [test, ...]}
    test    = {"op": "==" | "!=" | "<" | "<=" | ">" | ">=", "a": operand}
            | {"op": "range", "lo": operand, "hi": operand, "lo_open": bool, "hi_open": bool}

Cells are FEEL, DMN's default language (DMN 1.3 §10.3.2.9 simple unary tests): ``-``, ``"a","b"``,
``< 10``, ``[1..5]``, ``]1..5[``, ``not("a")``, ``null``, a variable or a path; input and output
expressions use the FEEL subset of `expressions`. A file, decision or cell marked
``expressionLanguage="python"`` keeps SpiffWorkflow's Python cells. Anything else is a `Finding`.
"""
from __future__ import annotations

from typing import Any

from functools import lru_cache

from lxml import etree
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS

from ..camunda import Finding
from ..expressions import Unsupported, translate_value
from ..expressions.syntax import Lit, Prop, Var, parse
from ..expressions.translate import to_python

HIT_POLICIES = ("UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")
_PYTHON = {"python", "python3", "text/x-python"}
_JUEL = {"juel", "el"}
_FEEL_PREFIXES = ("http://www.omg.org/spec/feel", "https://www.omg.org/spec/feel",
                  "http://www.omg.org/spec/dmn", "https://www.omg.org/spec/dmn", "feel")
_CELL_HINT = ('write FEEL tests: -, "a","b", < 10, >= limit, [1..5], not("a"), null, a variable or a path')


def _language(el: etree._Element, inherited: str) -> str:
    value = (el.get("expressionLanguage") or "").strip().lower()
    if not value:
        return inherited
    if value in _PYTHON:
        return "python"
    if value in _JUEL:
        return "juel"
    if value.startswith(_FEEL_PREFIXES):
        return "feel"
    return value


def _split(text: str, sep: str) -> list[str]:
    """Split at `sep` outside double-quoted strings."""
    parts, current, quoted, i = [], [], False, 0
    while i < len(text):
        c = text[i]
        if c == "\\" and quoted and i + 1 < len(text):
            current.append(text[i:i + 2])
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        if not quoted and text.startswith(sep, i):
            parts.append("".join(current))
            current = []
            i += len(sep)
            continue
        current.append(c)
        i += 1
    parts.append("".join(current))
    return parts


def _endpoint(text: str) -> dict[str, Any]:
    """A value a cell compares with: a literal, a variable or a path (DMN 1.3 'endpoint')."""
    if "?" in text:
        raise Unsupported("tests with ? are not supported", _CELL_HINT)
    node = parse(text, "feel")
    if isinstance(node, Lit):
        return {"v": node.value}
    if isinstance(node, (Var, Prop)):
        return {"py": to_python(node, "feel")}
    raise Unsupported(f"{text.strip()!r} is not a value, a variable or a path", _CELL_HINT)


def _test(text: str) -> dict[str, Any]:
    t = text.strip()
    if not t:
        raise Unsupported("an empty test between commas", _CELL_HINT)
    for op in ("<=", ">=", "!=", "<", ">", "="):
        if t.startswith(op):
            return {"op": "==" if op == "=" else op, "a": _endpoint(t[len(op):])}
    if t[0] in "[(]":
        bounds = _split(t[1:-1], "..")
        if len(bounds) != 2 or t[-1] not in "])[":
            raise Unsupported(f"{t!r} is not a range like [1..5]", _CELL_HINT)
        return {"op": "range", "lo": _endpoint(bounds[0]), "hi": _endpoint(bounds[1]),
                "lo_open": t[0] in "(]", "hi_open": t[-1] in ")["}
    return {"op": "==", "a": _endpoint(t)}


def unary_tests(text: str | None) -> dict[str, Any] | None:
    """A FEEL input entry as a cell (None: matches anything). Raises Unsupported."""
    t = (text or "").strip()
    if t in ("", "-"):
        return None
    negate = False
    if t.startswith("not") and t[3:].lstrip().startswith("(") and t.endswith(")"):
        negate, t = True, t[3:].lstrip()[1:-1]
    return {"not": negate, "tests": [_test(p) for p in _split(t, ",")]}


def _expression(text: str | None, language: str) -> dict[str, Any] | None:
    """An input or output expression as an operand. Raises Unsupported."""
    t = (text or "").strip()
    if not t:
        return None
    if language == "python":
        return {"py": t}
    if t.startswith("${") and t.endswith("}") or language == "juel":
        if not (t.startswith("${") and t.endswith("}")):
            raise Unsupported("a JUEL expression is written ${...}")
        return {"py": translate_value(t[2:-1], "juel")}
    if language != "feel":
        raise Unsupported(f"expression language {language!r} is not supported", "write FEEL")
    node = parse(t, "feel")
    return {"v": node.value} if isinstance(node, Lit) else {"py": to_python(node, "feel")}


def _text(el: etree._Element | None, ns: dict[str, str]) -> str | None:
    if el is None:
        return None
    found = el.find("dmn:text", ns)
    return found.text if found is not None else None


class _Reader:
    def __init__(self, root: etree._Element, filename: str):
        self.ns = {"dmn": etree.QName(root).namespace}
        self.file = filename
        self.findings: list[Finding] = []
        self.file_language = _language(root, "feel")

    def refuse(self, el: etree._Element, message: str) -> None:
        self.findings.append(Finding(el.get("id"), message, el.sourceline))

    def decision(self, el: etree._Element) -> dict[str, Any] | None:
        did = el.get("id")
        requires = [(req.get("href") or "").split("#")[-1]
                    for req in el.iterfind("dmn:informationRequirement/dmn:requiredDecision", self.ns)]
        variable = el.find("dmn:variable", self.ns)
        table = el.find("dmn:decisionTable", self.ns)
        if table is None:
            kinds = sorted({etree.QName(c).localname for c in el if isinstance(c.tag, str)}
                           - {"description", "question", "allowedAnswers", "variable", "informationRequirement",
                              "knowledgeRequirement", "authorityRequirement", "extensionElements"})
            self.refuse(el, f"decision {did!r} is a {', '.join(kinds) or 'empty decision'}: only decision tables run")
            return None
        language = _language(el, self.file_language)
        language = _language(table, language)
        policy = (table.get("hitPolicy") or "UNIQUE").strip().upper()
        aggregation = (table.get("aggregation") or "").strip().upper() or None
        if policy not in HIT_POLICIES:
            self.refuse(table, f"hit policy {policy!r} is not a DMN 1.3 hit policy ({', '.join(HIT_POLICIES)})")
        if aggregation and aggregation not in AGGREGATIONS:
            self.refuse(table, f"aggregation {aggregation!r} is not one of {', '.join(AGGREGATIONS)}")
        if aggregation and policy != "COLLECT":
            self.refuse(table, f"aggregation {aggregation} only goes with hit policy COLLECT, not {policy}")
        inputs = [self.input(i, language) for i in table.iterfind("dmn:input", self.ns)]
        outputs = [self.output(o, language) for o in table.iterfind("dmn:output", self.ns)]
        if not outputs:
            self.refuse(table, f"decision {did!r} has no output")
        if aggregation and len(outputs) > 1:
            self.refuse(table, f"aggregation {aggregation} needs a table with one output, this one has {len(outputs)}")
        if policy in ("PRIORITY", "OUTPUT ORDER"):
            for out, oel in zip(outputs, table.iterfind("dmn:output", self.ns)):
                if out["values"] is None:
                    self.refuse(oel, f"hit policy {policy} orders results by the output values: list them on "
                                f"output {out['label'] or out['name'] or out['id']!r} (e.g. \"high\",\"low\")")
        rules = [self.rule(r, n, inputs, outputs, policy, language)
                 for n, r in enumerate(table.iterfind("dmn:rule", self.ns), start=1)]
        return {"id": did, "name": el.get("name") or did, "file": self.file, "hit_policy": policy,
                "aggregation": aggregation, "inputs": inputs, "outputs": outputs, "rules": rules,
                "requires": requires, "variable": variable.get("name") if variable is not None else el.get("name")}

    def input(self, el: etree._Element, language: str) -> dict[str, Any]:
        expr_el = el.find("dmn:inputExpression", self.ns)
        label = el.get("label") or ""
        expr = None
        try:
            lang = _language(expr_el, language) if expr_el is not None else language
            expr = _expression(_text(expr_el, self.ns), lang)
            if expr is None:
                raise Unsupported("the input has no expression", "write the variable it reads, e.g. amount")
        except Unsupported as err:
            self.refuse(el, f"input {label or el.get('id')!r}: {err}")
        return {"id": el.get("id"), "label": label, "expr": expr, "language": language}

    def output(self, el: etree._Element, language: str) -> dict[str, Any]:
        values = None
        values_text = _text(el.find("dmn:outputValues", self.ns), self.ns)
        name = el.get("name") or ""
        try:
            if values_text and values_text.strip():
                values = []
                for part in _split(values_text, ","):
                    node = parse(part, "feel")
                    if not isinstance(node, Lit):
                        raise Unsupported(f"output value {part.strip()!r} is not a literal")
                    values.append(node.value)
        except Unsupported as err:
            self.refuse(el, f"output values of {name or el.get('id')!r}: {err}")
        default = None
        default_el = el.find("dmn:defaultOutputEntry", self.ns)
        try:
            default = _expression(_text(default_el, self.ns), language)
        except Unsupported as err:
            self.refuse(default_el, f"default output of {name or el.get('id')!r}: {err}")
        return {"id": el.get("id"), "name": name, "label": el.get("label") or "", "values": values, "default": default}

    def rule(self, el: etree._Element, row: int, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]],
             policy: str, language: str) -> dict[str, Any]:
        entries = list(el.iterfind("dmn:inputEntry", self.ns))
        results = list(el.iterfind("dmn:outputEntry", self.ns))
        if len(entries) != len(inputs) or len(results) != len(outputs):
            self.refuse(el, f"rule {row} has {len(entries)} input and {len(results)} output entries; "
                        f"the table has {len(inputs)} inputs and {len(outputs)} outputs")
        when: list[dict[str, Any] | None] = []
        for entry, inp in zip(entries, inputs):
            text = _text(entry, self.ns)
            try:
                lang = _language(entry, inp["language"])
                if lang == "python":
                    when.append({"python": text} if (text or "").strip() not in ("", "-") else None)
                elif lang == "feel":
                    when.append(unary_tests(text))
                else:
                    raise Unsupported(f"expression language {lang!r} is not supported", _CELL_HINT)
            except Unsupported as err:
                when.append(None)
                self.refuse(entry, f"rule {row}, input {inp['label'] or inp['id']!r}: {text!r}: {err}")
        then: list[dict[str, Any] | None] = []
        for entry, out in zip(results, outputs):
            text = _text(entry, self.ns)
            value = None
            try:
                value = _expression(text, _language(entry, language))
            except Unsupported as err:
                self.refuse(entry, f"rule {row}, output {out['name'] or out['id']!r}: {text!r}: {err}")
            if policy in ("PRIORITY", "OUTPUT ORDER") and out["values"] is not None and (
                    value is None or "v" not in value or value["v"] not in out["values"]):
                self.refuse(entry, f"rule {row}, output {out['name'] or out['id']!r}: under hit policy {policy} "
                            f"an output must be one of its listed values ({text!r} is not)")
            then.append(value)
        return {"id": el.get("id"), "row": row, "when": when, "then": then}


@lru_cache(maxsize=None)
def _schema(namespace: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(SCHEMAS[namespace]))


def _schema_findings(root: etree._Element, namespace: str) -> list[Finding]:
    """Every schema error, located on the element of its line (SpiffWorkflow reports only the last)."""
    schema = _schema(namespace)
    if schema.validate(root):
        return []
    by_line: dict[int, str] = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("id") and el.sourceline not in by_line:
            by_line[el.sourceline] = el.get("id")
    return [Finding(by_line.get(e.line), "not valid DMN: " + e.message.replace(f"{{{namespace}}}", ""), e.line)
            for e in schema.error_log]


def load_decisions(root: etree._Element, filename: str, validate: bool = True) -> tuple[list[dict[str, Any]], list[Finding]]:
    """Every decision of a DMN file, and what must be refused in it (located)."""
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "definitions" or namespace not in SCHEMAS:
        return [], [Finding(None, f"not a DMN 1.1-1.3 file (root element {root.tag!r})", root.sourceline)]
    if validate:
        invalid = _schema_findings(root, namespace)
        if invalid:
            return [], invalid
    reader = _Reader(root, filename)
    decisions = [d for d in (reader.decision(el) for el in root.iterfind("dmn:decision", reader.ns)) if d]
    if not decisions and not reader.findings:
        reader.findings.append(Finding(None, "the file holds no decision", root.sourceline))
    return decisions, reader.findings
