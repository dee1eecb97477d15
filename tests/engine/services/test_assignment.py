"""Assignment (R-4.1): the head assigns a named official who must exist, be active, hold the role and
belong to the agency (422 naming the problem); an assignment task's choice sends the dossier's next
`official` tasks of the competent agency to that official only."""
import pytest

from engine.domain.access import Official
from engine.services.errors import Conflict, InvalidInput
from tests.support.bpmn import Process, write_procedure

AGENCY, OTHER = "000.00.12.H15", "000.00.12.H20"
HEAD = Official("head", AGENCY, frozenset({"agency_head"}))
ASSIGN_FORM = {"type": "object", "required": ["official"], "properties": {"official": {"type": "string"}}}
USERS = {"head": (AGENCY, ["agency_head"]), "an": (AGENCY, ["official"]), "binh": (AGENCY, ["official"]),
         "chi": (AGENCY, ["approver"]), "other": (OTHER, ["official"]), "gone": (AGENCY, ["official"])}


@pytest.fixture
def people(services):
    for name, (agency, roles) in USERS.items():
        services.accounts.add(name, agency, roles, password="mật-khẩu-đủ-dài-1")
    services.accounts.set_active("gone", False)
    return {name: services.accounts.official(name) or Official(name, USERS[name][0], frozenset(USERS[name][1]))
            for name in USERS}


def assigned_flow() -> Process:
    # assign (head) -> appraise (official) -> approve (approver) -> review (official) -> consult
    # (official of another agency): only the competent agency's official tasks follow the assignment.
    p = (Process("p").start()
         .user("assign", lane="agency_head", form="assign.json", props={"lifecycle": "assignment"})
         .user("appraise", lane="official").user("approve", lane="approver").user("review", lane="official")
         .user("consult", lane=f"official@{OTHER}").end())
    return p.chain("start", "assign", "appraise", "approve", "review", "consult", "end")


def publish(services, dirs):
    write_procedure(dirs[0], "P", assigned_flow(), forms_dir=dirs[1], forms={"assign.json": ASSIGN_FORM})
    [entry] = services.procedures.sync()
    assert entry.outcome == "created", entry.problems
    services.procedures.publish("P")


def task(services, dossier_id, element):
    [t] = [t for t in services.dossiers.get(dossier_id).current_tasks if t.element_id == element]
    return t


@pytest.mark.parametrize("target, problem", [
    ("ghost", "no such official"), ("gone", "inactive"), ("chi", "does not hold role official"),
    ("other", f"belongs to agency {OTHER}"), ("", "no such official"),
])
def test_an_assignment_form_names_an_active_official_of_the_competent_agency(services, dirs, people, target, problem):
    publish(services, dirs)
    d = services.dossiers.start("P")
    t = task(services, d.id, "assign")
    with pytest.raises(InvalidInput) as err:
        services.tasks.complete(people["head"], t.task_id, {"official": target})
    assert err.value.problems == [("official", problem)]
    assert services.dossiers.get(d.id).version == 1  # nothing saved


def test_the_assigned_official_gets_the_next_official_tasks_only(services, dirs, people):
    publish(services, dirs)
    d = services.dossiers.start("P")
    done = services.tasks.complete(people["head"], task(services, d.id, "assign").task_id, {"official": "binh"})
    [appraise] = done.current_tasks
    assert appraise.assignee == "binh"  # pre-assigned when created
    with pytest.raises(Conflict, match="claimed by binh"):  # another official of the role cannot take it
        services.tasks.complete(people["an"], appraise.task_id, {})
    with pytest.raises(Conflict):
        services.tasks.claim(people["an"], appraise.task_id)
    services.tasks.complete(people["binh"], appraise.task_id, {})
    approve = task(services, d.id, "approve")
    assert approve.assignee is None  # an approver's task: not the assignment's
    services.tasks.complete(people["chi"], approve.task_id, {})
    review = task(services, d.id, "review")
    assert review.assignee == "binh"
    services.tasks.complete(people["binh"], review.task_id, {})
    assert task(services, d.id, "consult").assignee is None  # another agency's official task
    [event] = [e for e in services.dossiers.get(d.id).events if e["kind"] == "assigned"]
    assert event["detail"] == {"official": "binh", "rule": "R-4.1"} and event["actor"] == "head"


def test_the_head_may_still_reassign_a_pre_assigned_task(services, dirs, people):
    publish(services, dirs)
    d = services.dossiers.start("P")
    services.tasks.complete(people["head"], task(services, d.id, "assign").task_id, {"official": "binh"})
    appraise = task(services, d.id, "appraise")
    assert services.tasks.assign(people["head"], appraise.task_id, "an").assignee == "an"
    with pytest.raises(InvalidInput) as err:
        services.tasks.assign(people["head"], appraise.task_id, "gone")
    assert err.value.problems == [("user", "inactive")]


@pytest.mark.parametrize("change", ["disabled", "role_removed"])
def test_a_pre_assigned_official_who_can_no_longer_take_tasks_leaves_them_to_the_role(services, dirs, people,
                                                                                      change):
    # a task goes to an official who is active and holds the role. Once binh is disabled (or
    # loses the role) after the assignment, his next `official` tasks go to the pool of the role
    # (any official of the agency may claim them, the head may assign them) instead of sitting in
    # the inbox of someone who cannot act on them; the dossier's events say why.
    publish(services, dirs)
    d = services.dossiers.start("P")
    done = services.tasks.complete(people["head"], task(services, d.id, "assign").task_id, {"official": "binh"})
    [appraise] = done.current_tasks
    assert appraise.assignee == "binh"
    services.tasks.complete(people["binh"], appraise.task_id, {})
    if change == "disabled":
        services.accounts.set_active("binh", False)
    else:
        with services.ctx.uow() as uow:
            uow.accounts.set_roles("binh", ["approver"])
            uow.commit()
    services.tasks.complete(people["chi"], task(services, d.id, "approve").task_id, {})
    review = task(services, d.id, "review")
    assert review.assignee is None
    assert services.tasks.claim(people["an"], review.task_id).assignee == "an"
    [skipped] = [e for e in services.dossiers.get(d.id).events if e["kind"] == "assignment_skipped"]
    assert skipped["detail"]["official"] == "binh" and skipped["detail"]["element_id"] == "review"
