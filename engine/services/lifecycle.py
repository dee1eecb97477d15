"""The officials' lifecycle actions on a dossier (issue 9; docs/lifecycle.md): apology with a new
appointment, stopping, fees (request, desk payment, refund), result return, withdrawal and a paper
supplement received at the desk.

Each is one transaction through `dossier_store.save` (state, aggregate columns, ready tasks, timers,
events, outbox) after the optimistic check on the dossier's version (`expected_version`: the
caller's If-Match, Conflict when stale). The rules are the aggregate's (engine/domain/dossier.py);
who may act is the sender's rule, run inside the service: `ActingOfficial` for officials (roles
of the competent agency per action, access.LIFECYCLE_ROLES); the applicants' API brings its own
`MessageSender` to `withdraw_as`, `pay_as` and `supplement_as`.

When the diagram waits for the matching lifecycle message (`supplement_received` after a
supplement, `fee_paid` after a fee request), the action delivers it in the same save, so the
diagram moves on; otherwise only the aggregate changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from engine.domain import access
from engine.domain.access import Official
from engine.domain.dossier import Dossier, LifecycleRefused, LifecycleStateError
from engine.domain.dossier_status import DossierStatus
from engine.execution.dossier_workflow import DossierWorkflow, NotWaiting, ProcessError

from .context import EngineContext
from .dossier_store import keep_dates_in_step, save, to_record
from .dossiers import DossierService, DossierView
from .errors import Conflict, InvalidInput, NotFound, ProcessFailure, lifecycle_error
from .lifecycle_effects import apply_message_effect
from .messages import DossierFacts, MessageSender, authorise
from .workflow_state import Snapshot

Change = Callable[[Dossier, datetime, Any], None]  # (aggregate, now, calendar): one aggregate method


@dataclass(frozen=True)
class ActingOfficial:
    """An official taking lifecycle `action` (a key of access.LIFECYCLE_ROLES): its rule is
    access.check_lifecycle_action (404 when the dossier is invisible to them, 403 without the role)."""

    official: Official
    action: str

    @property
    def actor(self) -> str:
        return self.official.username

    def check(self, dossier: DossierFacts) -> None:
        access.check_lifecycle_action(self.official, self.action, dossier.competent_agency,
                                      dossier.involved_agencies, dossier.involved_users)


class LifecycleService:
    def __init__(self, ctx: EngineContext, dossiers: DossierService):
        self.ctx = ctx
        self.dossiers = dossiers

    # ------------------------------------------------------------ lateness (R-5.3, N-6)

    def apologize(self, user: Official, dossier: int | str, new_due: datetime, reason: str,
                  expected_version: int | None = None) -> DossierView:
        """The handling agency's head or approver issues the apology with a new appointment `new_due`
        (aware instant) and the reason; the applicant is notified (outbox). Refused (422) when asked
        less than 1 working day before the appointment in force, for a second re-appointment, a due
        not after the current one or a blank reason (N-6); 409 unless the dossier is in handling."""
        if not isinstance(new_due, datetime) or new_due.tzinfo is None:
            raise InvalidInput("the new appointment is an instant with its time zone", [("new_due", "no offset")])
        return self._act(ActingOfficial(user, "apology"), dossier, expected_version,
                         lambda d, now, cal: d.reappoint(now, new_due, reason, cal), rule_field="new_due")

    # ------------------------------------------------------------ ends

    def stop(self, user: Official, dossier: int | str, reason: str,
             expected_version: int | None = None) -> DossierView:
        """Stop the handling (status 8) with a notice of stopping (N-2) giving `reason`; the dossier
        ends, classified on its end time (N-7), and its diagram is cancelled. Head or approver."""
        return self._act(ActingOfficial(user, "stop"), dossier, expected_version,
                         lambda d, now, cal: d.stop(now, reason, cal))

    def withdraw(self, user: Official, dossier: int | str, reason: str | None = None,
                 expected_version: int | None = None) -> DossierView:
        """The desk records the applicant's written request to withdraw (status 7, before a result)."""
        return self.withdraw_as(ActingOfficial(user, "withdrawal"), dossier, reason, expected_version)

    def withdraw_as(self, sender: MessageSender, dossier: int | str, reason: str | None = None,
                    expected_version: int | None = None) -> DossierView:
        """Withdrawal for any sender whose rule allows it (the applicants' API brings its own)."""
        if reason is not None and not isinstance(reason, str):
            raise InvalidInput("the reason is a text", [("reason", "not a text")])
        return self._act(sender, dossier, expected_version, lambda d, now, cal: d.withdraw(now, reason))

    def return_result(self, user: Official, dossier: int | str, channel: str, tracking_number: str | None = None,
                      expected_version: int | None = None) -> DossierView:
        """R-6.1: the desk returns the result `online`, by `postal` service (tracking number required)
        or at the `desk`: status 9 → 10. Conflict while the dossier is still in processing (4): the
        agency's steps make the result (R-4.1); a diagram's own result-return step is a task."""
        def change(d: Dossier, now: datetime, cal: Any) -> None:
            if d.status is DossierStatus.PROCESSING:
                raise LifecycleStateError(f"the result is not ready: dossier {d.code} is still in processing "
                                          "(status 4), its steps must finish first (R-4.1, R-6.1)")
            d.return_result(now, channel, tracking_number, cal)

        return self._act(ActingOfficial(user, "result_return"), dossier, expected_version, change)

    # ------------------------------------------------------------ fees

    def request_payment(self, user: Official, dossier: int | str, amount: int,
                        expected_version: int | None = None) -> DossierView:
        """4 → 6: the applicant is asked to pay `amount` VND (whole number > 0; one request each)."""
        return self._act(ActingOfficial(user, "payment_request"), dossier, expected_version,
                         lambda d, now, cal: d.request_payment(now, amount))

    def record_payment(self, user: Official, dossier: int | str, receipt_number: str,
                       expected_version: int | None = None) -> DossierView:
        """6 → 4: paid at the desk, with the desk's receipt number. If the diagram waits for
        `fee_paid`, it is delivered with {"reference": receipt_number, "method": "desk"}."""
        return self.pay_as(ActingOfficial(user, "payment"), dossier, receipt_number, "desk", expected_version)

    def pay_as(self, sender: MessageSender, dossier: int | str, reference: str, method: str,
               expected_version: int | None = None) -> DossierView:
        """A payment for any sender (online reference from the applicants' side: method `online`)."""
        payload = {"reference": reference, "method": method}
        return self._act(sender, dossier, expected_version,
                         lambda d, now, cal: d.record_payment(now, reference, method), "fee_paid", payload)

    def refund(self, user: Official, dossier: int | str, reason: str,
               expected_version: int | None = None) -> DossierView:
        """R-6.3: a paid fee is refunded when the agency could not perform the service (stopped or
        refused, status 8); never once the result was ready (422 naming the rule)."""
        return self._act(ActingOfficial(user, "refund"), dossier, expected_version,
                         lambda d, now, cal: d.refund(now, reason))

    # ------------------------------------------------------------ supplements (R-2.4, N-4)

    def supplement_received(self, user: Official, dossier: int | str, note: str | None = None,
                            expected_version: int | None = None) -> DossierView:
        """5 → 4: the applicant brought the supplement on paper to the desk; the pause ends (N-4:
        the appointment and open steps move by the paused working time)."""
        return self.supplement_as(ActingOfficial(user, "supplement"), dossier, note, expected_version)

    def supplement_as(self, sender: MessageSender, dossier: int | str, note: str | None = None,
                      expected_version: int | None = None) -> DossierView:
        if note is not None and not isinstance(note, str):
            raise InvalidInput("the note is a text", [("note", "not a text")])
        payload = {"note": note} if note else {}
        return self._act(sender, dossier, expected_version, lambda d, now, cal: d.supplement_received(now),
                         "supplement_received", payload)

    # ------------------------------------------------------------ the one way an action is saved

    def _act(self, sender: MessageSender, dossier_ref: int | str, expected_version: int | None, change: Change,
             message: str | None = None, payload: dict[str, Any] | None = None,
             rule_field: str = "") -> DossierView:
        """Load, authorise (sender's rule), check the version, apply `change` (or deliver `message`
        when the diagram waits for it: its effect is the same rule), save, commit. Raises NotFound,
        Forbidden, Conflict (stale version, or a status that does not allow it), InvalidInput (a bad
        value or a rule, naming it; `rule_field` for a rule of the action's main value), ProcessFailure (the diagram failed after the message)."""
        ctx = self.ctx
        now = ctx.clock.now()
        cal = ctx.calendars()
        with ctx.uow() as uow:
            row = (uow.dossiers.load(code=dossier_ref) if isinstance(dossier_ref, str)
                   else uow.dossiers.load(dossier_ref))
            if row is None:
                raise NotFound(f"dossier {dossier_ref} does not exist")
            authorise(sender, uow, row)
            if expected_version is not None and expected_version != row.version:
                raise Conflict(f"dossier {row.code} is at version {row.version}, not {expected_version}: reload it")
            record = to_record(row, ctx.lifecycle)
            info = ctx.processes.info(uow, row.procedure_version_id)
            dw = DossierWorkflow.restore(info.process, row.state, ctx.script_engine, ctx.clock)
            before = Snapshot.of(dw)
            deliver = (message is not None and not record.dossier.ended
                       and message in {w.name for w in dw.waiting_messages()})
            event = None
            try:
                if deliver:
                    assert message is not None and payload is not None
                    meta = info.process.messages.get(message)
                    problems = info.form(meta.form if meta else None).problems(payload)
                    if problems:
                        raise InvalidInput(f"the diagram's form of message {message!r} has {len(problems)} "
                                           "problem(s) with this action's values", problems)
                    apply_message_effect(record.dossier, message, payload, now)
                    keep_dates_in_step(record.dossier, dw, cal)  # the next steps read what it moved
                    caught = dw.deliver(message, payload)
                    event = ("message", {"message": message, "caught_by": caught, "payload": payload})
                else:
                    change(record.dossier, now, cal)
                save(ctx, uow, record, dw, before, now, sender.actor, event=event)
            except NotWaiting:  # a correlation key of the diagram did not match
                raise Conflict(f"dossier {row.code} is not waiting for this {message!r} message") from None
            except LifecycleRefused as err:
                raise _naming(lifecycle_error(err), rule_field) from None
            except ProcessError as err:
                uow.rollback()
                self._incident(row.id, err, now)
                raise ProcessFailure(f"the procedure could not continue after {message!r}: {err}",
                                     element_id=err.element_id) from None
            uow.commit()
        return self.dossiers.get(row.id)

    def _incident(self, dossier_id: int, err: ProcessError, now: datetime) -> None:
        with self.ctx.uow() as uow:
            uow.incidents.add(dossier_id=dossier_id, element_id=err.element_id, kind="message", error=str(err),
                              occurred_at=now, attempt=1)
            uow.commit()


def _naming(error: Any, field: str) -> Any:
    """A rule refused without a field of its own (e.g. N-6's deadline) names the action's field."""
    if field and isinstance(error, InvalidInput):
        error.problems = [(f or field, p) for f, p in error.problems]
    return error
