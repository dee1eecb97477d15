"""Finding the PostgreSQL client tools for backups (R-9.2)."""
import glob

import pytest

from engine.persistence.backup import ToolError, pg_tool


def test_a_missing_tool_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MOTCUA_PG_BINDIR", raising=False)
    with pytest.raises(ToolError, match=r"pg_nosuchtool not found: not on PATH.*postgresql-client.*MOTCUA_PG_BINDIR"):
        pg_tool("pg_nosuchtool", 16)


def test_the_configured_directory_comes_first(monkeypatch, tmp_path):
    tool = tmp_path / "pg_dump"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    monkeypatch.setenv("MOTCUA_PG_BINDIR", str(tmp_path))
    assert pg_tool("pg_dump", 16) == str(tool)


def test_the_servers_binaries_serve_when_not_on_path(monkeypatch, tmp_path):
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    if not found:
        pytest.skip("no PostgreSQL installed in /usr/lib/postgresql")
    major = int(found[0].split("/")[4])
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("MOTCUA_PG_BINDIR", raising=False)
    assert pg_tool("pg_dump", major) == found[0]
