"""A procedure version's life: draft → submitted → published → retired, and the announcing decision
(R-1.2, R-1.3, R-1.4). Pure rules over plain values; the services apply them and record who did it.

    draft ──submit──▶ submitted ──publish──▶ published ──retire──▶ retired
      ▲                   │
      └──────return───────┘        (the control office sends a draft back with its remarks)

Analysts replace a draft until they submit it; the control office publishes or returns it. A
procedure (not a version) is repealed from an instant: no new dossier starts on it from then on,
while dossiers already running finish on their version (R-1.2, 001 Đ19.6.e).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum


class VersionState(str, Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for the control office's review
    PUBLISHED = "published"
    RETIRED = "retired"


class Action(str, Enum):
    SUBMIT = "submit"
    RETURN = "return"
    PUBLISH = "publish"
    RETIRE = "retire"


TRANSITIONS: dict[tuple[VersionState, Action], VersionState] = {
    (VersionState.DRAFT, Action.SUBMIT): VersionState.SUBMITTED,
    (VersionState.SUBMITTED, Action.RETURN): VersionState.DRAFT,
    (VersionState.SUBMITTED, Action.PUBLISH): VersionState.PUBLISHED,
    (VersionState.PUBLISHED, Action.RETIRE): VersionState.RETIRED,
}


class TransitionRefused(ValueError):
    """The action does not apply to a version in this state (the services answer 409)."""


def advance(state: VersionState | str, action: Action) -> VersionState:
    """The state after `action`, or TransitionRefused naming what is possible instead."""
    state = VersionState(state)
    after = TRANSITIONS.get((state, action))
    if after is None:
        possible = [a.value for (s, a) in TRANSITIONS if s is state]
        raise TransitionRefused(f"a {state.value} version cannot be {_PAST[action]}"
                                + (f" (possible: {', '.join(possible)})" if possible else ""))
    return after


_PAST = {Action.SUBMIT: "submitted", Action.RETURN: "returned to draft", Action.PUBLISH: "published",
         Action.RETIRE: "retired"}

DECISION_NUMBER_MAX = 64


@dataclass(frozen=True)
class Decision:
    """The decision announcing (or repealing) a procedure: its number, e.g. ``1234/QĐ-UBND``, and
    the date it was signed (R-1.2)."""

    number: str
    signed_on: date

    def problems(self, today: date) -> list[tuple[str, str]]:
        """(field, problem) pairs; `today` in the province's time zone."""
        found = []
        if not self.number.strip():
            found.append(("decision_number", "the announcing decision's number is required, e.g. 1234/QĐ-UBND"))
        elif len(self.number) > DECISION_NUMBER_MAX:
            found.append(("decision_number", f"at most {DECISION_NUMBER_MAX} characters"))
        if self.signed_on > today:
            found.append(("decision_date", f"{self.signed_on.isoformat()} is after today ({today.isoformat()})"))
        return found

    def __str__(self) -> str:
        return f"{self.number} of {self.signed_on.isoformat()}"


class ProcedureRepealed(LookupError):
    """No new dossier may start: the procedure is repealed from `effective_from` by `decision`."""

    def __init__(self, code: str, decision: Decision, effective_from: datetime, replaced_by: str | None = None):
        self.code, self.decision, self.effective_from, self.replaced_by = code, decision, effective_from, replaced_by
        text = (f"procedure {code!r} is repealed by decision {decision.number} of "
                f"{decision.signed_on.isoformat()} from {effective_from.isoformat()}: no new dossier can start on it")
        if replaced_by:
            text += f"; it is replaced by {replaced_by!r}"
        super().__init__(text)


def repeal_applies(repealed_from: datetime | None, version_effective_from: datetime | None, at: datetime) -> bool:
    """A repeal in force at `at` stops the procedure unless a version took effect after the repeal
    (the procedure was announced again)."""
    if repealed_from is None or repealed_from > at:
        return False
    return version_effective_from is None or version_effective_from <= repealed_from
