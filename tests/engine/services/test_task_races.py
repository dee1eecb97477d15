"""Two actions on one ready task: exactly one wins, the other gets Conflict (409), never a 500.

Issue 7: over HTTP a candidate's "complete" racing the head's "assign" (or another official's
"claim") answered 200 to both, or 500 when the claim re-read a row the completion had deleted.
Every action reads the task, then writes with a compare-and-set on its version, in one
transaction; nothing is read back after the commit.

Two kinds of test:
- deterministic, on SQLite and PostgreSQL: action A's read is taken, action B commits, then A
  writes with what it read (its repository read is replayed): A must get Conflict and the stored
  task must be what B made of it. (SQLite serializes writers, so only a replayed read can
  interleave there.)
- threaded, PostgreSQL only: both actions, each with the version it saw as If-Match, released
  together by a barrier, a few rounds per pair.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from engine.persistence.repositories import TaskRepository
from engine.services.errors import Conflict
from tests.support.bpmn import sequential, write_procedure

AGENCY = "000.00.12.H15"  # write_procedure's default agency


@dataclass(frozen=True)
class Action:
    """One way of acting on the task, and what the task looks like after it alone succeeded."""

    label: str
    run: Callable[[Any, dict[str, Any], str, int | None], Any]  # (services, users, task id, If-Match)
    outcome: tuple[Any, ...]  # ("done", completed_by) or ("ready", assignee, owner)


def _complete(who: str) -> Action:
    return Action(f"complete by {who}", lambda s, u, t, v=None: s.tasks.complete(u[who], t, {"by": who}, v), ("done", who))


def _claim(who: str) -> Action:
    return Action(f"claim by {who}", lambda s, u, t, v=None: s.tasks.claim(u[who], t, v), ("ready", who, None))


def _unclaim(who: str) -> Action:
    return Action(f"unclaim by {who}", lambda s, u, t, v=None: s.tasks.unclaim(u[who], t, v), ("ready", None, None))


def _assign(target: str) -> Action:
    return Action(f"assign to {target}", lambda s, u, t, v=None: s.tasks.assign(u["head"], t, target, v),
                  ("ready", target, None))


def _delegate(target: str) -> Action:
    return Action(f"delegate to {target}", lambda s, u, t, v=None: s.tasks.delegate(u["an"], t, target, v),
                  ("ready", target, "an"))


def _resolve(who: str) -> Action:
    return Action(f"resolve by {who}", lambda s, u, t, v=None: s.tasks.resolve(u[who], t, v), ("ready", "an", None))


# The task's state before the race, and every action allowed in it (two variants each, so that
# an action can race itself with different actors where the rules allow two actors).
STATES: dict[str, dict[str, tuple[Action, Action]]] = {
    "unassigned": {
        "complete": (_complete("an"), _complete("binh")),
        "claim": (_claim("binh"), _claim("an")),
        "assign": (_assign("an"), _assign("binh")),
    },
    "claimed by an": {
        "complete": (_complete("an"), _complete("an")),
        "unclaim": (_unclaim("an"), _unclaim("head")),
        "assign": (_assign("binh"), _assign("chi")),
        "delegate": (_delegate("binh"), _delegate("chi")),
    },
    "delegated by an to binh": {
        "resolve": (_resolve("binh"), _resolve("binh")),
    },
}


def _pairs(ordered: bool) -> list[tuple[str, str, str]]:
    """(state, first action, second action): every pair of actions allowed in the same state."""
    out = []
    for state, actions in STATES.items():
        names = list(actions)
        for i, a in enumerate(names):
            out += [(state, a, b) for b in (names if ordered else names[i:])]
    return out


@pytest.fixture
def race(services, dirs):
    write_procedure(dirs[0], "P", sequential(2))
    services.procedures.sync()
    services.procedures.publish("P")
    for name, roles in (("an", ["official"]), ("binh", ["official"]), ("chi", ["official"]),
                        ("head", ["agency_head"])):
        services.accounts.add(name, AGENCY, roles, password="mật-khẩu-đủ-dài-1")
    users = {name: services.accounts.official(name) for name in ("an", "binh", "chi", "head")}
    return services, users


def _prepare(services: Any, users: dict[str, Any], state: str) -> tuple[int, str]:
    """A new dossier whose first task is in `state`; returns (dossier id, task id)."""
    d = services.dossiers.start("P")
    task_id = d.current_tasks[0].task_id
    if state != "unassigned":
        services.tasks.claim(users["an"], task_id)
    if state == "delegated by an to binh":
        services.tasks.delegate(users["an"], task_id, "binh")
    return d.id, task_id


def _stored(services: Any, dossier_id: int, task_id: str) -> tuple[Any, ...]:
    with services.ctx.uow(write=False) as uow:
        row = uow.tasks.get(task_id)
        steps = [s for s in uow.dossiers.steps(dossier_id) if s.task_id == task_id]
    if row is not None:
        assert not steps
        return ("ready", row.assignee, row.owner)
    [step] = steps
    return ("done", step.completed_by)


def _version(services: Any, task_id: str) -> int | None:
    with services.ctx.uow(write=False) as uow:
        row = uow.tasks.get(task_id)
        return row.version if row is not None else None


def test_action_on_a_stale_read_conflicts_and_the_other_action_stands(race, monkeypatch):
    services, users = race
    for state, first, second in _pairs(ordered=True):  # one dossier per case; 26 cases
        case = f"{state}: {first} on a stale read, {second} committed"
        loser, winner = STATES[state][first][0], STATES[state][second][1]
        dossier_id, task_id = _prepare(services, users, state)
        before = _version(services, task_id)
        with services.ctx.uow(write=False) as uow:  # what the loser reads ...
            stale = {"for_action": uow.tasks.for_action(task_id),
                     "get_with_dossier": uow.tasks.get_with_dossier(task_id)}
        winner.run(services, users, task_id)  # ... before the winner commits
        with monkeypatch.context() as patch:
            for method, value in stale.items():
                real = getattr(TaskRepository, method)
                patch.setattr(TaskRepository, method,
                              lambda self, tid, _real=real, _value=value: _value if tid == task_id else _real(self, tid))
            with pytest.raises(Conflict):
                loser.run(services, users, task_id)
                pytest.fail(f"{case}: both succeeded")
        assert _stored(services, dossier_id, task_id) == winner.outcome, case
        if winner.outcome[0] == "ready":
            assert _version(services, task_id) == before + 1, case  # one change, none lost


def test_completion_with_a_stale_if_match_conflicts(race):
    services, users = race
    _, task_id = _prepare(services, users, "unassigned")
    services.tasks.claim(users["an"], task_id)  # version 1 -> 2
    with pytest.raises(Conflict, match="not 1"):
        services.tasks.complete(users["an"], task_id, {}, version=1)
    assert services.tasks.complete(users["an"], task_id, {}, version=2).completed_task_id == task_id


def test_action_on_a_completed_task_conflicts(race):
    # The loser may also read after the winner's commit: the task is then gone, and it was
    # completed, so the answer is 409, not 404.
    services, users = race
    _, task_id = _prepare(services, users, "unassigned")
    services.tasks.complete(users["an"], task_id, {})
    for act in (lambda: services.tasks.claim(users["binh"], task_id),
                lambda: services.tasks.assign(users["head"], task_id, "binh"),
                lambda: services.tasks.complete(users["binh"], task_id, {}),
                lambda: services.tasks.add_comment(users["an"], task_id, "muộn")):
        with pytest.raises(Conflict, match="already completed"):
            act()


ROUNDS = 3


@pytest.mark.postgres_only
def test_racing_threads_exactly_one_wins(race):
    services, users = race
    for state, first, second in _pairs(ordered=False):  # 17 pairs
        actions = (STATES[state][first][0], STATES[state][second][1])
        for _ in range(ROUNDS):
            dossier_id, task_id = _prepare(services, users, state)
            # Both act on the version they saw (If-Match): some pairs may otherwise both succeed
            # legitimately one after the other (a claim, then the head re-assigns).
            seen = _version(services, task_id)
            barrier = threading.Barrier(2)
            results: list[Any] = [None, None]

            def act(i: int) -> None:
                barrier.wait()
                try:
                    actions[i].run(services, users, task_id, seen)
                    results[i] = "ok"
                except Conflict:
                    results[i] = "conflict"
                except Exception as err:  # anything else would be a 500
                    results[i] = err

            threads = [threading.Thread(target=act, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            case = f"{state}: {actions[0].label} vs {actions[1].label}"
            assert sorted(map(str, results)) == ["conflict", "ok"], (case, results)
            winner = actions[results.index("ok")]
            assert _stored(services, dossier_id, task_id) == winner.outcome, case
