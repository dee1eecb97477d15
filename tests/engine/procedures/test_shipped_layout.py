"""Every diagram shipped in processes/ opens and lays out in bpmn.io (issue 11): each flow node,
lane and participant has a BPMNShape with bounds, and each sequence flow a BPMNEdge with at least
two waypoints. bpmn.io draws nothing for an element without one (it imports it, unseen)."""
from pathlib import Path

import pytest
from lxml import etree

ROOT = Path(__file__).resolve().parents[3]
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC", "di": "http://www.omg.org/spec/DD/20100524/DI"}
SHAPED = ("startEvent", "endEvent", "userTask", "manualTask", "task", "scriptTask", "businessRuleTask",
          "serviceTask", "sendTask", "receiveTask", "callActivity", "subProcess", "exclusiveGateway",
          "parallelGateway", "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent",
          "intermediateThrowEvent", "boundaryEvent", "lane", "participant")
DIAGRAMS = sorted(ROOT.glob("processes/*/*.bpmn"))


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.parent.name + "/" + p.name for p in DIAGRAMS])
def test_every_element_has_its_layout(path):
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}
    wanted = [el.get("id") for kind in SHAPED for el in root.iterfind(f".//bpmn:{kind}", NS)]
    assert wanted and [i for i in wanted if i not in shapes] == []
    assert all(shapes[i].find("dc:Bounds", NS) is not None for i in wanted)
    flows = [el.get("id") for el in root.iterfind(".//bpmn:sequenceFlow", NS)]
    assert [f for f in flows if f not in edges or len(edges[f].findall("di:waypoint", NS)) < 2] == []
