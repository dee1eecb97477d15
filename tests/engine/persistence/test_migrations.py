"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from engine.persistence.database import connect, current_revision
from engine.persistence.models import Base


def test_schema_is_at_head_and_matches_the_models(database_url):
    db = connect(database_url)
    try:
        assert current_revision(db) is not None
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        db.dispose()


def test_upgrade_from_empty_sqlite(tmp_path):
    from engine.persistence.database import upgrade

    db = connect(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revision(db) is None
        upgrade(db)
        upgrade(db)  # a second process starting later finds nothing to do
        assert current_revision(db) is not None
    finally:
        db.dispose()
