"""The pre-parse pass over Camunda Modeler files: what it translates and what it refuses, located."""
import pytest
from lxml import etree

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.camunda import prepare_vendor_extensions
from tests.support.dossier_runner import run_dossier

HEAD = ('<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">'
        '<bpmn:process id="p" isExecutable="true">')
TAIL = "</bpmn:process></bpmn:definitions>"


def gateway(*conditions: str, attrs: str = "") -> str:
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="gw" targetRef="e{i}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{attrs}>{c}</bpmn:conditionExpression>'
        f'</bpmn:sequenceFlow><bpmn:endEvent id="e{i}"/>'
        for i, c in enumerate(conditions))
    return (HEAD + '<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="gw"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="gw"/>' + flows + TAIL)


def findings(xml: str) -> list:
    return prepare_vendor_extensions(etree.fromstring(xml.encode()))


def test_conditions_are_translated_in_place_and_keep_the_original_as_a_comment():
    tree = etree.fromstring(gateway("${a == 1}", "=b = 2", "c == 3").encode())
    assert prepare_vendor_extensions(tree) == []
    texts = [el.text for el in tree.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}conditionExpression")]
    assert texts == ["juel_eq(a, 1)  # ${a == 1}", "feel_condition(feel_eq(b, 2))  # =b = 2", "c == 3"]


@pytest.mark.parametrize("condition,attrs,expected", [
    ("#{a == 1}", "", "deferred expressions"),
    ("${a} and ${b}", "", "several expressions"),
    ("approved: ${a}", "", "mixes text"),
    ("${a.b()}", "", "method call"),
    ("decision = 'x'", "", "not a valid expression"),
    ("return a == 1;", ' language="javascript"', "javascript script"),
    ("a == 1", ' language="groovy"', "groovy script"),
    ("", ' camunda:resource="deployment:cond.js" language="javascript"', "external script"),
])
def test_conditions_that_cannot_run_are_refused_on_their_flow_and_line(condition, attrs, expected):
    xml = gateway(condition, attrs=attrs).replace("><", ">\n<")
    [finding] = findings(xml)
    assert finding.element_id == "f0" and expected in finding.message
    assert "conditionExpression" in xml.splitlines()[finding.line - 1]


@pytest.mark.parametrize("task,expected", [
    ('<bpmn:userTask id="t" camunda:assignee="demo"/>', "camunda:assignee"),
    ('<bpmn:userTask id="t" camunda:candidateUsers="a,b"/>', "camunda:candidateUsers"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:assignmentDefinition assignee="=initiator"/>'
     '</bpmn:extensionElements></bpmn:userTask>', "zeebe assignee"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:taskListener event="create" class="x.Y"/>'
     '</bpmn:extensionElements></bpmn:userTask>', "task listeners"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="a">1'
     '</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>', "input/output"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><camunda:formData><camunda:formField id="a" type="string"/>'
     '</camunda:formData></bpmn:extensionElements></bpmn:userTask>', "JSON Schema"),
    ('<bpmn:businessRuleTask id="t" camunda:class="x.Rules"/>', "only DMN decisions"),
    ('<bpmn:scriptTask id="t" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "javascript, which the engine does not run"),
    ('<bpmn:scriptTask id="t" camunda:resource="deployment:a.py"/>', "external resource"),
    ('<bpmn:sendTask id="t" camunda:expression="${mailer.send(execution)}"/>', "camunda:expression on sendTask"),
    ('<bpmn:endEvent id="t"><bpmn:messageEventDefinition camunda:class="a.B"/></bpmn:endEvent>', "on endEvent 't'"),
    ('<bpmn:userTask id="t" camunda:formRef="appraisal"/>', "Camunda Forms"),
    ('<bpmn:userTask id="t" camunda:formKey="camunda-forms:deployment:appraisal.form"/>', "Camunda Forms"),
    ('<bpmn:userTask id="t"><bpmn:extensionElements><zeebe:formDefinition formKey="x"/></bpmn:extensionElements>'
     '</bpmn:userTask>', "Camunda 8 forms"),
    ('<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${agencies}">'
     '<bpmn:completionCondition>${nrOfCompletedInstances >= 2}</bpmn:completionCondition>'
     '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>', "reads nrOfCompletedInstances"),
    ('<bpmn:userTask id="t"><bpmn:multiInstanceLoopCharacteristics camunda:collection="${service.agencies()}"/>'
     '</bpmn:userTask>', "must name a data variable"),
    ('<bpmn:businessRuleTask id="t" camunda:decisionRef="d" camunda:resultVariable="r" '
     'camunda:mapDecisionResult="firstEntry"/>', "not one of"),
])
def test_camunda_extensions_that_would_be_ignored_are_refused_on_their_task(task, expected):
    [finding] = findings(HEAD + task + TAIL)
    assert finding.element_id == "t" and expected in finding.message


def test_camunda_multi_instance_becomes_bpmn_loop_data():
    for loop in ('<bpmn:multiInstanceLoopCharacteristics camunda:collection="${agencies}" '
                 'camunda:elementVariable="agency"/>',
                 '<bpmn:multiInstanceLoopCharacteristics><bpmn:extensionElements><zeebe:loopCharacteristics '
                 'inputCollection="=agencies" inputElement="agency"/></bpmn:extensionElements>'
                 '</bpmn:multiInstanceLoopCharacteristics>'):
        tree = etree.fromstring((HEAD + f'<bpmn:userTask id="t">{loop}</bpmn:userTask>' + TAIL).encode())
        assert prepare_vendor_extensions(tree) == []
        ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
        assert tree.findtext(".//bpmn:loopDataInputRef", namespaces=ns) == "agencies"
        assert tree.find(".//bpmn:inputDataItem", ns).get("name") == "agency"


def user_task_process(attrs: str) -> bytes:
    return (HEAD + f'<bpmn:startEvent id="s"/><bpmn:userTask id="t" {attrs}/>'
            '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>' + TAIL).encode()


@pytest.mark.parametrize("group", ["official", "official@000.00.12.H20", "agency_head@{consulted_agency}"])
def test_candidate_group_syntax_is_the_lane_bracket(group):
    compiled = compile_process({"a.bpmn": user_task_process(f'camunda:candidateGroups="{group}"')})
    assert compiled.human_tasks["p/t"].candidate_groups == group


@pytest.mark.parametrize("attrs,expected", [
    ('camunda:candidateGroups="${group}"', "is an expression"),
    ('camunda:candidateGroups="official,approver"', "several groups"),
    ('camunda:candidateGroups="management"', "unknown role 'management'"),
])
def test_candidate_groups_that_name_no_single_role_are_refused_once(attrs, expected):
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"a.bpmn": user_task_process(attrs)})
    [problem] = info.value.problems
    assert problem.element_id == "t" and expected in problem.message


def test_compile_reports_every_problem_of_a_camunda_file():
    xml = gateway("${a.b()}", "${c ? 1 : 2}")
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"a.bpmn": xml.encode()})
    assert sorted(p.element_id for p in info.value.problems) == ["f0", "f1"]
    assert all(p.file == "a.bpmn" for p in info.value.problems)




def looping(condition: str) -> bytes:
    return (HEAD + '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review"/>'
            '<bpmn:userTask id="review"><bpmn:standardLoopCharacteristics><bpmn:loopCondition '
            f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:loopCondition></bpmn:standardLoopCharacteristics>'
            '</bpmn:userTask><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e"/><bpmn:endEvent id="e"/>'
            + TAIL).encode()


@pytest.mark.parametrize("condition", ["${rounds lt 3}", "=rounds &lt; 3", "rounds &lt; 3"])
def test_a_loop_condition_runs_in_the_language_it_is_written_in(condition):
    """BPMN 2.0 §10.3.8: the activity loops while its loopCondition is true. It was passed to
    SpiffWorkflow untranslated, so a JUEL or FEEL condition passed check and failed at run time."""
    rounds = iter(range(1, 10))
    result = run_dossier(compile_process({"p.bpmn": looping(condition)}), data=lambda _: {"rounds": next(rounds)})
    assert (result.outcome, result.steps) == ("end", ["review", "review", "review"]), result


@pytest.mark.parametrize("condition, expected", [
    ("rounds &lt;", "not a valid expression"),
    ("${rounds.size() lt 3}", "method call"),
])
def test_a_loop_condition_that_cannot_run_is_refused_on_its_task(condition, expected):
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": looping(condition)})
    assert [(p.element_id, expected in p.message) for p in info.value.problems] == [("review", True)]


def instances(cardinality: str) -> bytes:
    return (HEAD + '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="consult"/>'
            '<bpmn:userTask id="consult"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality '
            f'xsi:type="bpmn:tFormalExpression">{cardinality}</bpmn:loopCardinality>'
            '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="consult" targetRef="e"/><bpmn:endEvent id="e"/>' + TAIL).encode()


@pytest.mark.parametrize("cardinality", ["${3}", "${count}", "=count", "count", "3"])
def test_a_loop_cardinality_runs_in_the_language_it_is_written_in(cardinality):
    result = run_dossier(compile_process({"p.bpmn": instances(cardinality)}), start_data={"count": 3})
    assert (result.outcome, result.steps) == ("end", ["consult"] * 3), result


@pytest.mark.parametrize("cardinality, expected", [
    ("3 +", "not a valid expression"),
    ("${items.size()}", "method call"),
])
def test_a_loop_cardinality_that_cannot_run_is_refused_on_its_task(cardinality, expected):
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": instances(cardinality)})
    assert [(p.element_id, expected in p.message) for p in info.value.problems] == [("consult", True)], \
        info.value.problems
