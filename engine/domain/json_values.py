"""What a JSON value entering the engine may hold: bounded nesting, finite numbers, 64-bit integers,
text every database can store. Pure: used by the API's body parser and by the service layer.

Why these rules (issue 7): PostgreSQL's jsonb refuses NaN/Infinity and the NUL character (a 500 on
every such request), SQLite would store them and serve non-standard JSON; integers past 64 bits
become floats in SQLite's JSON functions and past 4,300 digits Python refuses to read them back;
deep nesting overflows the recursion of the JSON encoder and of SpiffWorkflow's deep copies, so a
dossier holding it could never be read or completed again.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MAX_PROBLEMS = 20  # a body full of NaN gets a readable answer, not a megabyte of errors

TOO_DEEP = "nested deeper than {limit} levels"
NOT_FINITE = "not a finite number (NaN, Infinity and numbers beyond ±1.8e308 are refused)"
OUT_OF_RANGE = "integer out of range (64 bits: -9223372036854775808 to 9223372036854775807)"
BAD_TEXT = "invalid characters (NUL or an unpaired surrogate)"


@dataclass(frozen=True)
class JsonLimits:
    """max_depth counts containers: `{"a": [1]}` is 2 deep. max_bytes is the compact UTF-8 JSON size."""

    max_depth: int = 32
    max_bytes: int = 512 * 1024


class HugeInt(str):
    """An integer literal too long to convert safely; the parser keeps its text, the checker refuses it."""


def parse_int(text: str) -> int | HugeInt:
    """`json.loads(parse_int=...)`: 20 digits hold any 64-bit value; longer ones are never converted
    (int() of 5,000 digits raises ValueError since Python 3.11, which was a 500)."""
    return int(text) if len(text.lstrip("-")) <= 20 else HugeInt(text)


def value_problems(value: Any, max_depth: int, root: str = "") -> list[tuple[str, str]]:
    """(path, problem) for each value the engine cannot store, e.g. ("data.items[2].area", NOT_FINITE).

    Iterative, so a value nested far beyond the limit cannot exhaust the stack; a too-deep container
    is reported once and not descended into. Paths (`root.key`, `root[index]`) are only spelled out
    for problems: each stack entry links to its parent instead, which keeps large bodies cheap."""
    problems: list[tuple[str, str]] = []
    # entries: (value, depth of its container, link) with link = (parent link, key or index) or None
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth, link = pop()
        kind = type(item)
        if kind is str:
            if "\x00" in item or not _utf8(item):
                problems.append((_path(root, link), BAD_TEXT))
        elif kind is dict:
            if depth >= max_depth:
                problems.append((_path(root, link), TOO_DEEP.format(limit=max_depth)))
            else:
                for key, child in reversed(item.items()):
                    if type(key) is not str or "\x00" in key or not _utf8(key):
                        problems.append((_path(root, (link, repr(key))), "keys must be valid text"))
                    else:
                        push((child, depth + 1, (link, key)))
        elif kind is list:
            if depth >= max_depth:
                problems.append((_path(root, link), TOO_DEEP.format(limit=max_depth)))
            else:
                for i in range(len(item) - 1, -1, -1):
                    push((item[i], depth + 1, (link, i)))
        elif kind is int:
            if not INT64_MIN <= item <= INT64_MAX:
                problems.append((_path(root, link), OUT_OF_RANGE))
        elif kind is float:
            if not math.isfinite(item):
                problems.append((_path(root, link), NOT_FINITE))
        elif item is None or kind is bool:
            pass
        elif kind is HugeInt:
            problems.append((_path(root, link), OUT_OF_RANGE))
        else:  # Python callers (CLI, services): subclasses (a str enum) are checked as their base
            base = next((b for b in (str, int, float, dict, list) if isinstance(item, b)), None)
            if base is None:
                problems.append((_path(root, link), f"not a JSON value ({kind.__name__})"))
            else:
                push((base(item), depth, link))
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def _path(root: str, link: Any) -> str:
    parts: list[Any] = []
    while link is not None:
        link, key = link
        parts.append(key)
    out = root
    for key in reversed(parts):
        out = f"{out}[{key}]" if isinstance(key, int) else (f"{out}.{key}" if out else key)
    return out or "body"


def encoded_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON (what the database stores). Call after value_problems
    found nothing: the encoder recurses."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))


def _utf8(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from "\ud800" in JSON
        return False
    return True
