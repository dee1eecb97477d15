"""Write-behind on PostgreSQL (engine/persistence/write_behind.py, issue 15): result-less writes
travel with the next statement or the COMMIT, in one round trip, and change nothing else: the same
rows are written, a later statement of the transaction sees them, an error still fails the
transaction, a rollback drops them."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from engine.bootstrap import build
from engine.persistence.models import DossierEvent, Step
from engine.persistence.write_behind import WRITE_BEHIND, waiting
from tests.engine.services.test_dossiers import publish
from engine.settings import Settings
from tests.support.bpmn import sequential

pytestmark = pytest.mark.postgres_only
AT = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)


def _build(clean_db, clock, dirs, pipeline):
    processes, forms = dirs
    return build(Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms, db_pipeline=pipeline),
                 clock=clock, migrate=False)


@pytest.fixture
def services(clean_db, clock, dirs):
    """MOTCUA_DB_PIPELINE=1 (opt-in)."""
    svc = _build(clean_db, clock, dirs, True)
    yield svc
    svc.close()


@pytest.fixture
def plain_services(clean_db, clock, dirs):
    """The default: no batching; round trips are counted all the same."""
    svc = _build(clean_db, clock, dirs, False)
    yield svc
    svc.close()


@pytest.fixture
def dossier_id(services, dirs):
    publish(services, dirs, "P", sequential(2))
    return services.dossiers.start("P").id


def events(services, dossier_id, kind):
    with services.ctx.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(DossierEvent)
                                  .where(DossierEvent.dossier_id == dossier_id, DossierEvent.kind == kind))


def test_a_waiting_write_is_sent_with_the_commit_in_one_exchange(services, dossier_id):
    exchanges = services.db.exchanges
    with services.ctx.uow() as uow:
        uow.dossiers.add_event(dossier_id, AT, "probe", "an")
        uow.dossiers.add_event(dossier_id, AT, "probe", "an")
        assert waiting(uow.session.connection().connection) == 2  # nothing sent yet
        before = exchanges.count
        uow.commit()
        assert exchanges.count - before == 1  # BEGIN, both INSERTs and the COMMIT together
    assert events(services, dossier_id, "probe") == 2


def test_the_next_statement_of_the_transaction_sees_a_waiting_write(services, dossier_id):
    with services.ctx.uow() as uow:
        uow.dossiers.add_event(dossier_id, AT, "probe", "an")
        seen = uow.session.scalar(select(func.count()).select_from(DossierEvent).where(DossierEvent.kind == "probe"))
        assert seen == 1
        assert waiting(uow.session.connection().connection) == 0
        uow.commit()
    assert events(services, dossier_id, "probe") == 1


def test_a_rollback_drops_waiting_writes_and_the_pooled_connection_starts_clean(services, dossier_id):
    with services.ctx.uow() as uow:
        uow.dossiers.add_event(dossier_id, AT, "dropped", "an")
        uow.rollback()
    with services.ctx.uow() as uow:  # the block ends without a commit: the pool rolls back
        uow.dossiers.add_event(dossier_id, AT, "dropped", "an")
    with services.ctx.uow() as uow:
        assert waiting(uow.session.connection().connection) == 0
        uow.dossiers.add_event(dossier_id, AT, "kept", "an")
        uow.commit()
    assert events(services, dossier_id, "dropped") == 0
    assert events(services, dossier_id, "kept") == 1


def test_an_error_in_a_waiting_write_fails_the_commit_and_writes_nothing(services, dossier_id):
    with services.ctx.uow() as uow:
        uow.dossiers.add_event(dossier_id, AT, "before", "an")
        uow.dossiers.add_event(10**12, AT, "orphan", "an")  # no such dossier: a foreign-key violation
        with pytest.raises(Exception, match="foreign key"):
            uow.commit()
    assert events(services, dossier_id, "before") == 0
    with services.ctx.uow() as uow:  # the connection serves the next transaction as usual
        uow.dossiers.add_event(dossier_id, AT, "after", "an")
        uow.commit()
    assert events(services, dossier_id, "after") == 1


def test_a_marked_statement_that_returns_rows_is_sent_at_once(services, dossier_id):
    stmt = insert(Step).values(dossier_id=dossier_id, task_id="t", element_id="e", name="n",
                               candidate_role="official", candidate_agency="A", created_at=AT,
                               completed_at=AT, data={}).returning(Step.id)
    with services.ctx.uow() as uow:
        step_id = uow.session.execute(stmt.execution_options(**WRITE_BEHIND)).scalar_one()
        assert step_id > 0
        uow.commit()


def test_a_completion_is_four_exchanges(services, dossier_id):
    """BEGIN with the task and its dossier; the state (compare-and-set); the task replaced; the
    step with the COMMIT. It was six: BEGIN and the step each cost one more."""
    task = services.dossiers.get(dossier_id).current_tasks[0]
    before = services.db.exchanges.count
    services.dossiers.complete_task(task.task_id, {}, "an")
    assert services.db.exchanges.count - before == 4
    assert len(services.dossiers.get(dossier_id).timeline) == 2


def test_timer_rows_replaced_by_a_completion_cost_no_round_trip(services, dirs):
    """Each task has a deadline timer (as the shipped procedures do): completing one deletes its
    timer row and inserts the next task's; both ride with the step and the COMMIT."""
    from tests.support.bpmn import Process

    p = (Process("p").start().user("a").user("b")
         .boundary_timer("late_a", "a", "deadline(working_hours=8)", interrupting=False)
         .boundary_timer("late_b", "b", "deadline(working_hours=8)", interrupting=False)
         .end("e1").end("e2").end("e3")
         .chain("start", "a", "b", "e1").chain("late_a", "e2").chain("late_b", "e3"))
    publish(services, dirs, "T", p)
    view = services.dossiers.start("T")
    with services.ctx.uow(write=False) as uow:
        assert [t.element_id for t in uow.timers.for_dossier(view.id)] == ["late_a"]
    before = services.db.exchanges.count
    services.dossiers.complete_task(view.current_tasks[0].task_id, {}, "an")
    assert services.db.exchanges.count - before == 4
    with services.ctx.uow(write=False) as uow:
        assert [t.element_id for t in uow.timers.for_dossier(view.id)] == ["late_b"]


def test_without_the_setting_a_completion_is_six_exchanges_and_nothing_waits(plain_services, dirs):
    """The default (MOTCUA_DB_PIPELINE unset): BEGIN, the task, the state, the tasks replaced, the
    step, the COMMIT, each on its own."""
    publish(plain_services, dirs, "P", sequential(2))
    view = plain_services.dossiers.start("P")
    before = plain_services.db.exchanges.count
    with plain_services.ctx.uow() as uow:
        uow.dossiers.add_event(view.id, AT, "probe", "an")
        assert waiting(uow.session.connection().connection) == 0
        uow.commit()
    assert plain_services.db.exchanges.count - before == 3  # BEGIN, the INSERT, the COMMIT
    before = plain_services.db.exchanges.count
    plain_services.dossiers.complete_task(view.current_tasks[0].task_id, {}, "an")
    assert plain_services.db.exchanges.count - before == 6


def test_the_setting_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOTCUA_DB_PIPELINE", "1")
    assert Settings.from_env().db_pipeline is True
    monkeypatch.delenv("MOTCUA_DB_PIPELINE")
    assert Settings.from_env().db_pipeline is False
