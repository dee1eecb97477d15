"""Read-only units of work end with COMMIT on PostgreSQL, so psycopg keeps its prepared statements
(engine/persistence/prepared.py, issue 15); anything that wrote and was not committed still rolls
back, and a read's row lock is released either way."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, delete, insert, select, text
from sqlalchemy.pool import NullPool

from engine.persistence import database
from engine.persistence.models import RateCounter
from engine.persistence.unit_of_work import UnitOfWorkFactory

pytestmark = pytest.mark.postgres_only
AT = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def uow(clean_db):
    db = database.connect(clean_db, pool_size=1)  # one pooled connection: every unit of work reuses it
    yield UnitOfWorkFactory(db)
    db.dispose()


def _prepared_on_the_pooled_connection(uow) -> int:
    with uow(write=False) as u:
        return u.session.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()


def test_a_statement_read_again_and_again_stays_prepared(uow):
    # psycopg prepares a statement the 6th time it runs on a connection (prepare_threshold 5), and
    # forgets them all on ROLLBACK: ending each read with ROLLBACK, it never got there.
    for _ in range(7):
        with uow(write=False) as u:
            u.session.execute(select(RateCounter.hits).where(RateCounter.scope == "login")).all()
    assert _prepared_on_the_pooled_connection(uow) >= 1


def test_a_write_left_uncommitted_is_rolled_back(uow):
    with uow() as u:
        u.session.execute(select(RateCounter.hits)).all()  # a read first: the transaction is not read-only after
        u.session.execute(insert(RateCounter).values(scope="login", subject="x", hits=1, resets_at=AT))
    with uow(write=False) as u:
        assert u.session.execute(select(RateCounter.hits)).all() == []


def test_a_pending_orm_object_left_uncommitted_is_not_flushed(uow):
    with uow() as u:
        u.session.execute(select(RateCounter.hits)).all()
        u.session.add(RateCounter(scope="login", subject="y", hits=1, resets_at=AT))
    with uow(write=False) as u:
        assert u.session.execute(select(RateCounter.hits)).all() == []


def test_an_error_in_a_read_rolls_back(uow):
    with pytest.raises(RuntimeError):
        with uow(write=False) as u:
            u.session.execute(select(RateCounter.hits)).all()
            raise RuntimeError("refused")
    with uow(write=False) as u:  # the pooled connection is clean: no transaction left open
        assert u.session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_read_only_unit_of_work_releases_the_rows_it_locked(uow, clean_db):
    with uow() as u:
        u.session.execute(insert(RateCounter).values(scope="login", subject="z", hits=1, resets_at=AT))
        u.commit()
    with uow() as u:
        u.session.execute(select(RateCounter).where(RateCounter.subject == "z").with_for_update()).all()
    other = create_engine(clean_db, poolclass=NullPool)
    try:
        with other.begin() as conn:  # NOWAIT: fails at once if the lock were still held
            conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            assert conn.execute(select(RateCounter.hits).where(RateCounter.subject == "z")
                                .with_for_update(nowait=True)).scalar_one() == 1
            conn.execute(delete(RateCounter))
    finally:
        other.dispose()
