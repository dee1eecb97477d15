"""Migration 0020 keys the senders' names of feedback stored before it (applicant.name_key), so an
applicant's "my feedback" still finds their older cases (R-7.1, R-7.2)."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from engine.domain.applicant import name_key
from engine.persistence.database import connect, upgrade


def test_name_key_keeps_diacritics_and_drops_case_and_spaces():
    assert name_key("  LÊ VĂN   CƯỜNG ") == name_key("Lê Văn Cường") == "lê văn cường"
    assert name_key("Le Van Cuong") != name_key("Lê Văn Cường")  # another name, not a spelling


def test_senders_stored_before_the_key_are_backfilled(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        upgrade(db, "0019")
        at = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc).isoformat()
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO feedback (code, agency_id, channel, status, sender, sender_id_number, subject,"
                " content, received_at, entered_at, entered_by, entered_late, due_at, version)"
                " VALUES ('PAKN-1', 'A', 'online', 'received', :sender, '001085012345', 'S', 'C', :at, :at,"
                " 'x', 0, :at, 1)"), {"sender": '{"name": "Lê  Văn CƯỜNG", "id_number": "001085012345"}', "at": at})
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT sender_name_key FROM feedback")).scalar_one() == "lê văn cường"
    finally:
        db.dispose()
