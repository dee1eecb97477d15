"""Which BPMN constructs the engine runs, runs with limits, or refuses at check (issue 8).

`SUPPORT` is the table docs/bpmn-conventions.md §14 shows (a test keeps them equal and checks that
every element SpiffWorkflow 3.2 parses is in it). `check_constructs` refuses, with the element and
a sentence, whatever would run differently from BPMN 2.0 or wait forever.
"""
from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .model import BPMN_NS, NS, bpmn, event_definitions, is_bpmn, local
from .problems import Problem, warning

RUNS, LIMITS, REFUSED = "runs", "runs with limits", "refused at check"

# element or event (as modelers name them) -> (status, what to know)
SUPPORT: dict[str, tuple[str, str]] = {
    "startEvent (none)": (RUNS, "a dossier starts at registration"),
    "startEvent (timer)": (LIMITS, "the dossier waits for the timer before its first step; a cycle is refused (a "
                           "dossier starts once)"),
    "startEvent (message)": (RUNS, "started by registration; with several, the registration names the message"),
    "startEvent (signal, conditional, multiple)": (REFUSED, "a dossier is started by its registration only"),
    "endEvent (none)": (RUNS, ""),
    "endEvent (terminate)": (RUNS, "ends the whole process level at once"),
    "endEvent (error)": (LIMITS, "refused unless an error boundary event in the procedure catches it: an "
                         "uncaught error would end the dossier silently"),
    "endEvent (escalation)": (RUNS, "caught by an escalation boundary event; uncaught it has no effect"),
    "endEvent (cancel)": (LIMITS, "only inside a transaction (cancels it)"),
    "endEvent / intermediateThrowEvent (message), sendTask": (LIMITS, "delivered only to a catch of the same message "
                                                              "in the dossier; nothing is sent outside (warning)"),
    "intermediateThrowEvent (none)": (RUNS, "passes on at once"),
    "intermediateThrowEvent (signal)": (RUNS, "caught by catches of the same signal in the same dossier"),
    "intermediateThrowEvent (escalation)": (RUNS, ""),
    "intermediateThrowEvent / intermediateCatchEvent (link)": (RUNS, "the throw continues at the catch of the same "
                                                               "name on the same process level"),
    "intermediateCatchEvent (timer)": (LIMITS, "timeDate, timeDuration: Python expressions (§4); a cycle is refused "
                                       "(it waits once)"),
    "intermediateCatchEvent (message), receiveTask": (RUNS, "delivered through the API (docs/api.md)"),
    "intermediateCatchEvent (signal)": (LIMITS, "refused unless the procedure throws that signal: signals from "
                                        "outside a dossier are not delivered"),
    "intermediateCatchEvent (none)": (LIMITS, "passes on at once (warning)"),
    "boundaryEvent (timer, message, error, escalation)": (RUNS, "interrupting and non-interrupting"),
    "boundaryEvent (signal)": (LIMITS, "as intermediate signal catch"),
    "boundaryEvent (cancel)": (LIMITS, "only on a transaction"),
    "conditional events (start, intermediate, boundary)": (REFUSED, "nothing re-evaluates the condition when data "
                                                           "changes, so the dossier would wait forever"),
    "compensation (compensateEventDefinition, isForCompensation)": (REFUSED, "the engine does not undo completed "
                                                                    "activities"),
    "events with several definitions (multiple, parallel multiple)": (REFUSED, "draw one event per trigger"),
    "task (plain)": (RUNS, "a human task: its lane must name a role"),
    "userTask": (RUNS, "lane names a role, form, working-time deadline (§2-4)"),
    "manualTask": (RUNS, "like a user task"),
    "scriptTask": (LIMITS, "an inline Python script; a script task without one is refused"),
    "businessRuleTask": (RUNS, "calls a DMN decision of the procedure's .dmn files"),
    "serviceTask": (REFUSED, "the engine calls no external services"),
    "callActivity": (RUNS, "calls a process of the procedure's BPMN files"),
    "subProcess (embedded)": (RUNS, "without a start event it starts every node without an incoming flow"),
    "subProcess (event sub-process)": (LIMITS, "non-interrupting only (isInterrupting=\"false\"), started by a timer, "
                                       "message or signal start event; interrupting ones and error or escalation "
                                       "start events are refused: the engine would not stop the process, or would "
                                       "start the sub-process at once"),
    "transaction": (LIMITS, "a sub-process that a cancel end event cancels; no compensation"),
    "adHocSubProcess": (REFUSED, "the engine cannot let an official pick the next activity"),
    "standardLoopCharacteristics": (RUNS, "needs loopMaximum or loopCondition"),
    "multiInstanceLoopCharacteristics": (RUNS, "sequential or parallel, over a collection or a cardinality"),
    "exclusiveGateway": (RUNS, "outgoing flows need conditions or a default flow"),
    "inclusiveGateway": (RUNS, ""),
    "parallelGateway": (RUNS, ""),
    "eventBasedGateway": (RUNS, "the first event wins (the earliest timer, or a message)"),
    "complexGateway": (REFUSED, "use exclusive, inclusive or parallel gateways"),
    "several outgoing flows from an activity or event": (RUNS, "an implicit parallel split; with conditions, an "
                                                         "inclusive one"),
    "node without outgoing flow": (RUNS, "ends its path"),
    "laneSet / lane": (RUNS, "lanes name roles (§2); lane-like vendor extensions are ignored"),
    "dataObject, dataObjectReference, dataInput/OutputAssociation, ioSpecification": (RUNS, "documentation: the "
                                                                                      "dossier's data flows with the process"),
    "dataStore, dataStoreReference": (LIMITS, "documentation: nothing is stored (warning)"),
    "textAnnotation, association, group": (RUNS, "documentation"),
    "collaboration, participant, messageFlow": (RUNS, "documentation; one executable process is started"),
    "BPMNDI (diagram layout)": (RUNS, "ignored; schema errors in it are warnings"),
}

_CATCH_TAGS = ("startEvent", "intermediateCatchEvent", "boundaryEvent")
_THROW_TAGS = ("endEvent", "intermediateThrowEvent")


@dataclass
class _Used:
    """The processes a procedure runs: (file, process element)."""

    processes: list[tuple[str, etree._Element]]

    def elements(self, *tags: str):
        for file, process in self.processes:
            for el in process.iter(*(bpmn(t) for t in tags)):
                yield file, el


def _problem(problems: list[Problem], file: str, el: etree._Element, message: str) -> None:
    problems.append(Problem(file, el.get("id"), message, el.sourceline))


def _definition_kinds(event: etree._Element) -> list[str]:
    return [local(d).removesuffix("EventDefinition") for d in event_definitions(event)]


def _is_event_subprocess(el: etree._Element | None) -> bool:
    return el is not None and is_bpmn(el, "subProcess") and el.get("triggeredByEvent") == "true"


def _declared(trees: dict[str, etree._Element], tag: str) -> dict[str, str]:
    """id -> name of every bpmn:<tag> (message, signal, error, escalation) in any file."""
    found = {}
    for tree in trees.values():
        for el in tree.iter(bpmn(tag)):
            if el.get("id"):
                found[el.get("id")] = (el.get("name") or el.get("errorCode") or el.get("escalationCode")
                                       or el.get("id"))
    return found


def _ref_of(definition: etree._Element, attr: str) -> str | None:
    ref = definition.get(attr)
    if ref is None:
        child = definition.find(f"bpmn:{attr}", NS)
        ref = child.text if child is not None else None
    return ref.strip() if ref and ref.strip() else None


def _references(used: _Used, trees: dict[str, etree._Element], problems: list[Problem]) -> None:
    kinds = {"message": "messageRef", "signal": "signalRef", "error": "errorRef", "escalation": "escalationRef"}
    declared = {kind: _declared(trees, kind) for kind in kinds}
    for file, el in used.elements(*_CATCH_TAGS, *_THROW_TAGS, "sendTask", "receiveTask"):
        definitions = list(event_definitions(el))
        if is_bpmn(el, "sendTask", "receiveTask") and el.get("messageRef"):
            definitions.append(el)
        for d in definitions:
            kind = "message" if d is el else local(d).removesuffix("EventDefinition")
            attr = kinds.get(kind)
            ref = _ref_of(d, attr) if attr else None
            if ref and ref not in declared[kind]:
                _problem(problems, file, el, f"{attr}={ref!r} names no bpmn:{kind} of the procedure's files: "
                         f"declare the {kind} (id {ref!r}) or pick an existing one")


def _signal_name(definition: etree._Element, event: etree._Element, signals: dict[str, str]) -> str:
    ref = _ref_of(definition, "signalRef")
    return signals.get(ref, ref) if ref else (event.get("name") or "")


def _events(used: _Used, trees: dict[str, etree._Element], problems: list[Problem]) -> None:
    signals = _declared(trees, "signal")
    errors = _declared(trees, "error")
    messages = _declared(trees, "message")
    thrown_signals, caught_errors, caught_messages = set(), set(), set()
    catch_all_errors = False
    for _, el in used.elements(*_THROW_TAGS):
        for d in event_definitions(el):
            if local(d) == "signalEventDefinition":
                thrown_signals.add(_signal_name(d, el, signals))
    for _, el in used.elements(*_CATCH_TAGS, "receiveTask"):
        for d in [*event_definitions(el), *([el] if is_bpmn(el, "receiveTask") else [])]:
            if local(d) == "errorEventDefinition" and not is_bpmn(el, "startEvent"):  # refused below
                ref = _ref_of(d, "errorRef")
                catch_all_errors |= ref is None
                caught_errors.add(ref)
            elif d is el or local(d) == "messageEventDefinition":
                ref = _ref_of(d, "messageRef")
                caught_messages.add(messages.get(ref, ref) if ref else el.get("name"))

    for file, el in used.elements(*_CATCH_TAGS, *_THROW_TAGS):
        kinds = _definition_kinds(el)
        tag = local(el)
        parent = el.getparent()
        if len(kinds) > 1:
            _problem(problems, file, el, f"this {tag} has several triggers ({', '.join(kinds)}): events with several "
                     "definitions are not supported; draw one event per trigger")
            continue
        kind = kinds[0] if kinds else "none"
        if kind == "conditional":
            _problem(problems, file, el, "conditional events are not supported: nothing re-evaluates the condition "
                     "when the data changes, so the dossier would wait forever; test the data with an exclusive "
                     "gateway after the step that changes it, or wait with a timer")
        elif kind == "compensate":
            _problem(problems, file, el, "compensation is not supported: the engine does not undo completed "
                     "activities; draw the corrective steps as ordinary tasks")
        elif kind == "signal" and tag in _CATCH_TAGS:
            name = _signal_name(event_definitions(el)[0], el, signals)
            if tag == "startEvent" and is_bpmn(parent, "process"):
                _problem(problems, file, el, "a dossier is started by its registration: a signal start event "
                         "cannot start it; use a none start event")
            elif name not in thrown_signals:
                _problem(problems, file, el, f"nothing in this procedure throws signal {name!r}, so this event "
                         "would wait forever (signals from outside a dossier are not delivered)")
        elif kind == "error" and tag == "endEvent":
            ref = _ref_of(event_definitions(el)[0], "errorRef")
            if not catch_all_errors and ref not in caught_errors:
                label = errors.get(ref, ref) if ref else "(unnamed)"
                _problem(problems, file, el, f"nothing catches error {label!r}: an uncaught error would end the "
                         "dossier silently; attach an error boundary event to the sub-process or call activity, "
                         "or use a plain end event")
        elif kind == "message" and tag in _THROW_TAGS:
            ref = _ref_of(event_definitions(el)[0], "messageRef")
            name = messages.get(ref, ref) if ref else el.get("name")
            if name not in caught_messages:
                problems.append(warning(file, el.get("id"), _unreceived(name, "event"), el.sourceline))
        elif kind == "timer":
            definition = event_definitions(el)[0]
            times = [t for t in definition if is_bpmn(t, "timeDate", "timeDuration", "timeCycle")]
            if not times or not all((t.text or "").strip() for t in times):
                _problem(problems, file, el, "timer has no time: give it a date (timeDate), a duration "
                         "(timeDuration) or a cycle (timeCycle)")
            elif any(is_bpmn(t, "timeCycle") for t in times) and (
                    tag == "intermediateCatchEvent" or (tag == "startEvent" and is_bpmn(parent, "process"))):
                # SpiffWorkflow fires such a cycle again and again on the same path: a start event added a
                # new path (a second first step) at every occurrence of the dossier's one start
                where = "a dossier starts once" if tag == "startEvent" else "an intermediate timer waits once"
                _problem(problems, file, el, f"a cycle (timeCycle) repeats, but {where}: give it a date (timeDate) "
                         "or a duration (timeDuration); for reminders, draw the cycle on a non-interrupting "
                         "boundary event or the timer start event of an event sub-process")
        elif kind == "none" and tag == "boundaryEvent":
            _problem(problems, file, el, "a boundary event needs a trigger (timer, message, error, escalation "
                     "or signal)")
        elif kind == "none" and tag == "intermediateCatchEvent":
            problems.append(warning(file, el.get("id"), "this intermediate catch event has no trigger: it passes "
                                    "on at once", el.sourceline))
        if tag == "startEvent" and _is_event_subprocess(parent):
            _event_subprocess_start(problems, file, el, kind)
        if tag == "startEvent" and kind != "none" and is_bpmn(parent, "subProcess", "transaction") \
                and not _is_event_subprocess(parent):
            _problem(problems, file, el, f"the start event of an embedded sub-process cannot wait for a {kind}: "
                     "use a none start event (put the wait after it)")

    for file, el in used.elements("sendTask"):
        ref = el.get("messageRef")
        definition = el.find("bpmn:messageEventDefinition", NS)
        if ref is None and definition is not None:
            ref = _ref_of(definition, "messageRef")
        # SpiffWorkflow: a send task without a message sends nothing; a message definition without
        # messageRef sends a message named like the task
        name = messages.get(ref, ref) if ref else (el.get("name") if definition is not None else None)
        if name is None or name not in caught_messages:
            problems.append(warning(file, el.get("id"), _unreceived(name, "task"), el.sourceline))


def _unreceived(name: str | None, what: str) -> str:
    if not name:
        return f"this {what} names no message, so it sends nothing: it just passes on"
    return (f"nothing in this procedure receives message {name!r}: the engine delivers messages only within a "
            f"dossier, so this {what} just passes on")


def _event_subprocess_start(problems: list[Problem], file: str, el: etree._Element, kind: str) -> None:
    """SpiffWorkflow 3.2 reads error and escalation start events as none start events (the event
    sub-process starts with the process) and ignores isInterrupting (true unless written false,
    BPMN 2.0 §10.3.5): the process would go on beside the sub-process instead of stopping."""
    if kind in ("error", "escalation"):
        _problem(problems, file, el, f"an event sub-process cannot be started by an {kind}: the engine would start "
                 f"it with the process, before anything is thrown; attach an {kind} boundary event to the "
                 f"sub-process or call activity that throws it")
    elif kind == "none":
        _problem(problems, file, el, "the start event of an event sub-process needs a trigger (timer, message or "
                 "signal): without one the engine would start it with the process")
    elif el.get("isInterrupting", "true").strip() != "false":
        _problem(problems, file, el, "interrupting event sub-processes are not supported: the engine would run it "
                 "beside the process instead of stopping the process; tick non-interrupting (isInterrupting="
                 "\"false\"), or attach an interrupting boundary event to the activity it should stop")


def _activities(used: _Used, problems: list[Problem]) -> None:
    for file, el in used.elements("complexGateway"):
        _problem(problems, file, el, "complex gateways are not supported: express the rule with exclusive, "
                 "inclusive or parallel gateways")
    for file, el in used.elements("adHocSubProcess"):
        _problem(problems, file, el, "ad-hoc sub-processes are not supported: the engine cannot let an official "
                 "pick the next activity; draw the order with gateways")
    for file, el in used.elements("serviceTask"):
        operator = el.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        what = f"the service operator {operator.get('id')!r} needs" if operator is not None else "a service task needs"
        _problem(problems, file, el, f"{what} a connection to an outside system, which the engine does not have: "
                 "do the work in a script task or give it to an official as a user task")
    for file, el in used.elements("scriptTask"):
        script = el.find("bpmn:script", NS)
        external = any(etree.QName(a).localname == "resource" for a in el.attrib)  # refused by camunda.py
        if not external and (script is None or not (script.text or "").strip()):
            _problem(problems, file, el, "script task has no script: write the Python script inside the task "
                     "(external script resources are not supported)")
    for file, el in used.elements(*(t for t in ("task", "userTask", "manualTask", "scriptTask", "serviceTask",
                                                "sendTask", "receiveTask", "businessRuleTask", "callActivity",
                                                "subProcess", "transaction"))):
        if el.get("isForCompensation") == "true":
            _problem(problems, file, el, "compensation is not supported: the engine does not undo completed "
                     "activities; draw the corrective steps as ordinary tasks")
    for file, el in used.elements("boundaryEvent"):
        attached = (el.get("attachedToRef") or "").strip()
        if not attached or not el.getroottree().xpath("//*[@id=$id]", id=attached):
            _problem(problems, file, el, f"boundary event is attached to {attached or 'nothing'!r}, which is not an "
                     "activity of the file (attachedToRef)")


def check_constructs(processes: list[tuple[str, etree._Element]], trees: dict[str, etree._Element],
                     problems: list[Problem]) -> None:
    """Refuse, in the processes a procedure runs, what the engine cannot run as BPMN 2.0 says."""
    used = _Used(processes)
    _references(used, trees, problems)
    _events(used, trees, problems)
    _activities(used, problems)


__all__ = ["BPMN_NS", "LIMITS", "REFUSED", "RUNS", "SUPPORT", "check_constructs"]
