"""Timer expressions and scripts, checked now rather than when a dossier reaches them.

The hook for the expression sandbox: whatever compiles expressions and scripts at run time is
called from here at check, so both agree (docs/bpmn-conventions.md, "Expressions").
"""
from __future__ import annotations

import ast

from lxml import etree

from ..sandbox import iso_timer_literal
from .model import BPMN_NS
from .problems import Problem

Timer = tuple[str, str, str]  # (element id, file, expression)


def check_expressions(tree: etree._Element, file: str, problems: list[Problem]) -> list[Timer]:
    """Syntax-check timer expressions and scripts; returns the timers found."""
    timers = []
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for el in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            event = el.getparent().getparent()
            text = (el.text or "").strip()
            if iso_timer_literal(tag, text) != (None, None):  # a bare ISO 8601 text: see checks/sandbox.py
                timers.append((event.get("id"), file, text))
                continue
            try:
                ast.parse(text, mode="eval")
            except SyntaxError as err:
                problems.append(Problem(file, event.get("id"), f"{tag} is not a valid expression ({err.msg}): {text!r}. "
                                        "Write a Python expression, e.g. deadline(working_hours=8) or \"PT2H\"", el.sourceline))
                continue
            timers.append((event.get("id"), file, text))
    for el in tree.iter(f"{{{BPMN_NS}}}script"):
        task = el.getparent()
        text = el.text or ""
        try:
            ast.parse(text, mode="exec")
        except SyntaxError as err:
            line = (el.sourceline or 0) + (err.lineno or 1) - 1 if el.sourceline else None
            problems.append(Problem(file, task.get("id"), f"script has a syntax error on its line {err.lineno}: {err.msg}", line))
    return timers
