"""Flatten marshmallow's nested error messages into (key path, problem) pairs."""
from __future__ import annotations

from typing import Any


def flatten_errors(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """{'swaps': {0: {'worked': ['Not a valid date.']}}} -> [('swaps[0].worked', 'Not a valid date.')]."""
    out: list[tuple[str, str]] = []
    if isinstance(messages, dict):
        for key, sub in messages.items():
            if isinstance(key, int):
                path = f"{prefix}[{key}]"
            elif key == "_schema":
                path = prefix
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_errors(sub, path))
    elif isinstance(messages, list):
        for m in messages:
            out.extend(flatten_errors(m, prefix))
    else:
        problem = str(messages).replace("Unknown field.", "unknown field")
        problem = problem.replace("Missing data for required field.", "is required")
        out.append((prefix, problem))
    return out
