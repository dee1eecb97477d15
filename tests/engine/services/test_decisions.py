"""DMN decisions run by DMN 1.3: several decisions per file, every hit policy, FEEL cells, and a rule
set that breaks its hit policy is an incident on the business rule task (issue 8)."""
from pathlib import Path

import pytest

from engine.services.errors import ProcessFailure
from tests.engine.services.test_camunda_files import sync
from tests.support.dmn import definitions, rule_process, table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "camunda"


def publish_fees(services, dirs):
    files = {n: (FIXTURES / n).read_bytes() for n in ("fees.bpmn", "fees.dmn")}
    assert sync(services, dirs, "FEES", files) == []


@pytest.mark.parametrize("area,commercial,fee,level,task,role", [
    # 30 m² <= 50: small, 100 000 (the commercial surcharge is for not("small")); PRIORITY: only "head"
    (30, True, 100000, "head", "approval", "approver"),
    # 120 m² in ]50..200]: medium, 200 000 + 150 000 = 350 000; "director" (>= 300 000) outranks "head"
    (120, True, 350000, "director", "director_approval", "agency_head"),
    # 250 m² > 200: large, 200 000; "deputy" ([200 000..300 000)) outranks "head", not the JUEL branch
    (250, False, 200000, "deputy", "approval", "approver"),
    # 50 m² is still small (<= 50 is closed); 200 000 is inside [200000..300000)
    (50, False, 100000, "head", "approval", "approver"),
])
def test_a_camunda_decision_requirements_diagram_decides_the_route(services, dirs, area, commercial, fee, level,
                                                                   task, role):
    publish_fees(services, dirs)
    d = services.dossiers.start("FEES", data={"premises": {"area": area}, "commercial": commercial})
    [t] = d.current_tasks
    assert (t.element_id, t.candidate_role) == (task, role)
    data = services.dossiers.get_task(t.task_id).data
    assert (data["fee"], data["level"]) == (fee, level)
    assert services.dossiers.complete_task(t.task_id, {}, "u").status == "processed"


def run(services, dirs, decision: str, data: dict, task_attrs: str = "", decision_id: str = "d") -> dict:
    problems = sync(services, dirs, "R", {"r.bpmn": rule_process(decision_id, task_attrs),
                                          "r.dmn": definitions(decision)})
    assert problems == []
    [t] = services.dossiers.start("R", data=data).current_tasks
    return services.dossiers.get_task(t.task_id).data


GRADES = [(["[90..100]"], ['"A"']), (["[80..90)"], ['"B"']), ([">= 50"], ['"pass"']), (["-"], ['"any"'])]


def test_unique_gives_the_single_match_and_null_without_one(services, dirs):
    rules = [(["< 50"], ['"fail"']), ([">= 50"], ['"pass"'])]
    assert run(services, dirs, table("d", ["score"], ["grade"], rules), {"score": 50})["grade"] == "pass"
    # no rule matches a text: FEEL compares only numbers with numbers; the output is null, not stale
    data = run(services, dirs, table("d", ["score"], ["grade"], rules), {"score": "50", "grade": "old"})
    assert data["grade"] is None


def test_unique_with_two_matches_is_an_incident_on_the_business_rule_task(services, dirs):
    decision = table("d", ["score"], ["grade"], [(["> 10"], ['"a"']), (["> 20"], ['"b"'])])
    assert sync(services, dirs, "R", {"r.bpmn": rule_process("d"), "r.dmn": definitions(decision)}) == []
    with pytest.raises(ProcessFailure) as info:
        services.dossiers.start("R", data={"score": 30})
    assert info.value.extra["element_id"] == "decide"
    assert "rules 1, 2 all match" in str(info.value)


def test_first_takes_the_first_match_in_table_order(services, dirs):
    assert run(services, dirs, table("d", ["score"], ["grade"], GRADES, "FIRST"), {"score": 95})["grade"] == "A"


def test_any_accepts_equal_outputs_and_refuses_different_ones(services, dirs):
    same = [([">= 50"], ['"pass"']), (["> 60"], ['"pass"']), (["< 50"], ['"fail"'])]
    assert run(services, dirs, table("d", ["score"], ["grade"], same, "ANY"), {"score": 70})["grade"] == "pass"
    different = [([">= 50"], ['"pass"']), (["> 60"], ['"good"'])]
    assert sync(services, dirs, "R2", {"r.bpmn": rule_process("d", process_id="r2"),
                                        "r.dmn": definitions(table("d", ["score"], ["grade"], different, "ANY"))}) == []
    with pytest.raises(ProcessFailure, match="different outputs"):
        services.dossiers.start("R2", data={"score": 70})


def test_priority_and_output_order_follow_the_output_values(services, dirs):
    values = {"grade": '"A","B","pass","any"'}
    decision = table("d", ["score"], ["grade"], list(reversed(GRADES)), "PRIORITY", output_values=values)
    assert run(services, dirs, decision, {"score": 85})["grade"] == "B"
    decision = table("d", ["score"], ["grade"], list(reversed(GRADES)), "OUTPUT ORDER", output_values=values)
    assert run(services, dirs, decision, {"score": 95})["grade"] == ["A", "pass", "any"]


def test_collect_and_rule_order_list_every_match_in_table_order(services, dirs):
    assert run(services, dirs, table("d", ["score"], ["grade"], GRADES, "RULE ORDER"), {"score": 85})["grade"] == \
        ["B", "pass", "any"]
    assert run(services, dirs, table("d", ["score"], ["grade"], GRADES, "COLLECT"), {"score": 10})["grade"] == ["any"]


@pytest.mark.parametrize("aggregation,expected", [
    ("SUM", 100000 + 50000 + 50000),  # every output, not only distinct ones (DMN 1.3: FEEL's sum)
    ("MIN", 50000),
    ("MAX", 100000),
    ("COUNT", 3),
])
def test_collect_aggregations(services, dirs, aggregation, expected):
    rules = [(["-"], ["100000"]), (['"shop"'], ["50000"]), (['"shop","market"'], ["50000"]), (['"none"'], ["7"])]
    decision = table("d", ["kind"], ["fee"], rules, "COLLECT", aggregation)
    assert run(services, dirs, decision, {"kind": "shop"})["fee"] == expected


def test_collect_aggregation_without_a_match(services, dirs):
    rules = [(['"shop"'], ["50000"])]
    assert run(services, dirs, table("d", ["kind"], ["fee"], rules, "COLLECT", "SUM"), {"kind": "x"})["fee"] is None
    assert run(services, dirs, table("d", ["kind"], ["n"], rules, "COLLECT", "COUNT"), {"kind": "x"})["n"] == 0


def test_camunda_result_variable_shapes(services, dirs):
    decision = table("d", ["score"], ["grade", "note"],
                     [([">= 50"], ['"pass"', "score"]), (["> 80"], ['"good"', '"well done"'])], "RULE ORDER")
    data = run(services, dirs, decision, {"score": 90},
               'camunda:resultVariable="result" camunda:mapDecisionResult="resultList"')
    assert data["result"] == [{"grade": "pass", "note": 90}, {"grade": "good", "note": "well done"}]
    assert "grade" not in data  # Camunda maps the result into its variable only


def test_feel_cells(services, dirs):
    rules = [(['not("x","y")', "]1..5["], ['"open range"']), (["null", "-"], ['"no kind"'])]
    decision = table("d", ["kind", "n"], ["out"], rules, "COLLECT")
    assert run(services, dirs, decision, {"kind": "a", "n": 3})["out"] == ["open range"]
    assert run(services, dirs, decision, {"kind": "a", "n": 5})["out"] == []
    assert run(services, dirs, decision, {"kind": None, "n": 5})["out"] == ["no kind"]


def test_a_decision_compared_with_data_of_the_dossier(services, dirs):
    decision = table("d", ["amount"], ["over"], [(["> limit.value"], ["true"]), (["<= limit.value"], ["false"])])
    assert run(services, dirs, decision, {"amount": 12, "limit": {"value": 10}})["over"] is True


def test_python_cells_when_the_file_declares_python(services, dirs):
    dmn = definitions(table("d", ["score"], ["grade"], [(["< 5"], ['"low"']), (["? in (6, 7)"], ['"six"'])])).replace(
        b'namespace="http', b'expressionLanguage="python" namespace="http')
    assert sync(services, dirs, "R", {"r.bpmn": rule_process("d"), "r.dmn": dmn}) == []
    [t] = services.dossiers.start("R", data={"score": 6}).current_tasks
    assert services.dossiers.get_task(t.task_id).data["grade"] == "six"


ZEEBE_RULES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="rules" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:businessRuleTask id="decide" name="Quyết định">
      <bpmn:extensionElements>
        <zeebe:calledDecision decisionId="d" resultVariable="outcome"/>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:userTask id="t" name="Xem kết quả"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="t"/>
    <bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("decision,data,outcome", [
    # one output: the value itself; no match: null
    (table("d", ["score"], ["grade"], [([">= 50"], ['"pass"'])]), {"score": 70}, "pass"),
    (table("d", ["score"], ["grade"], [([">= 50"], ['"pass"'])]), {"score": 7}, None),
    # several outputs: a map; several matches: a list
    (table("d", ["score"], ["grade", "ok"], [([">= 50"], ['"pass"', "true"])]), {"score": 70},
     {"grade": "pass", "ok": True}),
    (table("d", ["score"], ["grade"], [([">= 50"], ['"pass"']), (["> 60"], ['"good"'])], "RULE ORDER"),
     {"score": 70}, ["pass", "good"]),
])
def test_camunda_8_result_variable_holds_the_dmn_result(services, dirs, decision, data, outcome):
    assert sync(services, dirs, "Z", {"z.bpmn": ZEEBE_RULES, "z.dmn": definitions(decision)}) == []
    [t] = services.dossiers.start("Z", data=data).current_tasks
    assert services.dossiers.get_task(t.task_id).data["outcome"] == outcome


def test_single_entry_with_several_results_is_an_incident(services, dirs):
    decision = table("d", ["score"], ["grade"], [([">= 50"], ['"pass"']), (["> 60"], ['"good"'])], "COLLECT")
    attrs = 'camunda:resultVariable="grade" camunda:mapDecisionResult="singleEntry"'
    assert sync(services, dirs, "R", {"r.bpmn": rule_process("d", attrs), "r.dmn": definitions(decision)}) == []
    assert services.dossiers.start("R", data={"score": 55}).current_tasks  # one result: fine
    with pytest.raises(ProcessFailure, match="at most one result"):
        services.dossiers.start("R", data={"score": 70})


def test_required_decisions_are_evaluated_first_and_their_results_are_in_scope(services, dirs):
    # a decision requirements diagram: size ← category ← fee; fee reads `category` (Camunda 7: the
    # required decision's output name) and `size` (DMN: the required decision's id)
    size = table("size", ["premises.area"], ["size_class"], [(["<= 50"], ['"small"']), (["> 50"], ['"big"'])])
    category = table("category", ["size_class"], ["category"],
                     [(['"small"'], ['"household"']), (['"big"'], ['"enterprise"'])], requires="size")
    fee = table("fee", ["category", "size"], ["fee"],
                [(['"household"', "-"], ["100000"]), (['"enterprise"', '"big"'], ["500000"])], requires="category")
    files = {"r.bpmn": rule_process("fee"), "r.dmn": definitions(size, category, fee)}
    assert sync(services, dirs, "R", files) == []
    for area, expected in ((30, 100000), (80, 500000)):
        [t] = services.dossiers.start("R", data={"premises": {"area": area}}).current_tasks
        data = services.dossiers.get_task(t.task_id).data
        assert data["fee"] == expected
        assert "category" not in data  # a required decision's result is in scope, not written to the data
