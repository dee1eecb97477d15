"""Lifecycle steps are checked at load (docs/bpmn-conventions.md §15): a misspelt step, a form
without the fields a step reads, or a reception outcome the lifecycle does not know are refused
with the file and element id."""
import json

import pytest

from engine.procedures.library import ProcedureInvalid, build_procedure
from tests.support.bpmn import metadata

HEAD = ('<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">'
        '<bpmn:process id="p" isExecutable="true"><bpmn:laneSet id="ls"><bpmn:lane id="l" name="one_stop_officer">'
        '<bpmn:flowNodeRef>t</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>'
        '<bpmn:startEvent id="s"/>')
TAIL = ('<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/></bpmn:process></bpmn:definitions>')


def diagram(step: str, form: str | None) -> bytes:
    props = f'<spiffworkflow:property name="lifecycle" value="{step}"/>'
    if form:
        props += f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}"/>'
    return (HEAD + f'<bpmn:userTask id="t"><bpmn:extensionElements><spiffworkflow:properties>{props}'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>' + TAIL).encode()


def form(**props) -> bytes:
    return json.dumps({"type": "object", "properties": props}).encode()


def problems(step: str, forms: dict[str, bytes], name: str | None = "f.json") -> list:
    files = {"procedure.toml": metadata("P").encode(), "P.bpmn": diagram(step, name)}
    try:
        build_procedure("P", files, forms)
    except ProcedureInvalid as err:
        return [p for p in err.problems if p.element_id == "t"]
    return []  # loaded: no error (warnings are not kept by a loaded procedure)


def test_an_unknown_step_is_refused_naming_the_known_ones():
    [p] = problems("recepton", {"f.json": form(outcome={"type": "string"})})
    assert p.file == "P.bpmn" and p.is_error and "'recepton' is not a lifecycle step" in p.message
    assert "reception" in p.message


def test_a_step_whose_fields_no_form_lists_is_refused():
    [p] = problems("refusal", {"f.json": form(note={"type": "string"})})
    assert p.is_error and "reads field 'reason'" in p.message


def test_reception_needs_outcome_in_its_own_form_with_known_values():
    [p] = problems("reception", {"f.json": form(note={"type": "string"}, missing={"type": "array"},
                                                reason={"type": "string"})})
    assert p.is_error and "must list 'outcome'" in p.message
    bad = form(outcome={"type": "string", "enum": ["receive", "maybe"]}, missing={"type": "array"},
               reason={"type": "string"})
    [p] = problems("reception", {"f.json": bad})
    assert p.is_error and "'maybe'" in p.message


def test_a_well_formed_step_passes():
    good = form(outcome={"type": "string", "enum": ["receive", "guide", "refuse"]}, missing={"type": "array"},
                reason={"type": "string"})
    assert problems("reception", {"f.json": good}) == []
