"""Running one restricted expression or script: namespaces and guards (inside the worker process).

Namespaces (issue 7): the engine's functions and the builtins are fixed; the dossier's data is
layered under them, so a data field named like a function (``{"deadline": "x"}``) can never hide
that function from later steps. A script's assignments become task data; functions it defines
and the engine's names never do.
"""
from __future__ import annotations

import builtins
import json
import operator
import traceback
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

from engine.domain.json_values import value_problems

from .policy import BUILTIN_NAMES, EXCEPTION_NAMES, RESERVED, UNSAFE_ATTRIBUTES, Mode, compile_restricted

# Attribute access is allowed on data values only: the methods of str, numbers and containers
# (and an exception's args). Functions, modules, classes other than these, frames: nothing.
_DATA_TYPES = frozenset({str, int, float, complex, bool, list, tuple, dict, set, frozenset})


# Deepest nesting a result may have: above the API's default (32), so data an official could enter
# under a raised MOTCUA_MAX_JSON_DEPTH still passes through a script.
MAX_RESULT_DEPTH = 64
MAX_RESULT_CHARS = 16 * 2**20  # as the worker's reply (worker.MAX_REPLY_BYTES), counted as JSON text
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_LEAVES = (datetime, date, time, timedelta)  # what translated FEEL/JUEL functions may return


def _json_shape(value: Any, depth: int = 0) -> Any:
    """`value` with sets and tuples as lists and dates as text: what the engine will store."""
    if depth > MAX_RESULT_DEPTH:
        return []  # value_problems reports the nesting above this level
    if type(value) in (list, tuple, set, frozenset):
        return [_json_shape(v, depth + 1) for v in value]
    if type(value) is dict:
        return {k: _json_shape(v, depth + 1) for k, v in value.items()}
    if isinstance(value, _LEAVES):
        return value.isoformat()
    return value


def _refuse_non_data(value: Any, root: str) -> None:
    """ScriptRaised(TypeError) naming each value the engine cannot store (NaN, integers past 64
    bits, bytes, complex, non-text keys, NUL...): the same rules as data entered over the API."""
    shape = _json_shape(value)
    problems = value_problems(shape, MAX_RESULT_DEPTH, root)
    if problems:
        raise ScriptRaised("TypeError", "the result is not data: "
                           + "; ".join(f"{path}: {problem}" for path, problem in problems), None)
    # Measured as JSON, not as the pickled reply: pickle stores a value repeated by reference once,
    # so ["a" * 10**6] * 10**4 crossed as 1 MB and became 10 GB of JSON in the server.
    size = 0
    for chunk in _ENCODER.iterencode(shape):
        size += len(chunk)
        if size > MAX_RESULT_CHARS:
            raise MemoryError(f"the result takes more than {MAX_RESULT_CHARS // 2**20} MiB as JSON "
                              "(it would become task data, stored with every step)")


def _getattr_(obj: Any, name: Any, *default: Any) -> Any:
    if type(name) is not str:
        raise TypeError("attribute names must be strings")
    if name.startswith("_") or name in INSPECT_ATTRIBUTES or name in UNSAFE_ATTRIBUTES:
        raise AttributeError(f'attribute "{name}" is not available to scripts')
    if not (type(obj) in _DATA_TYPES or (isinstance(obj, type) and obj in _DATA_TYPES)
            or isinstance(obj, BaseException)):
        raise AttributeError(f"attributes of a {type(obj).__name__} are not available to scripts")
    return getattr(obj, name, *default)


def _getitem_(obj: Any, key: Any) -> Any:
    return obj[key]


def _getiter_(obj: Any) -> Any:
    return obj


def _apply_(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return f(*args, **kwargs)


_INPLACE = {"+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
            "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "|=": operator.ior,
            "&=": operator.iand, "^=": operator.ixor, "<<=": operator.ilshift, ">>=": operator.irshift,
            "@=": operator.imatmul}


def _inplacevar_(op: str, x: Any, y: Any) -> Any:
    return _INPLACE[op](x, y)


BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in BUILTIN_NAMES + EXCEPTION_NAMES}

GUARDS: dict[str, Any] = {
    "_getattr_": _getattr_,
    "_getitem_": _getitem_,
    "_getiter_": _getiter_,
    "_apply_": _apply_,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar_,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
}


class ScriptRaised(Exception):
    """The script raised: `kind` is the exception's class name, `line` its line in the script."""

    def __init__(self, kind: str, message: str, line: int | None):
        self.kind, self.message, self.line = kind, message, line
        super().__init__(f"{kind}: {message}")


def _namespace(data: dict[str, Any], external: dict[str, Any], functions: dict[str, Any]) -> dict[str, Any]:
    ns: dict[str, Any] = {**external, **data}
    for name in RESERVED.intersection(ns):
        del ns[name]  # data never shadows a builtin or an engine function
    ns.update(functions)
    ns.update(GUARDS)
    ns["__builtins__"] = BUILTINS
    return ns


def run(mode: Mode, source: str, data: dict[str, Any], external: dict[str, Any] | None,
        functions: dict[str, Any]) -> tuple[Any, dict[str, Any] | None]:
    """(value, None) for an expression; (None, the task data after it) for a script.

    Raises ScriptRefused (policy), ScriptRaised (the script failed) or MemoryError.
    """
    code = compile_restricted(source, mode)
    external = external or {}
    ns = _namespace(data, external, functions)
    try:
        if mode == "eval":
            value = eval(code, ns)  # noqa: S307 - restricted bytecode, guarded namespace
        else:
            exec(code, ns)  # noqa: S102
    except MemoryError:
        raise
    except Exception as err:
        line = None
        for frame in traceback.extract_tb(err.__traceback__):
            if frame.filename == "<script>":
                line = frame.lineno
        raise ScriptRaised(type(err).__name__, str(err), line) from None
    if mode == "eval":
        _refuse_non_data(value, "result")
        return value, None
    after = {k: v for k, v in ns.items()
             if k not in RESERVED and k not in GUARDS and k != "__builtins__" and not callable(v)
             and (k in data or k not in external)}
    _refuse_non_data(after, "")
    after.update({k: data[k] for k in RESERVED.intersection(data)})  # hidden, kept as they were
    return None, after
