"""An inbox page is one statement: its total comes with it (issue 15), right on every page."""
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
