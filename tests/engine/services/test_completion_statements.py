"""Issue 15: the statements of one service-layer completion, counted, so a regression fails here
(bench/engine_bench.py times the same loop)."""
import pytest
from sqlalchemy import event

from engine.services.errors import Conflict
from tests.engine.services.test_dossiers import publish
from tests.support.bpmn import sequential

# BEGIN and COMMIT not counted: the task with its dossier; the dossier's state (compare-and-set);
# the completed task deleted at its version and the next one inserted (PostgreSQL: one
# data-modifying CTE; SQLite: two statements); the step.
EXPECTED = {"postgresql": ["SELECT", "UPDATE", "WITH", "INSERT"],
            "sqlite": ["SELECT", "UPDATE", "DELETE", "INSERT", "INSERT"]}


def test_a_completion_readying_the_next_task_is_one_transaction_of_few_statements(services, dirs):
    publish(services, dirs, "P", sequential(3))
    view = services.dossiers.start("P")
    seen: list[str] = []

    def record(_conn, _cursor, sql, *_args):
        if not sql.startswith("BEGIN"):
            seen.append(sql.split()[0].upper())

    event.listen(services.db.engine, "before_cursor_execute", record)
    try:
        done = services.dossiers.complete_task(view.current_tasks[0].task_id, {}, "an")
    finally:
        event.remove(services.db.engine, "before_cursor_execute", record)
    assert seen == EXPECTED[services.db.dialect]
    [next_task] = done.current_tasks
    assert [t.task_id for t in services.dossiers.get(view.id).current_tasks] == [next_task.task_id]
    assert len(services.dossiers.get(view.id).timeline) == 2  # the step, then the open task


def test_a_task_changed_meanwhile_is_a_conflict_and_its_successor_is_not_inserted(services, dirs):
    publish(services, dirs, "P", sequential(3))
    view = services.dossiers.start("P")
    task = view.current_tasks[0]

    def bump(row, _dossier):  # someone claims the task between our read and our write
        with services.ctx.uow() as uow:
            assert uow.tasks.update_if(row.task_id, {"version": row.version}, assignee="binh") is not None
            uow.commit()

    if services.db.dialect == "sqlite":
        pytest.skip("SQLite writers queue whole transactions (BEGIN IMMEDIATE): no one writes in between")
    with pytest.raises(Conflict):
        services.dossiers.complete_task(task.task_id, {}, "an", check=bump)
    after = services.dossiers.get(view.id)
    assert [(t.task_id, t.assignee) for t in after.current_tasks] == [(task.task_id, "binh")]
    assert after.timeline[0].done_at is None and len(after.timeline) == 1



def test_the_replacing_statement_is_cached_not_compiled_per_completion():
    """SQLAlchemy compiles a statement once when it has a cache key; a multi-row VALUES of literal
    rows has none, and compiling it anew cost ~1-2 ms every completion (PostgreSQL)."""
    from engine.persistence.repositories import _replace_ready

    assert _replace_ready(("task_id", "dossier_id", "name"), 2)._generate_cache_key() is not None
