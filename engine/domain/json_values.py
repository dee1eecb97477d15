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
    is reported once and not descended into. Paths: `root.key`, `root[index]`."""
    problems: list[tuple[str, str]] = []
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack and len(problems) < MAX_PROBLEMS:
        item, path, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth + 1 > max_depth:
                problems.append((path or "body", TOO_DEEP.format(limit=max_depth)))
                continue
            if isinstance(item, dict):
                children = []
                for key, child in item.items():
                    if not isinstance(key, str) or not _storable(key):
                        problems.append((f"{path}.{key!r}" if path else repr(key), "keys must be valid text"))
                        continue
                    children.append((child, f"{path}.{key}" if path else key, depth + 1))
            else:
                children = [(child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item)]
            stack.extend(reversed(children))
        elif isinstance(item, str):
            if isinstance(item, HugeInt):
                problems.append((path or "body", OUT_OF_RANGE))
            elif not _storable(item):
                problems.append((path or "body", BAD_TEXT))
        elif isinstance(item, bool) or item is None:
            pass
        elif isinstance(item, int):
            if not INT64_MIN <= item <= INT64_MAX:
                problems.append((path or "body", OUT_OF_RANGE))
        elif isinstance(item, float):
            if not math.isfinite(item):
                problems.append((path or "body", NOT_FINITE))
        else:  # Python callers (CLI, scripts of the service layer) might pass anything
            problems.append((path or "body", f"not a JSON value ({type(item).__name__})"))
    return problems


def encoded_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON (what the database stores). Call after value_problems
    found nothing: the encoder recurses."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8"))


def _storable(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates, e.g. from "\ud800" in JSON
        return False
    return True
