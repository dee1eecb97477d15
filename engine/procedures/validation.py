"""The validation report of a procedure's files: the engine's checks plus the legal lint (issue 12).

Every problem at once, each with severity, file, element id, line (when the XML parser gives one)
and a sentence a modeler understands. Errors refuse the files; warnings do not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.execution.checks.problems import Problem

from .legal_lint import lint
from .library import FORMS_PREFIX, LoadedProcedure, ProcedureInvalid, build_procedure


@dataclass(frozen=True)
class ValidationReport:
    code: str | None
    problems: list[Problem] = field(default_factory=list)
    content_hash: str | None = None  # of the accepted files

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "valid": self.valid, "errors": len(self.errors), "warnings": len(self.warnings),
                "content_hash": self.content_hash, "problems": [p.to_dict() for p in self.problems]}

    def text(self) -> str:
        lines = [str(p) for p in self.problems]
        verdict = "valid" if self.valid else "refused"
        lines.append(f"{self.code or '(procedure)'}: {verdict} ({len(self.errors)} errors, {len(self.warnings)} warnings)")
        return "\n".join(lines)


def validate(folder: str, files: dict[str, bytes], forms: dict[str, bytes],
             roles_by_agency: dict[str, set[str]] | None = None) -> tuple[LoadedProcedure | None, ValidationReport]:
    """Check and compile a procedure's files (by name) with the forms at hand (by name), then lint
    it. Returns the loaded procedure (None when an error refuses it) and the report."""
    try:
        loaded = build_procedure(folder, files, forms)
    except ProcedureInvalid as err:
        return None, ValidationReport(folder or None, err.problems)
    report = report_of(loaded, roles_by_agency)
    return (loaded if report.valid else None), report


def report_of(loaded: LoadedProcedure, roles_by_agency: dict[str, set[str]] | None = None) -> ValidationReport:
    """The report of a procedure the engine's checks accepted: their warnings plus the legal lint
    (`roles_by_agency` None: without the lane-to-account check, which needs the accounts)."""
    return ValidationReport(loaded.code, list(loaded.warnings) + lint(loaded, roles_by_agency), loaded.content_hash)


def split_sources(sources: dict[str, str]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """A stored version's sources as (files, forms), as a folder upload would give them."""
    files = {k: v.encode("utf-8") for k, v in sources.items() if not k.startswith(FORMS_PREFIX)}
    forms = {k[len(FORMS_PREFIX):]: v.encode("utf-8") for k, v in sources.items() if k.startswith(FORMS_PREFIX)}
    return files, forms
