"""Running the `motcua` command line in-process, as the CLI tests do."""
from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run `motcua <argv…>` and return (exit code, stdout, stderr)."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def point_at(monkeypatch: pytest.MonkeyPatch, database_url: str, dirs: tuple[Path, Path]) -> None:
    """Make the command line use the test's database and its (processes/, forms/) folders."""
    processes, forms = dirs
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_PROCESSES_DIR", str(processes))
    monkeypatch.setenv("MOTCUA_FORMS_DIR", str(forms))
