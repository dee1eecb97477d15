"""An official's tasks to a colleague at once (R-4.1), e.g. when the official is deactivated: the
agency head's bulk assignment, with the rule of one assignment and all or nothing."""
import pytest

from engine.domain.access import Official
from engine.persistence.repositories import TaskRepository
from engine.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.support.bpmn import sequential, write_procedure

H15, H20 = "000.00.12.H15", "000.00.12.H20"
PASSWORD = "mật-khẩu-đủ-dài-1"
ROOT = Official("cli:root", "", frozenset({"admin"}))


@pytest.fixture
def office(services, dirs):
    """Three dossiers whose first task `an` holds: two claimed, one delegated to `an` by binh."""
    write_procedure(dirs[0], "P", sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    for name, agency, roles in [("head", H15, ["agency_head"]), ("an", H15, ["official"]),
                                ("binh", H15, ["official"]), ("chi", H15, ["official"]),
                                ("duyet", H15, ["approver"]), ("other", H20, ["official"]),
                                ("other_head", H20, ["agency_head"]), ("gone", H15, ["official"])]:
        services.accounts.add(name, agency, roles, password=PASSWORD)
    services.account_admin.set_active(ROOT, "gone", False)
    users = {n: services.accounts.official(n) for n in ("head", "an", "binh", "other_head")}
    tasks = [services.dossiers.start("P").current_tasks[0].task_id for _ in range(3)]
    services.tasks.claim(users["an"], tasks[0])
    services.tasks.claim(users["an"], tasks[1])
    services.tasks.claim(users["binh"], tasks[2])
    services.tasks.delegate(users["binh"], tasks[2], "an")
    return users, tasks


def holder(services, task_id):
    with services.ctx.uow(write=False) as uow:
        row = uow.tasks.get(task_id)
        return row.assignee, row.owner


def test_the_head_moves_every_claimed_task_to_a_colleague_and_leaves_delegations_to_their_owner(services, office):
    users, tasks = office
    result = services.reassignment.reassign_claimed(users["head"], "an", "chi", "r-1")
    assert sorted(t.task_id for t in result.moved) == sorted(tasks[:2])
    assert all(t.assignee == "chi" for t in result.moved)
    assert [s.task_id for s in result.skipped] == [tasks[2]] and "binh" in result.skipped[0].reason
    assert [holder(services, t) for t in tasks] == [("chi", None), ("chi", None), ("an", "binh")]
    with services.ctx.uow(write=False) as uow:
        record = uow.audit.recent(1)[0]
    assert (record.actor, record.action, record.target, record.request_id) == ("head", "tasks.reassign",
                                                                                "accounts/an", "r-1")
    assert sorted(record.detail["tasks"]) == sorted(tasks[:2]) and record.detail["to"] == "chi"


@pytest.mark.parametrize("target, problems", [
    ("nobody", ["no such official"]),
    ("gone", ["is deactivated"]),
    ("other", [f"is not in {H15}"]),
    ("duyet", ["does not hold the role official the tasks need"]),
    ("an", ["is the official whose tasks are reassigned"]),
])
def test_a_target_that_could_not_be_assigned_one_task_is_refused_naming_the_problem(services, office, target,
                                                                                   problems):
    users, tasks = office
    with pytest.raises(InvalidInput) as err:
        services.reassignment.reassign_claimed(users["head"], "an", target)
    assert err.value.problems == [("to", p) for p in problems]
    assert [holder(services, t)[0] for t in tasks] == ["an", "an", "an"]


def test_only_the_head_of_the_officials_agency_reassigns(services, office):
    users, _ = office
    with pytest.raises(Forbidden):
        services.reassignment.reassign_claimed(users["binh"], "an", "chi")
    with pytest.raises(NotFound):
        services.reassignment.reassign_claimed(users["other_head"], "an", "chi")
    with pytest.raises(NotFound):
        services.reassignment.reassign_claimed(users["head"], "nobody", "chi")
    assert len(services.reassignment.reassign_claimed(ROOT, "an", "chi").moved) == 2  # the way out for the operator


def test_a_task_changed_meanwhile_moves_nothing(services, office, monkeypatch):
    users, tasks = office
    with services.ctx.uow(write=False) as uow:
        read = uow.tasks.claimed_by("an")  # the head's read ...
    services.tasks.unclaim(users["an"], tasks[1])  # ... then an releases a task before the head writes
    monkeypatch.setattr(TaskRepository, "claimed_by", lambda self, username: read)
    with pytest.raises(Conflict):
        services.reassignment.reassign_claimed(users["head"], "an", "chi")
    assert [holder(services, t)[0] for t in tasks[:2]] == ["an", None]  # all or nothing
