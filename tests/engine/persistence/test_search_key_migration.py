"""Migration 0010 folds the names of dossiers stored before it (R-7.1), so they are found too."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from engine.domain.search_text import fold
from engine.persistence.database import connect, upgrade


def test_fold_ignores_case_and_vietnamese_diacritics():
    assert fold("  Đặng Thị  Ánh ") == "dang thi anh"
    assert fold("NGUYỄN VĂN ƯỚC") == fold("nguyen van uoc") == "nguyen van uoc"


def test_names_stored_before_the_key_are_backfilled(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(db, "0009")
        at = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc).isoformat()
        raw = db.engine.raw_connection()  # autocommit: a bare row, its procedure version does not matter here
        try:
            cur = raw.cursor()
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("INSERT INTO dossiers (code, procedure_version_id, procedure_code, agency_id, channel, status,"
                        " state, version, received_at, started_at, applicant, updated_at, applicant_name)"
                        " VALUES ('X-1', 1, 'P', 'A', 'desk', 'processing', '{}', 1, ?, ?, '{}', ?, ?)",
                        (at, at, at, "Đặng Thị Ánh"))
        finally:
            raw.close()
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT applicant_name_key FROM dossiers")).scalar_one() == "dang thi anh"
    finally:
        db.dispose()
