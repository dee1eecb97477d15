"""Tokenizer and parser for the small subset of JUEL and FEEL that modelers write in conditions.

Camunda 7 (JUEL): ``${decision == 'accept' && amount ge 1000}``; Camunda 8 / Zeebe and DMN (FEEL):
``=decision = "accept" and amount >= 1000``. Both dialects share one grammar here:

    expression  := or
    or          := and  ( ('||' | 'or')  and )*
    and         := eq   ( ('&&' | 'and') eq )*
    eq          := rel  ( ('==' | 'eq' | '!=' | 'ne' | '=' [FEEL]) rel )*
    rel         := unary ( ('<' | 'lt' | '>' | 'gt' | '<=' | 'le' | '>=' | 'ge') unary )*
    unary       := ('!' | 'not') unary [JUEL] | 'empty' unary [JUEL] | '-' number | primary
    primary     := literal | name ( '.' name | '[' (string | integer) ']' )* | '(' expression ')'
                 | 'not' '(' expression ')' [FEEL]

Anything else (method and function calls, arithmetic, ternaries, lambdas, lists...) raises
`Unsupported` with the column and a hint a modeler can act on. The result is a tiny tree of tuples
that `translate` turns into Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal as TypingLiteral

Dialect = TypingLiteral["juel", "feel"]


class Unsupported(ValueError):
    """The expression is outside the subset the engine runs: message says where, hint says what to do."""

    def __init__(self, message: str, hint: str = ""):
        self.hint = hint
        super().__init__(f"{message}. {hint}" if hint else message)


# --------------------------------------------------------------------------- tree

@dataclass(frozen=True)
class Lit:
    value: Any  # str, int, float, bool or None


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Prop:
    base: Any
    key: str | int


@dataclass(frozen=True)
class Not:
    operand: Any


@dataclass(frozen=True)
class Empty:
    operand: Any


@dataclass(frozen=True)
class Compare:
    op: str  # one of == != < > <= >=
    left: Any
    right: Any


@dataclass(frozen=True)
class Logic:
    op: str  # and | or
    left: Any
    right: Any


Node = Lit | Var | Prop | Not | Empty | Compare | Logic

# --------------------------------------------------------------------------- tokens

_WORD_OPS = {
    "juel": {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
             "le": "<=", "ge": ">=", "empty": "empty", "div": "div", "mod": "mod", "instanceof": "instanceof"},
    "feel": {"and": "and", "or": "or", "not": "not", "between": "between", "in": "in", "instance": "instance",
             "if": "if", "for": "for", "some": "some", "every": "every", "function": "function"},
}
_LITERAL_WORDS = {"true": True, "false": False, "null": None}
_SYMBOLS = ("==", "!=", "<=", ">=", "&&", "||", "..", "->", "**", "<", ">", "!", "(", ")", ".", "[", "]",
            ",", "?", ":", "=", "+", "-", "*", "/", "%", "{", "}", ";", "#", "$", "@")

CALL_HINT = ("method and function calls are not run: compute the value in a script task (or a form) "
             "and compare the variable")
ARITHMETIC_HINT = "arithmetic is not supported in conditions: compute the value in a script task first"


@dataclass(frozen=True)
class Token:
    kind: str  # num | str | name | op | lit | end
    value: Any
    col: int  # 1-based column in the expression


def tokenize(text: str, dialect: Dialect) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    words = _WORD_OPS[dialect]
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        col = i + 1
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and text[j].isdigit():
                j += 1
            is_float = False
            if j < n and text[j] == "." and not text.startswith("..", j):
                is_float = True
                j += 1
                while j < n and text[j].isdigit():
                    j += 1
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k].isdigit():
                    is_float = True
                    j = k
                    while j < n and text[j].isdigit():
                        j += 1
            literal = text[i:j]
            out.append(Token("num", float(literal) if is_float else int(literal), col))
            i = j
            continue
        if c in "'\"":
            if dialect == "feel" and c == "'":
                raise Unsupported(f"column {col}: FEEL strings are written in double quotes", 'write "text", not \'text\'')
            j = i + 1
            chars: list[str] = []
            while True:
                if j >= n:
                    raise Unsupported(f"column {col}: the string is not closed", f"close it with {c}")
                ch = text[j]
                if ch == "\\" and j + 1 < n:
                    nxt = text[j + 1]
                    if nxt in ("\\", "'", '"'):
                        chars.append(nxt)
                        j += 2
                        continue
                    if dialect == "feel" and nxt in "ntr":
                        chars.append({"n": "\n", "t": "\t", "r": "\r"}[nxt])
                        j += 2
                        continue
                if ch == c:
                    break
                chars.append(ch)
                j += 1
            out.append(Token("str", "".join(chars), col))
            i = j + 1
            continue
        if c.isalpha() or c == "_":
            j = i
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            word = text[i:j]
            if word in _LITERAL_WORDS:
                out.append(Token("lit", _LITERAL_WORDS[word], col))
            elif word in words:
                out.append(Token("op", words[word], col))
            else:
                out.append(Token("name", word, col))
            i = j
            continue
        for sym in _SYMBOLS:
            if text.startswith(sym, i):
                out.append(Token("op", sym, col))
                i += len(sym)
                break
        else:
            raise Unsupported(f"column {col}: unexpected character {c!r}")
    out.append(Token("end", None, n + 1))
    return out


# --------------------------------------------------------------------------- parser

_REL = {"<", ">", "<=", ">="}


class _Parser:
    def __init__(self, text: str, dialect: Dialect):
        self.dialect = dialect
        self.tokens = tokenize(text, dialect)
        self.pos = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        t = self.tokens[self.pos]
        self.pos += 1
        return t

    def is_op(self, *values: str) -> bool:
        return self.tok.kind == "op" and self.tok.value in values

    def expect(self, value: str) -> None:
        if not self.is_op(value):
            self.fail(f"expected {value!r}")
        self.take()

    def fail(self, what: str) -> None:
        t = self.tok
        found = "the end" if t.kind == "end" else repr(t.value if t.kind != "lit" else _lit_text(t.value))
        hint = ""
        if t.kind == "op":
            hint = _op_hint(t.value, self.dialect)
        raise Unsupported(f"column {t.col}: {what}, found {found}", hint)

    def parse(self) -> Node:
        node = self.or_()
        if self.tok.kind != "end":
            self.fail("unexpected text after the expression")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.is_op("||", "or"):
            self.take()
            node = Logic("or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.eq()
        while self.is_op("&&", "and"):
            self.take()
            node = Logic("and", node, self.eq())
        return node

    def eq(self) -> Node:
        node = self.rel()
        while True:
            if self.is_op("==") and self.dialect == "feel":
                self.fail('FEEL compares with a single "="')
            if self.is_op("=") and self.dialect == "juel":
                self.fail('JUEL compares with "==" (a single "=" is assignment)')
            if not self.is_op("==", "!=", "="):
                return node
            op = self.take().value
            node = Compare("==" if op == "=" else op, node, self.rel())

    def rel(self) -> Node:
        node = self.unary()
        while self.is_op(*_REL):
            op = self.take().value
            node = Compare(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.dialect == "juel":
            if self.is_op("!", "not"):
                self.take()
                return Not(self.unary())
            if self.is_op("empty"):
                self.take()
                return Empty(self.unary())
        if self.is_op("-"):
            self.take()
            t = self.tok
            if t.kind == "num":
                self.take()
                return Lit(-t.value)
            self.fail("'-' is only supported before a number")
        return self.primary()

    def primary(self) -> Node:
        t = self.tok
        if t.kind in ("num", "str", "lit"):
            self.take()
            return Lit(t.value)
        if self.is_op("("):
            self.take()
            node = self.or_()
            self.expect(")")
            return node
        if self.dialect == "feel" and self.is_op("not"):
            self.take()
            self.expect("(")
            node = self.or_()
            self.expect(")")
            return Not(node)
        if t.kind == "name":
            self.take()
            if self.is_op("(") or self.is_op(":"):
                raise Unsupported(f"column {t.col}: {t.value}(...) is a function call", CALL_HINT)
            node: Node = Var(t.value)
            while True:
                if self.is_op("."):
                    self.take()
                    name = self.tok
                    if name.kind != "name":
                        self.fail("expected a property name after '.'")
                    self.take()
                    if self.is_op("("):
                        raise Unsupported(f"column {name.col}: .{name.value}(...) is a method call", CALL_HINT)
                    node = Prop(node, name.value)
                elif self.is_op("["):
                    self.take()
                    key = self.tok
                    if key.kind == "str" or (key.kind == "num" and isinstance(key.value, int)):
                        self.take()
                    else:
                        self.fail("only a quoted name or a whole number may stand between [ ]")
                    self.expect("]")
                    node = Prop(node, key.value)
                else:
                    return node
        self.fail("expected a value, a variable or '('")
        raise AssertionError  # unreachable: fail raises


def _lit_text(value: Any) -> str:
    return {True: "true", False: "false", None: "null"}[value]


def _op_hint(op: str, dialect: Dialect) -> str:
    if op in ("+", "-", "*", "/", "%", "div", "mod", "**"):
        return ARITHMETIC_HINT
    if op in ("?", ":"):
        return "the ?: operator is not supported: draw two outgoing flows with opposite conditions"
    if op in ("if",):
        return "if-then-else is not supported: draw two outgoing flows with opposite conditions"
    if op in ("in", "between", "some", "every", "for", "instance", "instanceof", "function", "->", "{", "[", ".."):
        return "only comparisons, and/or/not, literals and variables are supported"
    if op in ("#", "$"):
        return "write one expression, ${...} for Camunda 7 or =... for Camunda 8"
    return ""


def parse(text: str, dialect: Dialect) -> Node:
    """Parse one expression (without its ``${ }`` or ``=`` wrapper). Raises Unsupported."""
    if not text.strip():
        raise Unsupported("the expression is empty")
    return _Parser(text, dialect).parse()
