"""The limits on data every caller hands the engine (task data, a dossier's start data and
applicant): the same rule for the API, the CLI and any later entrypoint (issue 7)."""
from __future__ import annotations

from typing import Any

from engine.domain.json_values import JsonLimits, encoded_size, value_problems

from .errors import InvalidInput, TooLarge


def check_data(value: Any, limits: JsonLimits, field: str) -> None:
    """Raise InvalidInput naming each offending path (too deep, NaN/Infinity, integers beyond 64
    bits, NUL or lone surrogates), or TooLarge when `value` as JSON exceeds limits.max_bytes.
    `extra["limit"]` carries the limit broken."""
    problems = value_problems(value, limits.max_depth, field)
    if problems:
        deep = any(p.startswith("nested deeper") for _, p in problems)
        limit = {"limit": limits.max_depth} if deep else {}
        where = f" (at most {limits.max_depth} levels of nesting, MOTCUA_MAX_JSON_DEPTH)" if deep else ""
        raise InvalidInput(f"{field} holds values the engine cannot store{where}", problems, **limit)
    size = encoded_size(value)
    if size > limits.max_bytes:
        raise TooLarge(f"{field} is {size} bytes as JSON; at most {limits.max_bytes} bytes are accepted "
                       f"(MOTCUA_MAX_DATA_BYTES)", limit=limits.max_bytes)
