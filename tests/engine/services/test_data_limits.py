"""The service layer refuses data it cannot store, whoever calls it (CLI, API, later entrypoints):
depth, size, non-finite numbers, integers beyond 64 bits, untyped values (issue 7)."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from engine.bootstrap import build
from engine.persistence.models import Dossier
from engine.services.errors import InvalidInput, TooLarge
from engine.settings import Settings
from tests.engine.services.test_dossiers import publish
from tests.support.bpmn import sequential


@pytest.fixture
def small(clean_db, clock, dirs):
    """Services with small limits: 4 levels, 300 bytes of JSON."""
    processes, forms = dirs
    settings = Settings(database_url=clean_db, processes_dir=processes, forms_dir=forms, argon2_memory_kib=1024,
                        argon2_time_cost=1, max_json_depth=4, max_data_bytes=300)
    svc = build(settings, clock=clock, migrate=False)
    publish(svc, dirs, "P", sequential(2))
    yield svc
    svc.close()


def dossier_count(svc) -> int:
    with svc.ctx.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(Dossier))


def nested(depth: int) -> object:
    value: object = 1
    for _ in range(depth):
        value = {"a": value}
    return value


BAD_VALUES = [
    ({"x": float("nan")}, "data.x", "finite"),
    ({"x": [1, float("inf")]}, "data.x[1]", "finite"),
    ({"x": -float("inf")}, "data.x", "finite"),
    ({"x": 2**63}, "data.x", "64 bits"),
    ({"x": -(2**63) - 1}, "data.x", "64 bits"),
    ({"x": "a\x00b"}, "data.x", "invalid characters"),
    ({"x": "\ud800"}, "data.x", "invalid characters"),
    ({"x": datetime(2026, 1, 1, tzinfo=timezone.utc)}, "data.x", "not a JSON value"),
    ({"x": {1: "a"}}, "data.x.1", "keys"),
    ({"x": nested(4)}, "data.x.a.a.a", "deeper than 4"),  # data, x's 4 levels: the 5th container
]


@pytest.mark.parametrize("data,field,problem", BAD_VALUES, ids=[b[1] + ":" + b[2] for b in BAD_VALUES])
def test_start_refuses_data_it_cannot_store(small, data, field, problem):
    with pytest.raises(InvalidInput) as err:
        small.dossiers.start("P", data=data)
    [(where, what)] = err.value.problems
    assert where == field and problem in what
    assert dossier_count(small) == 0


@pytest.mark.parametrize("data,field,problem", BAD_VALUES, ids=[b[1] + ":" + b[2] for b in BAD_VALUES])
def test_completion_refuses_data_it_cannot_store(small, data, field, problem):
    d = small.dossiers.start("P")
    [task] = d.current_tasks
    with pytest.raises(InvalidInput) as err:
        small.dossiers.complete_task(task.task_id, data, "u")
    [(where, what)] = err.value.problems
    assert where == field and problem in what
    assert small.dossiers.get(d.id).version == 1  # nothing saved
    assert small.dossiers.complete_task(task.task_id, {"x": 1.5, "n": 2**63 - 1}, "u").version == 2


def test_depth_limit_is_named_and_the_limit_itself_is_accepted(small):
    with pytest.raises(InvalidInput) as err:
        small.dossiers.start("P", data={"x": nested(4)})
    assert err.value.extra["limit"] == 4 and "MOTCUA_MAX_JSON_DEPTH" in err.value.detail
    assert small.dossiers.start("P", data={"x": nested(3)}).version == 1  # data + 3 = 4 levels


def test_size_limit_is_named(small):
    # {"x":"…"} is 8 bytes of JSON around the text: 292 characters fill the 300-byte limit exactly
    assert small.dossiers.start("P", data={"x": "a" * 292}).version == 1
    with pytest.raises(TooLarge) as err:
        small.dossiers.start("P", data={"x": "a" * 293})
    assert err.value.extra["limit"] == 300 and "MOTCUA_MAX_DATA_BYTES" in err.value.detail
    # UTF-8 bytes, not characters: "ệ" is 3 bytes, so 98 of them (294 bytes) are over
    with pytest.raises(TooLarge):
        small.dossiers.start("P", data={"x": "ệ" * 98})
    d = small.dossiers.start("P")
    with pytest.raises(TooLarge):
        small.dossiers.complete_task(d.current_tasks[0].task_id, {"x": "a" * 293}, "u")


def test_applicant_is_checked_too(small):
    with pytest.raises(InvalidInput) as err:
        small.dossiers.start("P", applicant={"name": "An", "age": float("nan")})
    assert err.value.problems[0][0] == "applicant.age"


def test_a_pathologically_deep_value_is_refused_without_recursion(small):
    deep: object = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(InvalidInput):
        small.dossiers.start("P", data={"x": deep})


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MOTCUA_MAX_JSON_DEPTH", "7")
    monkeypatch.setenv("MOTCUA_MAX_DATA_BYTES", "1234")
    limits = Settings.from_env().data_limits
    assert (limits.max_depth, limits.max_bytes) == (7, 1234)


@pytest.mark.parametrize("value,problem", [(float("nan"), "finite"), (2**64, "64 bits"), ("a\x00", "invalid")],
                         ids=["nan", "2^64", "nul"])
def test_message_payloads_follow_the_same_rule(services, dirs, value, problem):
    from tests.engine.services.test_messages import DESK
    from tests.support.bpmn import Process, publish_procedure

    p = (Process("p").start().message_catch("supplemented", "applicant supplemented").user("review").end()
         .chain("start", "supplemented", "review", "end"))
    publish_procedure(services, "P", p)
    d = services.dossiers.start("P")
    with pytest.raises(InvalidInput) as err:
        services.messages.deliver(DESK, d.id, "applicant supplemented", {"note": value})
    assert err.value.problems[0][0] == "payload.note" and problem in err.value.problems[0][1]
    deep: object = []
    for _ in range(100_000):  # no RecursionError from the size check
        deep = [deep]
    with pytest.raises(InvalidInput):
        services.messages.deliver(DESK, d.id, "applicant supplemented", {"deep": deep})
    assert services.dossiers.get(d.id).version == 1
