"""Run-time semantics of translated JUEL and FEEL, where Python's operators differ.

Translated conditions call these by name (they are in every script environment's globals, see
`FUNCTIONS`), e.g. ``${amount ge '1000'}`` becomes ``juel_ge(amount, '1000')``.

JUEL, as the Unified EL 2.2 specification (JSR 245, §1.8-1.10, §1.18) says:
- ``==`` / ``!=``: both null → equal; one null → not equal; a number and anything else compare as
  numbers (``1 == '1'`` is true, ``1 == 'x'`` is an error); a boolean and anything else compare as
  booleans (``'true' == true``); otherwise as strings, or by equality of the values.
- ``<`` ``>`` ``<=`` ``>=``: equal values satisfy ``<=``/``>=``; a null side makes them false;
  numbers coerce as for ``==`` (``5 < '10'`` is true); two strings compare lexically.
- ``&&`` ``||`` ``!`` coerce to boolean: null and ``''`` are false, a string is true only when it
  is ``'true'`` (any case); a number is an error.
- ``a.b`` is null when ``a`` is null or has no key ``b``; ``empty a`` is true for null, ``''``, an
  empty list or an empty map.

FEEL, as DMN 1.3 (§10.3.2.2, §10.3.2.5, §10.3.4) says: values of different kinds never compare
(the result is null), ``=`` with null is true only for null; ``and``/``or`` are three-valued; a path
into a list maps over the list. A condition (either dialect) must end as true or false: anything
else (null included) is an error, which the engine records as an incident on the gateway.
"""
from __future__ import annotations

import re
from typing import Any, Callable

_LONG = re.compile(r"[+-]?\d+")


class ExpressionError(TypeError):
    """A value that the expression language cannot use as the expression asks (an incident)."""


def is_number(v: Any) -> bool:
    """A JSON number: int or float, never a boolean (bool is an int in Python)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _kind(v: Any) -> str:
    return {bool: "a boolean", str: "a string", int: "a number", float: "a number", dict: "a map",
            list: "a list", type(None): "null"}.get(type(v), type(v).__name__)


# --------------------------------------------------------------------------- JUEL

def _juel_number(v: Any, as_float: bool) -> int | float:
    if v is None or v == "":
        return 0
    if is_number(v):
        return float(v) if as_float else int(v)
    if isinstance(v, str):
        try:
            if as_float:
                return float(v)
            if _LONG.fullmatch(v):
                return int(v)
        except ValueError:
            pass
        raise ExpressionError(f"cannot compare {v!r} as a number")
    raise ExpressionError(f"cannot compare {_kind(v)} as a number")


def _juel_numbers(a: Any, b: Any) -> tuple[int | float, int | float]:
    # Double when a side is a fraction, else Long: '1.5' against 1 is an error, as in Java
    as_float = isinstance(a, float) or isinstance(b, float)
    return _juel_number(a, as_float), _juel_number(b, as_float)


def _juel_string(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def juel_bool(v: Any) -> bool:
    """JUEL's coercion to boolean (EL 2.2 §1.18.5)."""
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.lower() == "true"
    raise ExpressionError(f"cannot use {_kind(v)} as true/false")


def juel_eq(a: Any, b: Any) -> bool:
    if a is b or (type(a) is type(b) and a == b):
        return True
    if a is None or b is None:
        return False
    if is_number(a) or is_number(b):
        if isinstance(a, bool) or isinstance(b, bool):
            raise ExpressionError("cannot compare a boolean with a number")
        x, y = _juel_numbers(a, b)
        return x == y
    if isinstance(a, bool) or isinstance(b, bool):
        return juel_bool(a) == juel_bool(b)
    if isinstance(a, str) or isinstance(b, str):
        return _juel_string(a) == _juel_string(b)
    return bool(a == b)


def juel_ne(a: Any, b: Any) -> bool:
    return not juel_eq(a, b)


def _juel_order(a: Any, b: Any) -> int | None:
    """-1, 0, 1; None when a side is null (every ordering is then false)."""
    if a is None or b is None:
        return None
    if is_number(a) or is_number(b):
        if isinstance(a, bool) or isinstance(b, bool):
            raise ExpressionError("cannot order a boolean and a number")
        x, y = _juel_numbers(a, b)
    elif isinstance(a, str) or isinstance(b, str):
        x, y = _juel_string(a), _juel_string(b)
    elif type(a) is type(b) and isinstance(a, bool):
        x, y = a, b
    else:
        raise ExpressionError(f"cannot order {_kind(a)} and {_kind(b)}")
    return (x > y) - (x < y)


def juel_lt(a: Any, b: Any) -> bool:
    order = _juel_order(a, b)
    return order is not None and order < 0


def juel_gt(a: Any, b: Any) -> bool:
    order = _juel_order(a, b)
    return order is not None and order > 0


def juel_le(a: Any, b: Any) -> bool:
    if a is None and b is None:  # "if A==B, <= and >= are true" comes before the null rule
        return True
    order = _juel_order(a, b)
    return order is not None and order <= 0


def juel_ge(a: Any, b: Any) -> bool:
    if a is None and b is None:
        return True
    order = _juel_order(a, b)
    return order is not None and order >= 0


def juel_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, list, tuple, dict, set)):
        return len(v) == 0
    return False


def juel_get(base: Any, key: str | int) -> Any:
    """``base.key`` / ``base[key]``: null-safe on maps and lists, as JUEL's Map and List resolvers."""
    if base is None:
        return None
    if isinstance(base, dict):
        return base.get(key)
    if isinstance(base, (list, tuple)):
        try:
            index = int(key)
        except (TypeError, ValueError):
            raise ExpressionError(f"a list has no property {key!r}") from None
        return base[index] if 0 <= index < len(base) else None
    raise ExpressionError(f"{_kind(base)} has no property {key!r}")


def juel_condition(v: Any) -> bool:
    """A sequence-flow condition must give a boolean, as Camunda 7 requires."""
    if isinstance(v, bool):
        return v
    raise ExpressionError(f"the condition gave {_kind(v)} ({v!r}), not true or false")


# --------------------------------------------------------------------------- FEEL

def _feel_kind(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if is_number(v):
        return "number"
    return type(v).__name__


def feel_eq(a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return a is None and b is None
    if _feel_kind(a) != _feel_kind(b):
        return None
    return bool(a == b)


def feel_ne(a: Any, b: Any) -> bool | None:
    r = feel_eq(a, b)
    return None if r is None else not r


def _feel_order(a: Any, b: Any) -> int | None:
    if a is None or b is None or _feel_kind(a) != _feel_kind(b) or _feel_kind(a) not in ("number", "str"):
        return None
    return (a > b) - (a < b)


def feel_lt(a: Any, b: Any) -> bool | None:
    o = _feel_order(a, b)
    return None if o is None else o < 0


def feel_gt(a: Any, b: Any) -> bool | None:
    o = _feel_order(a, b)
    return None if o is None else o > 0


def feel_le(a: Any, b: Any) -> bool | None:
    o = _feel_order(a, b)
    return None if o is None else o <= 0


def feel_ge(a: Any, b: Any) -> bool | None:
    o = _feel_order(a, b)
    return None if o is None else o >= 0


def feel_and(a: Any, b: Any) -> bool | None:
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def feel_or(a: Any, b: Any) -> bool | None:
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def feel_not(v: Any) -> bool | None:
    return (not v) if isinstance(v, bool) else None


def feel_get(base: Any, key: str | int) -> Any:
    """A path: null-safe on contexts; over a list it maps, as FEEL's path expression does."""
    if isinstance(base, dict):
        return base.get(key)
    if isinstance(base, list) and isinstance(key, str):
        return [feel_get(item, key) for item in base]
    if isinstance(base, list) and isinstance(key, int):
        # FEEL lists are 1-based and count from the end when negative (DMN 1.3 §10.3.2.5)
        index = key - 1 if key > 0 else len(base) + key
        return base[index] if key != 0 and 0 <= index < len(base) else None
    return None


def feel_condition(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise ExpressionError(f"the condition gave {_kind(v)} ({v!r}), not true or false")


FUNCTIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (juel_bool, juel_eq, juel_ne, juel_lt, juel_gt, juel_le, juel_ge, juel_empty, juel_get, juel_condition,
              feel_eq, feel_ne, feel_lt, feel_gt, feel_le, feel_ge, feel_and, feel_or, feel_not, feel_get, feel_condition)
}
"""What translated expressions call: merged into the script engine's globals."""
