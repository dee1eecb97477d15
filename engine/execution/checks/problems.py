"""A located problem in a procedure's files, and the exception that carries the blocking ones.

Every check appends `Problem`s to one list, so `motcua procedures check` shows them all at once
(issue 8). Errors refuse the procedure; warnings are shown and do not block publishing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    file: str
    element_id: str | None
    message: str
    line: int | None = None
    severity: str = "error"

    @property
    def is_error(self) -> bool:
        return self.severity != WARNING

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element_id:
            where += f" [{self.element_id}]"
        return f"{where}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "element_id": self.element_id, "line": self.line,
                "message": self.message, "severity": self.severity}


def warning(file: str, element_id: str | None, message: str, line: int | None = None) -> Problem:
    return Problem(file, element_id, message, line, WARNING)


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.is_error]


class BpmnInvalid(ValueError):
    """Raised with every problem found (errors and warnings) when at least one is an error.

    `human_tasks` lists the human tasks read before the refusal (HumanTaskMeta), so a caller can
    still check what they reference (forms) and report that too.
    """

    def __init__(self, problems: list[Problem], human_tasks: list[Any] | None = None):
        self.problems = problems
        self.human_tasks = list(human_tasks or [])
        super().__init__("; ".join(str(p) for p in problems))
