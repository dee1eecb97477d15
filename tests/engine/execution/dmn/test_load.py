"""DMN files at check: every decision loads or is refused with its file, element id and line (issue 8)."""
import pytest

from engine.execution.bpmn_compiler import BpmnInvalid, compile_process
from engine.execution.dmn.load import unary_tests
from engine.execution.expressions import Unsupported
from tests.support.dmn import definitions, rule_process, table

RULES = [(["< 5"], ['"low"']), ([">= 5"], ['"high"'])]


def problems(dmn: bytes, decision_id: str = "d") -> list:
    with pytest.raises(BpmnInvalid) as info:
        compile_process({"p.bpmn": rule_process(decision_id)}, {"rules.dmn": dmn})
    return info.value.problems


def test_a_file_with_several_decisions_loads_each_by_id():
    dmn = definitions(table("first", ["x"], ["a"], RULES), table("second", ["x"], ["b"], RULES))
    for decision_id in ("first", "second"):
        compiled = compile_process({"p.bpmn": rule_process(decision_id)}, {"rules.dmn": dmn})
        assert compiled.process_id == "rules"


def test_a_missing_decision_is_reported_on_the_business_rule_task():
    [p] = problems(definitions(table("d", ["x"], ["a"], RULES)), decision_id="nope")
    assert (p.file, p.element_id) == ("p.bpmn", "decide")
    assert "'nope'" in p.message and "decisions: d" in p.message


def test_required_decisions_load_and_a_missing_or_circular_one_is_refused():
    base, d = table("base", ["x"], ["a"], RULES), table("d", ["a"], ["b"], RULES, requires="base")
    assert compile_process({"p.bpmn": rule_process("d")}, {"rules.dmn": definitions(base, d)}).process_id == "rules"
    [p] = problems(definitions(d))
    assert (p.file, p.element_id) == ("p.bpmn", "decide") and "requires decision 'base', which is in none" in p.message
    loop = table("base", ["x"], ["a"], RULES, requires="d")
    [p] = problems(definitions(loop, d))
    assert p.element_id == "decide" and "requires itself" in p.message


@pytest.mark.parametrize("decision,element,expected", [
    (table("d", ["x"], ["a"], RULES, hit_policy="SOMETIMES"), "table_d", "'SOMETIMES' is not an element of the set"),
    (table("d", ["x"], ["a"], RULES, hit_policy="FIRST", aggregation="SUM"), "table_d", "only goes with hit policy COLLECT"),
    (table("d", ["x"], ["a", "b"], [(["-"], ["1", "2"])], hit_policy="COLLECT", aggregation="SUM"), "table_d",
     "needs a table with one output"),
    (table("d", ["x"], ["a"], RULES, hit_policy="PRIORITY"), "d_out0", "list them on output 'a'"),
    (table("d", ["x"], ["a"], RULES, hit_policy="PRIORITY", output_values={"a": '"low"'}), "d_r2_o0",
     "one of its listed values"),
    (table("d", ["x"], ["a"], [(['date("2024-01-01")'], ['"x"'])]), "d_r1_i0", "function call"),
    (table("d", ["x"], ["a"], [(["? > 5"], ['"x"'])]), "d_r1_i0", "tests with ?"),
    (table("d", ["x"], ["a"], [(["x > 5"], ['"x"'])]), "d_r1_i0", "not a value, a variable or a path"),
    (table("d", ["x"], ["a"], [(["[1..5"], ['"x"'])]), "d_r1_i0", "not a range like [1..5]"),
    (table("d", ["x"], ["a"], [(["'a'"], ['"x"'])]), "d_r1_i0", "double quotes"),
    (table("d", ["x.size()"], ["a"], RULES), "d_in0", "method call"),
    (table("d", ["x"], ["a"], [(["1"], ["a + 1"])]), "d_r1_o0", "arithmetic"),
])
def test_what_cannot_run_is_refused_where_it_is(decision, element, expected):
    found = problems(definitions(decision))
    assert any(p.element_id == element and expected in p.message and p.file == "rules.dmn" and p.line
               for p in found), found


def test_every_problem_of_a_file_at_once():
    decision = table("d", ["x"], ["a"], [(["? > 1"], ["a + 1"]), (["[1..2"], ['"ok"'])], hit_policy="FIRST",
                     aggregation="MAX")
    assert {p.element_id for p in problems(definitions(decision))} == {"table_d", "d_r1_i0", "d_r1_o0", "d_r2_i0"}


def test_a_decision_that_is_not_a_table_is_refused():
    dmn = definitions('<decision id="d" name="d"><literalExpression id="e"><text>1</text></literalExpression></decision>')
    [p] = problems(dmn)
    assert p.element_id == "d" and "literalExpression" in p.message and "only decision tables" in p.message


def test_an_unnamed_output_is_refused_when_the_data_needs_its_name():
    dmn = definitions(table("d", ["x"], [""], RULES).replace('name=""', ""))
    [p] = problems(dmn)
    assert p.element_id == "decide" and "has no name" in p.message


@pytest.mark.parametrize("text,cell", [
    ("-", None),
    ("", None),
    ('"a","b"', {"not": False, "tests": [{"op": "==", "a": {"v": "a"}}, {"op": "==", "a": {"v": "b"}}]}),
    ('"a,b"', {"not": False, "tests": [{"op": "==", "a": {"v": "a,b"}}]}),
    ("not(< 0)", {"not": True, "tests": [{"op": "<", "a": {"v": 0}}]}),
    ("]1..limit]", {"not": False, "tests": [{"op": "range", "lo": {"v": 1}, "hi": {"py": "limit"},
                                              "lo_open": True, "hi_open": False}]}),
    ("!= a.b", {"not": False, "tests": [{"op": "!=", "a": {"py": "feel_get(a, 'b')"}}]}),
    ("-1.5", {"not": False, "tests": [{"op": "==", "a": {"v": -1.5}}]}),
])
def test_feel_unary_tests(text, cell):
    assert unary_tests(text) == cell


def test_python_cells_still_run_when_the_file_says_so():
    dmn = definitions(table("d", ["x"], ["a"], [(["< 5"], ['"low"']), (["in [5, 6]"], ['"mid"'])])).replace(
        b'namespace="http', b'expressionLanguage="python" namespace="http')
    compiled = compile_process({"p.bpmn": rule_process("d")}, {"rules.dmn": dmn})
    assert compiled.process_id == "rules"
    with pytest.raises(Unsupported):
        unary_tests("in [5, 6]")
