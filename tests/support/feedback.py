"""The shipped feedback procedure (processes/PAKN-01, R-7.2) published into a test's database:
feedback cases run on it (engine/services/feedback_workflow.py)."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from engine.domain.feedback import PROCEDURE_CODE
from engine.procedures.library import LoadedProcedure, build_procedure, load_procedure

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "processes" / PROCEDURE_CODE


def shipped() -> LoadedProcedure:
    return load_procedure(FOLDER, ROOT / "forms")


def changed(edit) -> LoadedProcedure:  # type: ignore[no-untyped-def]
    """The shipped procedure with its diagram text passed through `edit` (a new version's diagram)."""
    files = {p.name: p.read_bytes() for p in FOLDER.iterdir() if p.is_file()}
    name = f"{PROCEDURE_CODE}.bpmn"
    files[name] = edit(files[name].decode("utf-8")).encode("utf-8")
    forms = {p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")}
    return build_procedure(PROCEDURE_CODE, files, forms)


def publish_feedback_procedure(services, loaded: LoadedProcedure | None = None,  # type: ignore[no-untyped-def]
                               effective_from: datetime | None = None) -> int:
    """Add `loaded` (default: the shipped folder) as a version and publish it; its number."""
    services.procedures.add_version(loaded or shipped())
    return services.procedures.publish(PROCEDURE_CODE, effective_from=effective_from).number


def unchecked(edit) -> LoadedProcedure:  # type: ignore[no-untyped-def]
    """Like `changed`, but compiled without the procedure checks: a stored version that the check
    would refuse today (e.g. stored before it existed), to prove the service still refuses it."""
    from engine.execution.bpmn_compiler import compile_process
    from engine.procedures.library import content_hash
    loaded = shipped()
    name = f"{PROCEDURE_CODE}.bpmn"
    sources = {**loaded.sources, name: edit(loaded.sources[name])}
    compiled = compile_process({name: sources[name].encode("utf-8")}, {}, loaded.metadata.get("process_id"))
    return LoadedProcedure(loaded.code, loaded.metadata, sources, content_hash(sources), compiled)
