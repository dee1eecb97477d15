"""Shared fixtures. The same suite runs on SQLite (default) and on PostgreSQL when
MOTCUA_TEST_DATABASE_URL points at a server (see .ci/run)."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from engine.bootstrap import build
from engine.clock import ManualClock
from engine.persistence.database import connect, upgrade
from engine.persistence.models import Base
from engine.settings import Settings

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PG_URL = os.environ.get("MOTCUA_TEST_DATABASE_URL")


def pytest_report_header(config: pytest.Config) -> str:
    return f"motcua database: {PG_URL or 'SQLite (temporary file)'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if PG_URL:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (MOTCUA_TEST_DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


def reset_schema(url: str) -> None:
    db = connect(url)
    try:
        if db.dialect == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(db)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = PG_URL or f"sqlite:///{tmp_path_factory.mktemp('db') / 'motcua.db'}"
    reset_schema(url)
    return url


def _truncate(url: str) -> None:
    db = connect(url)
    try:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
        with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))
            else:
                for name in tables:
                    conn.execute(text(f"DELETE FROM {name}"))
    finally:
        db.dispose()


@pytest.fixture
def clean_db(database_url: str):
    yield database_url
    _truncate(database_url)


@pytest.fixture
def clock() -> ManualClock:
    # Thursday 26 November 2026, 09:00 in Hanoi: a plain working day.
    return ManualClock(datetime(2026, 11, 26, 9, 0, tzinfo=VN))


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    processes.mkdir()
    forms.mkdir()
    return processes, forms


@pytest.fixture
def services(clean_db: str, clock: ManualClock, dirs: tuple[Path, Path]):
    processes, forms = dirs
    settings = Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms,
                        argon2_memory_kib=1024, argon2_time_cost=1)  # fast hashes in tests
    svc = build(settings, clock=clock, migrate=False)
    yield svc
    svc.close()
