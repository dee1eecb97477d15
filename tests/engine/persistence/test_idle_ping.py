"""A pooled PostgreSQL connection is pinged only after it idled (issue 15): SQLAlchemy's
pool_pre_ping cost a round trip on every transaction. A connection that died while idle is
replaced without the caller seeing it."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import engine.persistence.database as database
from tests.conftest import PG_URL


class FakeMonotonic:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    fake = FakeMonotonic()
    monkeypatch.setattr(database, "time", fake)
    return fake


def counting_pings(engine, monkeypatch):
    pings = []
    stock = engine.dialect.do_ping

    def ping(dbapi_conn):
        pings.append(1)
        return stock(dbapi_conn)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return pings


def test_a_connection_back_in_use_within_the_idle_window_is_not_pinged(tmp_path, fake_time, monkeypatch):
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    database._ping_when_idle(engine, idle_seconds=10)
    pings = counting_pings(engine, monkeypatch)
    for _ in range(3):
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        fake_time.now += 9
    assert pings == []
    fake_time.now += 2  # 11 s since the last checkin
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert pings == [1]


@pytest.mark.postgres_only
def test_a_connection_that_died_while_idle_is_replaced_unseen(fake_time):
    db = database.connect(PG_URL)
    try:
        with db.engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = create_engine(PG_URL, poolclass=NullPool)  # as a server restart would
        with killer.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        fake_time.now += database.IDLE_PING_SECONDS + 1
        with db.engine.connect() as conn:  # the pooled one is dead: the ping finds it, a new one serves
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        db.dispose()
