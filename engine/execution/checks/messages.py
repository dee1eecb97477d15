"""Messages a procedure's processes catch, with the form of their payload (docs/bpmn-conventions.md §8).

A message is delivered to a dossier by its name, so a message must have one; its payload's form is
the `formJsonSchemaFilename` property of the bpmn:message element, or of an element catching it, and
one message has one form.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from .human_tasks import FORM_PROPERTY
from .model import NS, bpmn
from .problems import Problem

_CATCHING = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")


@dataclass(frozen=True)
class MessageMeta:
    """A message the process can receive: its payload's form, and which elements catch it."""

    name: str
    form: str | None  # JSON Schema in forms/ the payload must satisfy; None: any JSON object
    file: str
    elements: list[str] = field(default_factory=list)  # ids of the events / receive tasks catching it


def _form_of(el: etree._Element) -> str | None:
    for path in ("bpmn:extensionElements//spiffworkflow:property", "bpmn:extensionElements//camunda:property"):
        for p in el.iterfind(path, NS):
            if p.get("name") == FORM_PROPERTY and p.get("value"):
                return p.get("value")
    return None


def messages_of(tree: etree._Element, file: str, problems: list[Problem]) -> dict[str, MessageMeta]:
    """The messages caught in one file, by name."""
    declared = {m.get("id"): m for m in tree.iterfind("bpmn:message", NS)}
    found: dict[str, MessageMeta] = {}
    for el in tree.iter(*(bpmn(t) for t in _CATCHING)):
        if el.tag == bpmn("receiveTask"):
            ref = el.get("messageRef")
        else:
            definition = el.find("bpmn:messageEventDefinition", NS)
            if definition is None:
                continue
            ref = definition.get("messageRef")
        message = declared.get((ref or "").split(":")[-1]) if ref else None
        if message is None:
            continue  # the message reference itself is checked with SpiffWorkflow's problems
        name = message.get("name")
        if not name:
            problems.append(Problem(file, message.get("id"), "this message has no name: a message is delivered "
                                    "by its name, give it one (e.g. 'fee paid')", message.sourceline))
            continue
        known = found.get(name)
        forms = {f for f in (_form_of(message), _form_of(el), known.form if known else None) if f}
        if len(forms) > 1:
            problems.append(Problem(file, el.get("id"), f"message {name!r} is given several forms "
                                    f"({', '.join(sorted(forms))}): a message has one payload form", el.sourceline))
            continue
        found[name] = MessageMeta(name, next(iter(forms), None), file, (known.elements if known else []) + [el.get("id")])
    return found


def merge_messages(into: dict[str, MessageMeta], more: dict[str, MessageMeta], problems: list[Problem]) -> None:
    """Add one file's messages to those of the procedure's other files."""
    for message in more.values():
        known = into.get(message.name)
        if known is None:
            into[message.name] = message
        elif known.form and message.form and known.form != message.form:
            problems.append(Problem(message.file, message.elements[0], f"message {message.name!r} has form "
                                    f"{message.form!r} here and {known.form!r} in {known.file}: a message has one payload form"))
        else:
            into[message.name] = MessageMeta(message.name, known.form or message.form, known.file,
                                             known.elements + message.elements)
