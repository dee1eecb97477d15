"""What a procedure's expressions and scripts may say: the restricted language (issue 7, N-9).

One policy, used twice: at check time (`motcua procedures check`, compiling a version) to refuse a
procedure with located reasons, and at run time in the sandbox worker, which compiles every
expression and script again with it before running it, so a stored version whose source was
tampered with after its check is refused all the same.

Built on RestrictedPython's transformer (as spiff-arena's script engine is): no imports, no names
or attributes starting with "_", no frame/generator/traceback internals, attribute access and
item writes go through guards supplied by the runtime. On top of it this policy refuses class
definitions, `str.format` tricks, rebinding an engine function or a builtin, and (check only)
calls to functions the engine does not offer or with argument names they do not take.
"""
from __future__ import annotations

import ast
import inspect
import re
from dataclasses import dataclass
from functools import lru_cache
from types import CodeType
from typing import Literal

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec

from engine.execution.expressions.runtime import FUNCTIONS as TRANSLATED_FUNCTIONS
from engine.execution.working_time import WorkingTimeFunctions

Mode = Literal["eval", "exec"]

# The builtins a script may use (the runtime offers exactly these). No type(), getattr(), vars(),
# dir(), open(), print(), __import__, exec/eval/compile, globals/locals, id(), iter()/next().
BUILTIN_NAMES: tuple[str, ...] = (
    "abs", "all", "any", "bool", "chr", "dict", "divmod", "enumerate", "filter", "float", "frozenset",
    "int", "isinstance", "len", "list", "map", "max", "min", "ord", "pow", "range", "repr", "reversed",
    "round", "set", "sorted", "str", "sum", "tuple", "zip",
)
EXCEPTION_NAMES: tuple[str, ...] = (
    "ArithmeticError", "Exception", "IndexError", "KeyError", "LookupError", "NameError", "TypeError",
    "ValueError", "ZeroDivisionError",
)
ENGINE_FUNCTIONS: tuple[str, ...] = WorkingTimeFunctions.NAMES
# What conditions translated from JUEL/FEEL call (engine/execution/expressions/runtime.py): data only.
EXPRESSION_FUNCTIONS: tuple[str, ...] = tuple(sorted(TRANSLATED_FUNCTIONS))
RESERVED: frozenset[str] = frozenset(BUILTIN_NAMES + EXCEPTION_NAMES + ENGINE_FUNCTIONS + EXPRESSION_FUNCTIONS
                                     + ("None", "True", "False"))

# Python's own powers, refused by name so that `check` says why (the runtime does not offer them).
# (Names a form field may well have, such as "type" or "id", stay usable as data.)
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
    "hasattr", "super", "breakpoint", "memoryview", "classmethod", "staticmethod", "exit", "quit",
    "print", "bytearray",
})

# Attributes refused even without a leading underscore: str.format/format_map read attributes
# through the format string ("{0.__class__}"), mro() lists base classes.
UNSAFE_ATTRIBUTES = frozenset({"format", "format_map", "mro"})


@dataclass(frozen=True)
class Refusal:
    """Why a piece of source is refused; `line` counts from 1 within that source."""

    message: str
    line: int | None = None


class ScriptRefused(Exception):
    """A script or expression the restricted language does not allow (raised at run time)."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus the engine's own rules (see the module docstring)."""

    def _refuse_import(self, node: ast.AST) -> ast.AST:
        self.error(node, "imports are not allowed: scripts use only the dossier's data and the "
                         "documented functions")
        return node

    visit_Import = _refuse_import
    visit_ImportFrom = _refuse_import

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class definitions are not allowed")
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if node.attr in UNSAFE_ATTRIBUTES:
            self.error(node, f'attribute "{node.attr}" is not allowed (use an f-string or %)')
        return super().visit_Attribute(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in FORBIDDEN_NAMES:
            self.error(node, f'"{node.id}" is not available to scripts')
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in RESERVED:
            self.error(node, _reserved(node.id))
        return super().visit_Name(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if node.name in RESERVED:
            self.error(node, _reserved(node.name))
        return super().visit_FunctionDef(node)


def _reserved(name: str) -> str:
    kind = "an engine function" if name in ENGINE_FUNCTIONS + EXPRESSION_FUNCTIONS else "a built-in name"
    return f'"{name}" is {kind} and cannot be assigned: choose another name'


_LINE = re.compile(r"^Line (\d+): (.*)$", re.S)


def _refusals(errors: tuple[str, ...]) -> list[Refusal]:
    out = []
    for text in errors:
        m = _LINE.match(text)
        out.append(Refusal(m.group(2).strip(), int(m.group(1))) if m else Refusal(text))
    return out


@lru_cache(maxsize=1024)
def compile_restricted(source: str, mode: Mode) -> CodeType:
    """Bytecode of `source` under the policy; ScriptRefused with every reason otherwise."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source.strip() if mode == "eval" else source, "<script>", policy=_Policy)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:  # nesting too deep, NUL bytes
        raise ScriptRefused(f"cannot be compiled: {type(err).__name__}") from None
    if result.errors or result.code is None:
        raise ScriptRefused("; ".join(f"line {r.line}: {r.message}" if r.line else r.message
                                      for r in _refusals(result.errors)) or "cannot be compiled")
    return result.code


def check_source(source: str, mode: Mode) -> list[Refusal]:
    """Every reason to refuse `source` (empty when it may run). Never raises."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    text = source.strip() if mode == "eval" else source
    try:
        result = compiler(text, "<script>", policy=_Policy)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        return [Refusal(f"cannot be compiled: {type(err).__name__}")]
    refusals = _refusals(result.errors)
    if refusals or result.code is None:
        return refusals or [Refusal("cannot be compiled")]
    return _call_problems(ast.parse(text, mode=mode))


# ------------------------------------------------------------------ calls (check time)

def _signatures() -> dict[str, inspect.Signature]:
    out = {}
    for name in ENGINE_FUNCTIONS:
        sig = inspect.signature(getattr(WorkingTimeFunctions, name))
        out[name] = sig.replace(parameters=list(sig.parameters.values())[1:])  # without self
    return out


SIGNATURES = _signatures()


def _bound_names(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def _call_problems(tree: ast.AST) -> list[Refusal]:
    """Calls to names nothing defines, and engine-function calls their signature refuses.

    Task data is JSON, never a function, so a call must name a builtin, an engine function or a
    function the script itself defines.
    """
    bound = _bound_names(tree)
    known = set(BUILTIN_NAMES) | set(EXCEPTION_NAMES) | set(ENGINE_FUNCTIONS) | set(EXPRESSION_FUNCTIONS) | bound
    problems = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        name = node.func.id
        if name not in known:
            problems.append(Refusal(f"unknown function {name}(): the engine offers "
                                    + ", ".join(ENGINE_FUNCTIONS) + " and a few builtins "
                                    "(docs/bpmn-conventions.md)", node.lineno))
            continue
        if name in SIGNATURES and name not in bound:
            if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
                continue
            sig = SIGNATURES[name]
            try:
                sig.bind(*node.args, **{k.arg: k.value for k in node.keywords if k.arg})
            except TypeError as err:
                problems.append(Refusal(f"{name}(): {err}; it takes " + ", ".join(sig.parameters), node.lineno))
    return problems


# ------------------------------------------------------------------ timer literals

_DURATION = r"P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?"
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
ISO_FORMS = {
    "timeDuration": re.compile(rf"^{_DURATION}$"),
    "timeDate": re.compile(rf"^{_DATETIME}$"),
    "timeCycle": re.compile(rf"^R\d*/(?:{_DATETIME}/)?{_DURATION}$|^R\d*/{_DURATION}/{_DATETIME}$"),
}
_KIND_EXAMPLE = {"timeDuration": "a duration such as PT2H or P7D", "timeDate": "a date-time with an offset",
                 "timeCycle": "a repetition such as R3/PT1H"}


def iso_timer_literal(kind: str, text: str) -> tuple[str | None, Refusal | None]:
    """A bare ISO 8601 timer text (P7D, R3/PT1H, 2026-12-01T08:00+07:00) written without quotes.

    Returns (the expression to run instead: the text as a string literal, None) when it is the
    right form for `kind`; (None, a refusal) when it is an ISO form of another kind; (None, None)
    when it is not a bare ISO literal at all (then it is an expression, checked as such).
    """
    text = text.strip()
    if ISO_FORMS.get(kind, re.compile("$^")).match(text):
        return repr(text), None
    for other, form in ISO_FORMS.items():
        if form.match(text):
            return None, Refusal(f"{kind} needs {_KIND_EXAMPLE.get(kind, 'an expression')}; "
                                 f"{text} is {_KIND_EXAMPLE[other]} (write it as {other})")
    return None, None


# Functions that give an instant: only a timeDate can wait for one.
_INSTANT_FUNCTIONS = {"deadline", "now", "add_working_hours", "add_working_days"}


def timer_shape_refusal(kind: str, text: str) -> Refusal | None:
    """A timer expression whose value can be seen at check time to be of the wrong shape.

    A quoted ISO text must be the form `kind` takes ("P1X" in a timeDuration is refused), and a
    timeDuration or timeCycle cannot wait for an instant (``deadline(...)`` gives one: draw a timeDate).
    None when nothing can be said before run time.
    """
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None  # the compile check reports it
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        if kind == "timeDate" and _is_iso_instant(node.value):
            return None
        literal, refusal = iso_timer_literal(kind, node.value)
        if literal is None and refusal is None:
            return Refusal(f"{kind} needs {_KIND_EXAMPLE.get(kind, 'an expression')}; {node.value!r} is not one")
        return refusal
    if (kind != "timeDate" and isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _INSTANT_FUNCTIONS):
        return Refusal(f"{kind} needs {_KIND_EXAMPLE[kind]}, but {node.func.id}() gives an instant: "
                       "draw this timer as a timeDate (a date) to wait until that instant")
    return None


def _is_iso_instant(text: str) -> bool:
    from datetime import datetime
    try:
        datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    return True
