"""Read a procedure folder, check it against the conventions and compile it (R-1.1, R-1.2).

A folder ``processes/<code>/`` holds ``procedure.toml``, one or more ``.bpmn`` files and optional
``.dmn`` files. User-task forms are JSON Schema files in ``forms/``, referenced from the BPMN.
Everything is checked at load and refused with located problems (file, element id, problem).
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from engine.domain.lifecycle_steps import FEEDBACK_KIND
from engine.execution.bpmn_compiler import BpmnInvalid, CompiledProcess, HumanTaskMeta, Problem, compile_process

from .feedback_check import check_feedback
from .lifecycle_check import check_lifecycle
from .metadata import METADATA_FILE, validate_metadata

FORMS_PREFIX = "forms/"


class ProcedureInvalid(ValueError):
    """Every problem found in a procedure folder, errors and warnings (at least one error)."""

    def __init__(self, folder: str, problems: list[Problem]):
        self.folder = folder
        self.problems = problems
        super().__init__(f"{folder}: " + "; ".join(str(p) for p in problems))


@dataclass(frozen=True)
class LoadedProcedure:
    code: str
    metadata: dict[str, Any]
    sources: dict[str, str]  # relative path -> text, forms under "forms/"
    content_hash: str
    compiled: CompiledProcess

    @property
    def warnings(self) -> list[Problem]:
        """Problems that do not refuse the procedure (shown by `motcua procedures check`)."""
        return self.compiled.warnings

    def form_schema(self, name: str) -> dict[str, Any] | None:
        text = self.sources.get(FORMS_PREFIX + name)
        return json.loads(text) if text is not None else None


def content_hash(sources: dict[str, str]) -> str:
    h = hashlib.sha256()
    for path in sorted(sources):
        data = sources[path].encode("utf-8")
        h.update(path.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()


def procedure_folders(processes_dir: Path) -> list[Path]:
    return sorted(p for p in processes_dir.iterdir() if p.is_dir() and (p / METADATA_FILE).exists())


def load_procedure(folder: Path, forms_dir: Path) -> LoadedProcedure:
    files = {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}
    forms = {p.name: p.read_bytes() for p in sorted(forms_dir.glob("*.json"))} if forms_dir.is_dir() else {}
    return build_procedure(folder.name, files, forms)


def _text(name: str, data: bytes, problems: list[Problem]) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        problems.append(Problem(name, None, f"not UTF-8 text (byte {err.start})"))
        return None


def build_procedure(folder: str, files: dict[str, bytes], forms: dict[str, bytes]) -> LoadedProcedure:
    """Check and compile a procedure from its files (by name) and the available forms (by name)."""
    problems: list[Problem] = []
    sources: dict[str, str] = {}

    raw_meta = files.get(METADATA_FILE)
    metadata: dict[str, Any] = {}
    if raw_meta is None:
        problems.append(Problem(METADATA_FILE, None, "missing: every procedure folder needs one"))
    else:
        text = _text(METADATA_FILE, raw_meta, problems)
        if text is not None:
            sources[METADATA_FILE] = text
            try:
                metadata, errors = validate_metadata(tomllib.loads(text))
                problems += [Problem(METADATA_FILE, key, msg) for key, msg in errors]
            except tomllib.TOMLDecodeError as err:
                problems.append(Problem(METADATA_FILE, None, f"not valid TOML: {err}"))

    bpmn = {n: d for n, d in files.items() if n.endswith(".bpmn")}
    dmn = {n: d for n, d in files.items() if n.endswith(".dmn")}
    for name, data in {**bpmn, **dmn}.items():
        text = _text(name, data, problems)
        if text is not None:
            sources[name] = text
    if not bpmn:
        problems.append(Problem(folder, None, "no .bpmn file"))
    if metadata and metadata["code"] != folder and folder not in ("", "."):
        # The folder name is how analysts find a procedure: keep it equal to the code.
        problems.append(Problem(METADATA_FILE, "code", f"code {metadata['code']!r} differs from the folder name {folder!r}"))

    # Every problem at once: the diagrams are checked even when procedure.toml has problems.
    compiled: CompiledProcess | None = None
    tasks: list[HumanTaskMeta] = []
    if bpmn and all(n in sources for n in bpmn):
        try:
            compiled = compile_process(bpmn, dmn, metadata.get("process_id"), process_id_file=METADATA_FILE)
            tasks = list(compiled.human_tasks.values())
        except BpmnInvalid as err:
            problems += err.problems
            tasks = err.human_tasks
    # Forms of user tasks and of message payloads.
    wanted = [(t.form, t.file, t.task_id) for t in tasks]
    if compiled is not None:
        wanted += [(m.form, m.file, m.elements[0] if m.elements else None) for m in compiled.messages.values()]
    _check_forms(wanted, forms, sources, problems)
    check_lifecycle(tasks, sources, problems, metadata.get("kind"))
    if metadata.get("kind") == FEEDBACK_KIND:
        check_feedback(sources, tasks, problems, metadata)
    if compiled is None or any(p.is_error for p in problems):
        raise ProcedureInvalid(folder, problems)
    return LoadedProcedure(metadata["code"], metadata, sources, content_hash(sources), compiled)


def _check_forms(wanted: list[tuple[str | None, str, str | None]], forms: dict[str, bytes], sources: dict[str, str],
                 problems: list[Problem]) -> None:
    """Each referenced form (form, file, element id) exists in forms/ and is a JSON Schema; found
    forms join the sources."""
    for form, file, element in wanted:
        if form is None:
            continue
        key = FORMS_PREFIX + form
        if key in sources:
            continue
        if form not in forms:
            problems.append(Problem(file, element, f"form {form!r} is not in forms/"))
            continue
        text = _text(key, forms[form], problems)
        if text is None:
            continue
        try:
            Draft202012Validator.check_schema(json.loads(text))
        except json.JSONDecodeError as err:
            problems.append(Problem(key, None, f"not valid JSON: {err.msg}", err.lineno))
            continue
        except RecursionError:
            problems.append(Problem(key, None, "nested too deeply to be a form"))
            continue
        except SchemaError as err:
            problems.append(Problem(key, "/".join(str(p) for p in err.path) or None, f"not a valid JSON Schema: {err.message}"))
            continue
        sources[key] = text
