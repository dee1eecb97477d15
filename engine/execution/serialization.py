"""Workflow state without its spec (stored once per procedure version) nor finished history.

SpiffWorkflow's serializer writes the whole spec into every workflow (about half the bytes of a
small dossier, and the costlier half to convert). We register a converter for BpmnWorkflow that
leaves the specs out and takes them as arguments when restoring.
"""
from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    MultipleEventDefinitionConverter,
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.task_spec import EventConverter, EventJoinConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from .dmn import DecisionTaskConverter
from .pruning import pruned_view
from .spiff_fixes import ActivityJoin, CycleTimer, DurationTimer, EventGateway, GatewayEvents, TimeDateTimer


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # Finished history is left out (pruning.py): the stored state stays flat as a dossier loops.
        with pruned_view(workflow):
            dct = WorkflowConverter.to_dict(self, workflow)
            dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> BpmnWorkflow:
        if spec is None:
            raise ValueError("restoring a workflow needs its spec")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _under_stock_name(converter: type, typename: str) -> type:
    """A converter restoring `typename` as our corrected class (spiff_fixes.py): stored specs and
    states keep the stock names, so they load with or without the fixes."""

    class Converter(converter):  # type: ignore[misc, valid-type]
        def __init__(self, target_class: type, registry: Any) -> None:
            super().__init__(target_class, registry, typename)

    return Converter


def _serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    # Registered after the stock classes, so restoring picks ours.
    config[GatewayEvents] = _under_stock_name(MultipleEventDefinitionConverter, "MultipleEventDefinition")
    config[EventGateway] = _under_stock_name(EventConverter, "EventBasedGateway")
    config[ActivityJoin] = _under_stock_name(EventJoinConverter, "BoundaryEventJoin")
    for timer, stock in ((TimeDateTimer, "TimeDateEventDefinition"), (DurationTimer, "DurationTimerEventDefinition"),
                         (CycleTimer, "CycleTimerEventDefinition")):
        config[timer] = _under_stock_name(TimerConditionalEventDefinitionConverter, stock)
    config[BusinessRuleTask] = DecisionTaskConverter  # stores our DMN decisions (execution/dmn)
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _serializer()
SERIALIZER_VERSION = SERIALIZER.VERSION


def spec_to_dict(spec: Any, subprocess_specs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    reg = SERIALIZER.registry
    return reg.convert(spec), {name: reg.convert(s) for name, s in subprocess_specs.items()}


def spec_from_dict(spec: dict[str, Any], subprocess_specs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    reg = SERIALIZER.registry
    return reg.restore(spec), {name: reg.restore(s) for name, s in subprocess_specs.items()}


def dump_workflow(workflow: BpmnWorkflow) -> str:
    return SERIALIZER.serialize_json(workflow)


def load_workflow(state: str, spec: Any, subprocess_specs: dict[str, Any]) -> BpmnWorkflow:
    dct = json.loads(state)
    # Stored states carry the serializer version; SpiffWorkflow migrates older ones forward.
    # Migrations of formats older than 1.5 may need the spec in the dict: add it before
    # upgrading SpiffWorkflow across such a version (docs/operations.md).
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
