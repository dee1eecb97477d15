"""A feedback case's instance of the feedback procedure (processes/PAKN-01, R-7.2; docs/feedback.md).

Every case runs on the published version of the feedback procedure in effect at its receipt (or,
received before any was in effect, the one in effect at its entry), and keeps that version to its
end, as a dossier does (R-1.3). The feedback service acts only through the diagram's feedback steps
(engine/domain/lifecycle_steps.py FEEDBACK_STEPS), one ready at a time:
- receipt starts the instance with {channel, feedback_code, agency_id, received_at, dossier_code}:
  online feedback must then stand at the assignment step; offline feedback at the entry step, which
  the service completes at once with {received_at, entered_at, entered_by} (its due: the step's
  workingHours after the receipt, Đ21.3);
- the assignment completes the assignment step with {official};
- the answer completes the answer step with {answer}, and the process must then have ended.
The case's status is where its process stands (`status`): entry or assignment ready → received,
answer ready → assigned, ended → answered. Anything else (a step that is not a feedback step, two
ready at once, a process still running after the answer) is a ProcessFailure and nothing is saved.
The state is written by the feedback service's one save, in the case's row (`keep`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.domain.feedback import PROCEDURE_CODE, Feedback, FeedbackRefused, FeedbackStatus
from engine.domain.lifecycle_steps import FEEDBACK_STEPS
from engine.domain.procedure_version import ProcedureRepealed
from engine.execution.dossier_workflow import DossierWorkflow, ProcessError, ReadyHumanTask

from .context import EngineContext
from .errors import ProcessFailure, Unavailable

ENTRY, ASSIGNMENT, ANSWER = FEEDBACK_STEPS
_STATUS = {ENTRY: FeedbackStatus.RECEIVED, ASSIGNMENT: FeedbackStatus.RECEIVED, ANSWER: FeedbackStatus.ASSIGNED}
_WAITS_FOR = {ENTRY: "its entry", ASSIGNMENT: "its assignment: assign it first", ANSWER: "its answer"}


class CaseWorkflow:
    """The running instance of one case, on version `version_id`."""

    def __init__(self, version_id: int, dw: DossierWorkflow):
        self.version_id = version_id
        self._dw = dw

    @property
    def completed(self) -> bool:
        return self._dw.completed

    @property
    def data(self) -> dict[str, Any]:
        """The process's data once it ended (what its steps and scripts left)."""
        return self._dw.data

    def dump(self) -> str:
        """The serialized state, as `keep` stores it."""
        return self._dw.dump()

    def step(self) -> ReadyHumanTask | None:
        """The one ready feedback step; None once the process ended. ProcessFailure otherwise."""
        if self._dw.completed:
            return None
        ready = self._dw.ready_tasks()
        if len(ready) != 1 or ready[0].lifecycle not in FEEDBACK_STEPS:
            where = ", ".join(f"{t.element_id} ({t.lifecycle or 'no feedback step'})" for t in ready) or "nothing"
            raise ProcessFailure(f"the feedback case stands at {where}: a feedback case waits at exactly one "
                                 f"feedback step ({', '.join(FEEDBACK_STEPS)})",
                                 element_id=ready[0].element_id if ready else None)
        return ready[0]

    def at(self, lifecycle: str) -> ReadyHumanTask | None:
        step = self.step()
        return step if step is not None and step.lifecycle == lifecycle else None

    def status(self) -> FeedbackStatus:
        step = self.step()
        return FeedbackStatus.ANSWERED if step is None else _STATUS[step.lifecycle]  # type: ignore[index]

    def require(self, lifecycle: str) -> ReadyHumanTask:
        """The ready step if it is `lifecycle`; FeedbackRefused (a Conflict) naming where the case stands."""
        step = self.step()
        if step is None:
            raise FeedbackRefused("the feedback was already answered")
        if step.lifecycle != lifecycle:
            raise FeedbackRefused(f"the feedback waits for {_WAITS_FOR[step.lifecycle]} "  # type: ignore[index]
                                  f"(step {step.element_id!r}), not for a {lifecycle} step")
        return step

    def complete(self, lifecycle: str, data: dict[str, Any]) -> None:
        """Complete the ready `lifecycle` step with `data` and run on (FeedbackRefused when another
        step is ready; ProcessFailure when the diagram fails)."""
        step = self.require(lifecycle)
        try:
            self._dw.complete(step.id, data)
        except ProcessError as err:
            raise ProcessFailure(f"{PROCEDURE_CODE} failed after step {step.element_id}: {err}",
                                 element_id=err.element_id) from None
        if lifecycle == ANSWER and not self._dw.completed:
            raise ProcessFailure(f"{PROCEDURE_CODE}'s process goes on after the answer step {step.element_id}: "
                                 "a feedback case is answered when its process ends after the answer "
                                 "(docs/bpmn-conventions.md §16)", element_id=step.element_id)

    def keep(self, case: Feedback) -> None:
        """Into the case (saved by its one write): its version, the workflow's state and its status."""
        case.follow(self.status())
        case.procedure_version_id = self.version_id
        case.workflow_state = self.dump()


def version_in_effect(uow: Any, received_at: datetime, now: datetime) -> Any:
    """The published feedback procedure version in effect at the receipt, else at `now` (feedback
    received before the first version took effect); Unavailable when none is published."""
    for at in (received_at, now):
        try:
            version = uow.procedures.in_effect(PROCEDURE_CODE, at)
        except ProcedureRepealed:
            version = None
        if version is not None:
            return version
    raise Unavailable(f"the feedback procedure {PROCEDURE_CODE} has no published version in effect: publish "
                      f"processes/{PROCEDURE_CODE} (motcua procedures publish {PROCEDURE_CODE})")


def start(ctx: EngineContext, uow: Any, version_id: int, data: dict[str, Any]) -> CaseWorkflow:
    """A new instance on `version_id` with start data `data` (values JSON-able)."""
    process = ctx.processes.get(uow, version_id)
    try:
        dw = DossierWorkflow.start(process, ctx.script_engine, ctx.clock, data)
    except ProcessError as err:
        raise ProcessFailure(f"{PROCEDURE_CODE} failed at start: {err}", element_id=err.element_id) from None
    return CaseWorkflow(version_id, dw)


def start_data(case_code: str, agency_id: str, channel: str, received_at: datetime, dossier_code: str | None,
               tz: Any) -> dict[str, Any]:
    return {"feedback_code": case_code, "agency_id": agency_id, "channel": channel,
            "received_at": received_at.astimezone(tz).isoformat(), "dossier_code": dossier_code}


def entry_data(received_at: datetime, entered_at: datetime, entered_by: str, tz: Any) -> dict[str, Any]:
    return {"received_at": received_at.astimezone(tz).isoformat(),
            "entered_at": entered_at.astimezone(tz).isoformat(), "entered_by": entered_by}


def load(ctx: EngineContext, uow: Any, case: Feedback, now: datetime) -> CaseWorkflow:
    """The case's instance as stored. A case received before cases ran on the diagram (no state,
    migration 0018) starts now on the version in effect at its receipt, brought to its status by
    completing the steps it already went through; `keep` then saves it with the action."""
    if case.workflow_state is not None and case.procedure_version_id is not None:
        process = ctx.processes.get(uow, case.procedure_version_id)
        dw = DossierWorkflow.restore(process, case.workflow_state, ctx.script_engine, ctx.clock)
        return CaseWorkflow(case.procedure_version_id, dw)
    tz = ctx.calendars().tz
    version = version_in_effect(uow, case.received_at, now)
    wf = start(ctx, uow, version.id, start_data(case.code, case.agency_id, case.channel.value, case.received_at,
                                                 case.dossier_code, tz))
    if wf.at(ENTRY):
        wf.complete(ENTRY, entry_data(case.received_at, case.entered_at, case.entered_by, tz))
    if case.assigned_to is not None and wf.at(ASSIGNMENT):
        wf.complete(ASSIGNMENT, {"official": case.assigned_to})
    if case.answered_at is not None and wf.at(ANSWER):
        wf.complete(ANSWER, {"answer": case.answer})
    return wf
