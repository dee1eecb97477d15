"""Delivering a message to a dossier: message start events, receive tasks, message catch events,
message boundary events and event sub-processes started by a message.

The dossier is the correlation: a message names the dossier (id or code) and the message name
of the diagram (`bpmn:message name="fee paid"`). Who may deliver is the sender's rule: officials
today (engine/domain/access.py, check_deliver_message); an applicants' API brings its own
`MessageSender` with its own rule and the rest is the same.

Everything happens in one transaction: the state, the ready-task and timer rows, and the
dossier event recording the message, after the optimistic version check on the dossier row.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from engine import logs
from engine.domain import access
from engine.domain.access import Official
from engine.domain.dossier import CLOSED, LifecycleRefused
from engine.domain.dossier_status import DossierStatus
from engine.domain.json_values import value_problems
from engine.execution.dossier_workflow import DossierWorkflow, NotWaiting, ProcessError

from .context import EngineContext
from .dossier_store import keep_dates_in_step, save, to_record
from .dossiers import RESERVED_FIELDS, TaskSummary, new_task_row, task_summary
from .errors import Conflict, Forbidden, InvalidInput, NotFound, ProcessFailure, lifecycle_error
from .lifecycle_effects import apply_message_effect
from .workflow_state import Snapshot

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 64 * 1024  # as JSON, UTF-8
MAX_PAYLOAD_DEPTH = 16


@dataclass(frozen=True)
class DossierFacts:
    """What a sender's access rule may look at."""

    id: int
    code: str
    competent_agency: str
    acting_agencies: frozenset[str]  # agencies holding one of its ready tasks now
    involved_agencies: frozenset[str]  # agencies that have or had a task in it
    involved_users: frozenset[str]


class MessageSender(Protocol):
    """Who delivers a message: recorded as the event's actor, and its access rule."""

    actor: str

    def check(self, dossier: DossierFacts) -> None:
        """Raise access.Invisible (404) or access.NotAllowed (403) if it may not deliver to `dossier`."""


@dataclass(frozen=True)
class OfficialSender:
    official: Official

    @property
    def actor(self) -> str:
        return self.official.username

    def check(self, dossier: DossierFacts) -> None:
        access.check_deliver_message(self.official, dossier.competent_agency, dossier.acting_agencies,
                                     dossier.involved_agencies, dossier.involved_users)


@dataclass(frozen=True)
class Delivery:
    """What a delivered message changed."""

    dossier_id: int
    dossier_code: str
    message: str
    caught_by: list[str]  # element ids of the events / receive tasks that caught it
    status: str
    version: int
    current_tasks: list[TaskSummary]


class MessageService:
    def __init__(self, ctx: EngineContext):
        self.ctx = ctx

    def deliver(self, actor: Official, dossier: int | str, message: str, payload: Any,
                expected_version: int | None = None) -> Delivery:
        """An official delivers `message` with `payload` to a dossier (id or code).

        Raises NotFound (no such dossier, or not visible to the official), Forbidden (visible but
        not the official's to act on), Conflict (the dossier is not waiting for this message, is
        finished, or is not at `expected_version`), InvalidInput (payload not a JSON object within
        the limits, a reserved field, or failing the message's form), ProcessFailure (the
        procedure failed after the message; recorded as an incident, nothing saved).
        """
        return self.deliver_as(OfficialSender(actor), dossier, message, payload, expected_version)

    def deliver_as(self, sender: MessageSender, dossier_ref: int | str, message: str, payload: Any,
                   expected_version: int | None = None) -> Delivery:
        """The same for any sender (e.g. the applicants' API with its own rule)."""
        _check_shape(payload)
        ctx = self.ctx
        now = ctx.clock.now()
        with ctx.uow() as uow:
            dossier = (uow.dossiers.load(code=dossier_ref) if isinstance(dossier_ref, str)
                       else uow.dossiers.load(dossier_ref))
            if dossier is None:
                raise NotFound(f"dossier {dossier_ref} does not exist")
            authorise(sender, uow, dossier)
            logs.bind(dossier=dossier.code)
            if expected_version is not None and expected_version != dossier.version:
                raise Conflict(f"dossier {dossier.code} is at version {dossier.version}, not {expected_version}: reload it")
            if DossierStatus(dossier.status) in CLOSED:
                raise Conflict(f"dossier {dossier.code} is finished ({dossier.status}): it waits for no message")
            info = ctx.processes.info(uow, dossier.procedure_version_id)
            dw = DossierWorkflow.restore(info.process, dossier.state, ctx.script_engine, ctx.clock)
            waiting = sorted({w.name for w in dw.waiting_messages()})
            if message not in waiting and dossier.completed_at is not None:  # processed (9), result pending
                raise Conflict(f"dossier {dossier.code} is finished ({dossier.status}): it waits for no message")
            if message not in waiting:
                raise Conflict(f"dossier {dossier.code} is not waiting for message {message!r}"
                               + (f" (it waits for: {', '.join(waiting)})" if waiting else " (it waits for no message)"),
                               waiting_for=waiting)
            meta = info.process.messages.get(message)
            problems = info.form(meta.form if meta else None).problems(payload)
            if problems:
                raise InvalidInput(f"the payload of message {message!r} has {len(problems)} problem(s)", problems)
            record = to_record(dossier, ctx.lifecycle)
            before = Snapshot.of(dw)
            try:
                apply_message_effect(record.dossier, message, payload, now)
                keep_dates_in_step(record.dossier, dw, ctx.calendars())  # the next steps read what it moved
                caught = dw.deliver(message, payload)
                saved = save(ctx, uow, record, dw, before, now, sender.actor)
            except NotWaiting:  # a correlation key of the diagram did not match
                raise Conflict(f"dossier {dossier.code} is not waiting for this {message!r} message") from None
            except LifecycleRefused as err:
                raise lifecycle_error(err, "payload.") from None
            except ProcessError as err:
                uow.rollback()
                _incident(ctx, dossier.id, err, now)
                raise ProcessFailure(f"the procedure could not continue after message {message!r}: {err}",
                                     element_id=err.element_id) from None
            uow.dossiers.add_event(dossier.id, now, "message", sender.actor,
                                   {"message": message, "caught_by": caught, "payload": payload})
            kept = [tid for tid in saved.after.ready if tid in before.ready]
            current = [new_task_row(r) for r in saved.new_tasks] + list(uow.tasks.rows(kept))
            uow.commit()
        return Delivery(dossier.id, dossier.code, message, caught, saved.status or dossier.status, saved.version,
                        [task_summary(t, dossier.code, dossier.procedure_code, now) for t in current])


def authorise(sender: MessageSender, uow: Any, dossier: Any) -> None:
    """Run the sender's access rule on the dossier's facts: NotFound (invisible) or Forbidden."""
    agencies, users = uow.dossiers.involved(dossier.id)
    acting = frozenset(t.candidate_agency for t in uow.tasks.for_dossier(dossier.id))
    facts = DossierFacts(dossier.id, dossier.code, dossier.agency_id, acting, frozenset(agencies),
                         frozenset(users | {dossier.created_by or ""}))
    try:
        sender.check(facts)
    except access.Invisible:
        raise NotFound(f"dossier {dossier.id} does not exist") from None
    except access.NotAllowed as err:
        raise Forbidden(str(err)) from None


def _check_shape(payload: Any) -> None:
    """Any JSON object within limits; the message's form, if any, is checked afterwards."""
    if not isinstance(payload, dict):
        raise InvalidInput("a message payload is a JSON object", [("payload", "must be a JSON object")])
    # NaN, integers beyond 64 bits, NUL, too deep (checked without recursion): the rule of all data (issue 7)
    problems = value_problems(payload, MAX_PAYLOAD_DEPTH, "payload")
    if problems:
        raise InvalidInput("the payload holds values the engine cannot store", problems)
    try:
        size = len(json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise InvalidInput("a message payload is plain JSON", [("payload", "not JSON")]) from None
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidInput(f"the payload is {size} bytes, more than {MAX_PAYLOAD_BYTES}",
                           [("payload", f"larger than {MAX_PAYLOAD_BYTES} bytes")])
    if _depth(payload) > MAX_PAYLOAD_DEPTH:
        raise InvalidInput(f"the payload nests deeper than {MAX_PAYLOAD_DEPTH} levels",
                           [("payload", f"nested deeper than {MAX_PAYLOAD_DEPTH} levels")])
    reserved = sorted(RESERVED_FIELDS & payload.keys())
    if reserved:
        raise InvalidInput("a message cannot change the data the dossier started with",
                           [(name, "is set at registration and cannot be changed by a message") for name in reserved])


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _incident(ctx: EngineContext, dossier_id: int, err: ProcessError, now: datetime) -> None:
    with ctx.uow() as uow:
        incident = uow.incidents.add(dossier_id=dossier_id, element_id=err.element_id, kind="message",
                                     error=str(err), occurred_at=now, attempt=1)
        uow.commit()
    logs.incident_recorded(log, incident, "message", err.element_id, err)
