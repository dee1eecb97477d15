"""Every folder of processes/ passes the engine's checks and the legal lint without a problem
(issue 11: `motcua procedures check processes/` and engine/procedures/legal_lint.py)."""
from pathlib import Path

import pytest

from engine.procedures.library import procedure_folders
from engine.procedures.validation import validate

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = procedure_folders(ROOT / "processes")


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_a_shipped_procedure_is_valid_and_lint_clean(folder):
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file() and p.name != "README.md"}
    forms = {p.name: p.read_bytes() for p in (ROOT / "forms").glob("*.json")}
    loaded, report = validate(folder.name, files, forms)
    assert loaded is not None and report.problems == [], report.text()
    assert (folder / "README.md").is_file()  # the legal source of every figure (issue 11)
