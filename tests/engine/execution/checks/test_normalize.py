"""Valid BPMN that SpiffWorkflow alone refuses or runs differently loads and runs as BPMN 2.0 says (issue 8)."""
from engine.execution.bpmn_compiler import compile_process
from tests.support.bpmn import Process
from tests.support.dossier_runner import run_dossier

SUB_WITHOUT_START = (
    '<bpmn:subProcess id="sub"><bpmn:userTask id="a"/><bpmn:userTask id="b"/>'
    '<bpmn:sequenceFlow id="s1" sourceRef="a" targetRef="b"/></bpmn:subProcess>')


def runs(p: Process, **kw):
    compiled = compile_process({"p.bpmn": p.xml()})
    return compiled, run_dossier(compiled, **kw)


def test_a_task_with_several_outgoing_flows_is_a_parallel_split():
    # SpiffWorkflow: "Multiple outgoing flows are not supported for tasks of type"
    p = (Process("p").start().user("a").user("b").user("c").end("e1").end("e2")
         .chain("start", "a").flow("a", "b").flow("a", "c").chain("b", "e1").chain("c", "e2"))
    _, result = runs(p)
    assert result.outcome == "end" and sorted(result.steps) == ["a", "b", "c"]


def test_conditional_flows_from_a_task_take_every_true_condition_or_the_default():
    p = (Process("p").start().user("a").user("yes").user("also").user("otherwise").end("e1").end("e2").end("e3")
         .chain("start", "a").flow("a", "yes", "x > 1").flow("a", "also", "x > 2").flow("a", "otherwise", id="dflt")
         .chain("yes", "e1").chain("also", "e2").chain("otherwise", "e3"))
    xml = p.xml().replace(b'<bpmn:userTask id="a" name="a">', b'<bpmn:userTask id="a" name="a" default="dflt">')
    compiled = compile_process({"p.bpmn": xml})
    assert sorted(run_dossier(compiled, data=lambda t: {"x": 3} if t == "a" else {}).steps) == ["a", "also", "yes"]
    assert run_dossier(compiled, data=lambda t: {"x": 0} if t == "a" else {}).steps == ["a", "otherwise"]


def test_an_embedded_sub_process_without_start_or_end_event_runs_to_its_end():
    # SpiffWorkflow: "Exactly one start event is required in a SubWorkflow Task; found 0"
    p = Process("p").start().element(SUB_WITHOUT_START).user("after").end().chain("start", "sub", "after", "end")
    _, result = runs(p)
    assert result.outcome == "end" and result.steps == ["a", "b", "after"]


def test_a_path_ending_without_an_end_event_inside_a_sub_process_does_not_hang_the_dossier():
    # SpiffWorkflow accepts this and then never completes the sub-process.
    sub = ('<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/><bpmn:userTask id="a"/><bpmn:endEvent id="unused"/>'
           '<bpmn:sequenceFlow id="s1" sourceRef="ss" targetRef="a"/></bpmn:subProcess>')
    p = Process("p").start().element(sub).user("after").end().chain("start", "sub", "after", "end")
    _, result = runs(p)
    assert result.outcome == "end" and result.steps == ["a", "after"]


def test_a_process_without_start_event_starts_every_node_without_incoming_flow():
    p = Process("p").user("a").user("b").end("e1").end("e2").chain("a", "e1").chain("b", "e2")
    _, result = runs(p)
    assert result.outcome == "end" and sorted(result.steps) == ["a", "b"]


def test_data_objects_and_data_stores_are_documentation():
    # SpiffWorkflow: "Data Store with name ... has no implementation", "Cannot resolve dataOutputAssociation"
    p = (Process("p").start().element(
        '<bpmn:userTask id="t"><bpmn:dataOutputAssociation id="o1"><bpmn:targetRef>store_ref</bpmn:targetRef>'
        '</bpmn:dataOutputAssociation><bpmn:dataOutputAssociation id="o2"><bpmn:targetRef>obj_ref</bpmn:targetRef>'
        '</bpmn:dataOutputAssociation><bpmn:dataInputAssociation id="i1"><bpmn:sourceRef>nowhere</bpmn:sourceRef>'
        '<bpmn:targetRef>t</bpmn:targetRef></bpmn:dataInputAssociation></bpmn:userTask>')
         .element('<bpmn:dataObject id="obj" name="Hồ sơ"/><bpmn:dataObjectReference id="obj_ref" dataObjectRef="obj"/>')
         .element('<bpmn:dataStoreReference id="store_ref" name="CSDL dân cư" dataStoreRef="store"/>')
         .end().chain("start", "t", "end"))
    xml = p.xml().replace(b"</bpmn:process>", b'</bpmn:process><bpmn:dataStore id="store" name="CSDL"/>')
    compiled = compile_process({"p.bpmn": xml})
    # the input association is out of schema order: documentation, so a warning too
    assert {(w.element_id, w.severity) for w in compiled.warnings} == {("store_ref", "warning"), ("i1", "warning")}
    assert all("documentation" in w.message for w in compiled.warnings)
    assert run_dossier(compiled, data=lambda t: {"ok": True}).outcome == "end"


def test_a_link_throw_continues_at_the_link_catch_of_the_same_name():
    p = (Process("p").start().user("a")
         .element('<bpmn:intermediateThrowEvent id="go"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateThrowEvent>')
         .element('<bpmn:intermediateCatchEvent id="here"><bpmn:linkEventDefinition name="L"/></bpmn:intermediateCatchEvent>')
         .user("b").end().chain("start", "a", "go").chain("here", "b", "end"))
    _, result = runs(p)
    assert result.outcome == "end" and result.steps == ["a", "b"]


def test_a_prefixed_message_reference_resolves_to_the_message():
    # SpiffWorkflow: TypeError raise_validation_exception() got an unexpected keyword argument 'node'
    p = (Process("p").start().user("a")
         .element('<bpmn:intermediateThrowEvent id="send"><bpmn:messageEventDefinition messageRef="semantic:m1"/>'
                  '</bpmn:intermediateThrowEvent>').end().chain("start", "a", "send", "end"))
    xml = p.xml().replace(b'id="defs"', b'xmlns:semantic="http://bpmn.io/schema/bpmn" id="defs"')
    xml = xml.replace(b"</bpmn:process>", "</bpmn:process><bpmn:message id=\"m1\" name=\"kết quả\"/>".encode())
    compiled = compile_process({"p.bpmn": xml})
    [w] = compiled.warnings
    assert w.element_id == "send" and "'kết quả'" in w.message  # sent, but nothing here receives it
    assert run_dossier(compiled).outcome == "end"
