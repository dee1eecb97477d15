"""JUEL / FEEL expression trees → Python expressions the script engine evaluates.

The Python is plain: names of data variables, literals, ``and``/``or``/``not`` and calls of the
functions in `runtime.FUNCTIONS` (no attribute access, no dunder, no import), so it passes a
restricted compiler. Example: ``${decision == 'accept' && !empty opinion}`` →
``(juel_eq(decision, 'accept') and (not juel_empty(opinion)))``.
"""
from __future__ import annotations

import keyword
import math
from typing import Any

from .runtime import FUNCTIONS
from .syntax import Compare, Dialect, Empty, Lit, Logic, Node, Not, Prop, Unsupported, Var, parse

_OP_NAMES = {"==": "eq", "!=": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge"}
_BOOLEAN_NODES = (Compare, Not, Empty, Logic)


def _literal(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise Unsupported(f"the number {value} is too large")
    return repr(value)


def _name(name: str) -> str:
    if keyword.iskeyword(name) or name.startswith("_") or name in FUNCTIONS:
        raise Unsupported(f"the variable name {name!r} cannot be used in the engine",
                          "rename the variable (names starting with '_' and Python keywords are reserved)")
    return name


def _juel(node: Node) -> str:
    if isinstance(node, Lit):
        return _literal(node.value)
    if isinstance(node, Var):
        return _name(node.name)
    if isinstance(node, Prop):
        return f"juel_get({_juel(node.base)}, {node.key!r})"
    if isinstance(node, Not):
        return f"(not {_juel_bool(node.operand)})"
    if isinstance(node, Empty):
        return f"juel_empty({_juel(node.operand)})"
    if isinstance(node, Compare):
        return f"juel_{_OP_NAMES[node.op]}({_juel(node.left)}, {_juel(node.right)})"
    if isinstance(node, Logic):
        # Python's and/or short-circuit like JUEL's; both sides are already booleans
        return f"({_juel_bool(node.left)} {node.op} {_juel_bool(node.right)})"
    raise AssertionError(node)


def _juel_bool(node: Node) -> str:
    if isinstance(node, _BOOLEAN_NODES) or (isinstance(node, Lit) and isinstance(node.value, bool)):
        return _juel(node)
    return f"juel_bool({_juel(node)})"


def _feel(node: Node) -> str:
    if isinstance(node, Lit):
        return _literal(node.value)
    if isinstance(node, Var):
        return _name(node.name)
    if isinstance(node, Prop):
        return f"feel_get({_feel(node.base)}, {node.key!r})"
    if isinstance(node, Not):
        return f"feel_not({_feel(node.operand)})"
    if isinstance(node, Compare):
        return f"feel_{_OP_NAMES[node.op]}({_feel(node.left)}, {_feel(node.right)})"
    if isinstance(node, Logic):
        return f"feel_{node.op}({_feel(node.left)}, {_feel(node.right)})"
    raise AssertionError(node)


def to_python(node: Node, dialect: Dialect) -> str:
    return _juel(node) if dialect == "juel" else _feel(node)


def translate_value(text: str, dialect: Dialect) -> str:
    """A value expression (a DMN input or output) as Python. Raises Unsupported."""
    return to_python(parse(text, dialect), dialect)


def translate_condition(text: str, dialect: Dialect) -> str:
    """A condition body (without ``${ }`` or ``=``) as a Python expression that yields True or False
    or raises (a non-boolean result is an error, as in Camunda). Raises Unsupported."""
    node = parse(text, dialect)
    if dialect == "juel":
        if isinstance(node, _BOOLEAN_NODES) or (isinstance(node, Lit) and isinstance(node.value, bool)):
            return _juel(node)
        return f"juel_condition({_juel(node)})"
    return f"feel_condition({_feel(node)})"
