"""An inbox page is one statement: its total comes with it (issue 15), right on every page."""
import pytest
from sqlalchemy import event

from tests.engine.services.test_dossiers import publish
from tests.support.bpmn import sequential

OFFICIAL = {"000.00.12.H15": {"official"}}


def _statements(services):
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        if not sql.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT")):
            seen.append(sql)

    for engine in {services.db.engine, services.db.read_engine}:
        event.listen(engine, "before_cursor_execute", record)
    return seen


def start(services, clock, n):
    codes = []
    for _ in range(n):
        codes.append(services.dossiers.start("P").code)
        clock.advance(minutes=1)
    return codes


def test_an_inbox_page_and_its_total_take_one_statement(services, dirs, clock):
    publish(services, dirs, "P", sequential(1))
    codes = start(services, clock, 3)
    seen = _statements(services)
    tasks, total = services.dossiers.list_tasks(candidate_of=OFFICIAL, order="created", limit=2)
    assert [t.dossier_code for t in tasks] == codes[:2] and total == 3
    assert len(seen) == 1, seen  # it was a count, then the page


def test_the_total_is_right_on_the_last_page_past_it_and_when_nothing_matches(services, dirs, clock):
    publish(services, dirs, "P", sequential(1))
    codes = start(services, clock, 3)
    tasks, total = services.dossiers.list_tasks(candidate_of=OFFICIAL, order="created", limit=2, offset=2)
    assert [t.dossier_code for t in tasks] == codes[2:] and total == 3
    assert services.dossiers.list_tasks(candidate_of=OFFICIAL, limit=2, offset=10) == ([], 3)
    assert services.dossiers.list_tasks(candidate_of={"000.00.12.H15": {"approver"}}) == ([], 0)



@pytest.mark.postgres_only
def test_the_inbox_visible_to_an_official_is_read_through_indexes(services, dirs, clock):
    """'Visible to me' is agency+role OR assignee OR owner: without an index on owner, PostgreSQL
    read the whole ready_tasks table for every inbox page (bench/inbox_bench.py)."""
    publish(services, dirs, "P", sequential(1))
    start(services, clock, 3)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, sql, params, *_args):
        seen.append((sql, params))

    event.listen(services.db.engine, "before_cursor_execute", record)
    services.dossiers.list_tasks(visible_to=("an", OFFICIAL))
    event.remove(services.db.engine, "before_cursor_execute", record)
    [(sql, params)] = [(q, p) for q, p in seen if "ready_tasks" in q]
    with services.db.engine.connect() as conn:
        conn.exec_driver_sql("SET enable_seqscan = off")  # as with many rows: an index if there is one
        plan = "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + sql, params))
    assert "ix_ready_tasks_owner" in plan, plan  # with the role and assignee indexes (BitmapOr)


def _rows_read(plan: dict, relation: str) -> float:
    """Rows the plan read from `relation` (EXPLAIN ANALYZE, JSON): rows per loop times loops."""
    own = plan["Actual Rows"] * plan["Actual Loops"] if plan.get("Relation Name") == relation else 0
    return own + sum(_rows_read(p, relation) for p in plan.get("Plans", []))


@pytest.mark.postgres_only
def test_an_inbox_page_joins_the_dossiers_of_its_own_rows_only(services, dirs, clock):
    """Issue 15: the page is sorted and counted on ready_tasks alone; only its rows meet their
    dossiers. It joined every match before LIMIT (2,834 dossier lookups a page with 100,000 dossiers)."""
    publish(services, dirs, "P", sequential(1))
    codes = start(services, clock, 6)
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, sql, params, *_args):
        seen.append((sql, params))

    event.listen(services.db.engine, "before_cursor_execute", record)
    tasks, total = services.dossiers.list_tasks(visible_to=("an", OFFICIAL), order="created", limit=2)
    event.remove(services.db.engine, "before_cursor_execute", record)
    assert [t.dossier_code for t in tasks] == codes[:2] and total == 6
    [(sql, params)] = [(q, p) for q, p in seen if "ready_tasks" in q]
    with services.db.engine.connect() as conn:
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):  # as with many rows
            conn.exec_driver_sql(f"SET {setting} = off")
        [[[plan]]] = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).all()
    assert _rows_read(plan["Plan"], "dossiers") == 2, plan
