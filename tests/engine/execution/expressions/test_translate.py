"""JUEL and FEEL conditions → Python: the translation table, the results, and the refusals (issue 8)."""
import ast

import pytest

from engine.execution.expressions import FUNCTIONS, ExpressionError, Unsupported, translate_condition, translate_value

# (dialect, condition as written, Python it becomes)
TRANSLATIONS = [
    ("juel", "decision == 'accept'", "juel_eq(decision, 'accept')"),
    ("juel", 'decision eq "accept"', "juel_eq(decision, 'accept')"),
    ("juel", "amount ge 1000 && amount lt 5000", "(juel_ge(amount, 1000) and juel_lt(amount, 5000))"),
    ("juel", "a != b || !approved", "(juel_ne(a, b) or (not juel_bool(approved)))"),
    ("juel", "not empty applicant.name", "(not juel_empty(juel_get(applicant, 'name')))"),
    ("juel", "items[0]['kind'] ne null", "juel_ne(juel_get(juel_get(items, 0), 'kind'), None)"),
    ("juel", "approved", "juel_condition(approved)"),
    ("juel", "true", "True"),
    ("juel", "x > -1.5e2", "juel_gt(x, -150.0)"),
    ("juel", "(a or b) and c", "((juel_bool(a) or juel_bool(b)) and juel_bool(c))"),
    ("juel", r"s == 'it\'s'", "juel_eq(s, \"it's\")"),
    ("feel", 'decision = "accept"', "feel_condition(feel_eq(decision, 'accept'))"),
    ("feel", "a.b >= 3 and not(c)", "feel_condition(feel_and(feel_ge(feel_get(a, 'b'), 3), feel_not(c)))"),
    ("feel", "x != null or y < 2", "feel_condition(feel_or(feel_ne(x, None), feel_lt(y, 2)))"),
]


@pytest.mark.parametrize("dialect,text,python", TRANSLATIONS)
def test_translation_table(dialect, text, python):
    assert translate_condition(text, dialect) == python


@pytest.mark.parametrize("dialect,text,python", TRANSLATIONS)
def test_translations_are_plain_expressions(dialect, text, python):
    # what a restricted compiler accepts: names, constants, calls of our functions, boolean operators
    allowed = (ast.Expression, ast.Call, ast.Name, ast.Load, ast.Constant, ast.BoolOp, ast.And, ast.Or,
               ast.UnaryOp, ast.Not, ast.USub)
    tree = ast.parse(python, mode="eval")
    for node in ast.walk(tree):
        assert isinstance(node, allowed), (python, node)
        if isinstance(node, ast.Call):
            assert node.func.id in FUNCTIONS
        if isinstance(node, ast.Name):
            assert not node.id.startswith("_")


def run(dialect, text, **data):
    return eval(translate_condition(text, dialect), {**FUNCTIONS, **data})


# (condition, data, result): where JUEL (EL 2.2 spec) differs from Python, JUEL wins
JUEL_RESULTS = [
    ("n == '1'", {"n": 1}, True),  # a number and a numeric string compare as numbers
    ("n == '1'", {"n": 1.0}, True),
    ("n > '10'", {"n": 9}, False),  # ... also when ordering: 9 > 10 is false (as strings "9" > "10")
    ("s > '10'", {"s": "9"}, True),  # two strings compare lexically
    ("x == null", {"x": None}, True),
    ("x != null", {"x": None}, False),
    ("x < 5", {"x": None}, False),  # a null side makes an ordering false
    ("x >= 5", {"x": None}, False),
    ("x <= y", {"x": None, "y": None}, True),
    ("flag == 'true'", {"flag": True}, True),  # a boolean and a string compare as booleans
    ("flag == 'yes'", {"flag": True}, False),
    ("s == 1", {"s": ""}, False),  # "" coerces to 0
    ("s == 0", {"s": ""}, True),
    ("empty s", {"s": ""}, True),
    ("empty s", {"s": []}, True),
    ("empty s", {"s": {}}, True),
    ("empty s", {"s": None}, True),
    ("empty s", {"s": 0}, False),
    ("a.b == null", {"a": {}}, True),  # a missing key is null
    ("a.b.c == null", {"a": None}, True),  # and so is a path through null
    ("!s", {"s": "TRUE"}, False),  # strings coerce to booleans: only 'true' (any case) is true
    ("s && t", {"s": None, "t": "true"}, False),
    ("l[5] == null", {"l": [1]}, True),
    ("x == 'a' || x == 'b'", {"x": "b"}, True),
]


@pytest.mark.parametrize("text,data,result", JUEL_RESULTS)
def test_juel_semantics(text, data, result):
    assert run("juel", text, **data) is result


@pytest.mark.parametrize("text,data", [
    ("n == 'abc'", {"n": 1}),  # not a number: an error in JUEL too
    ("n == '1.5'", {"n": 1}),  # Long.valueOf("1.5") fails in Java
    ("n", {"n": 1}),  # a condition must give a boolean
    ("x", {"x": None}),
    ("n && true", {"n": 1}),  # a number is not a boolean
    ("s.length > 0", {"s": "abc"}),  # no bean properties on strings
])
def test_juel_errors_at_run_time(text, data):
    with pytest.raises(ExpressionError):
        run("juel", text, **data)


FEEL_RESULTS = [
    ('x = "a"', {"x": "a"}, True),
    ("x = null", {"x": None}, True),
    ("x != null", {"x": 3}, True),
    ('x = 1 or x = "1"', {"x": "1"}, True),  # 1 = "1" is null; null or true is true
    ("x < 5 or y", {"x": None, "y": True}, True),
    ("x > 5 and y", {"x": None, "y": False}, False),  # null and false is false
    ("not(x = 2)", {"x": 3}, True),
    ("a.b = 1", {"a": {"b": 1}}, True),
    ("l.k[2] = 5", {"l": [{"k": 4}, {"k": 5}]}, True),  # a path maps over a list; lists count from 1
]


@pytest.mark.parametrize("text,data,result", FEEL_RESULTS)
def test_feel_semantics(text, data, result):
    assert run("feel", text, **data) is result


@pytest.mark.parametrize("text,data", [
    ('x = "1"', {"x": 1}),  # different kinds: null, not false
    ("x > 5", {"x": None}),
    ("not(x)", {"x": "yes"}),
])
def test_feel_null_condition_is_an_error(text, data):
    with pytest.raises(ExpressionError, match="null"):
        run("feel", text, **data)


REFUSED = [
    ("juel", "bean.check(x)", "method call"),
    ("juel", "check(x)", "function call"),
    ("juel", "execution.getVariable('x') == 1", "method call"),
    ("juel", "a ? b : c", "?: operator"),
    ("juel", "a + 1 > 2", "arithmetic"),
    ("juel", "a = 1", "=="),
    ("juel", "x instanceof y", "only comparisons"),
    ("juel", "class == 1", "rename the variable"),
    ("juel", "_x == 1", "rename the variable"),
    ("juel", "'open", "not closed"),
    ("juel", "", "empty"),
    ("juel", "-x > 1", "before a number"),
    ("feel", "x == 1", 'single "="'),
    ("feel", "x = 'a'", "double quotes"),
    ("feel", "x in [1..5]", "only comparisons"),
    ("feel", "if x then y else z", "if-then-else"),
    ("feel", "count(x) > 1", "function call"),
]


@pytest.mark.parametrize("dialect,text,hint", REFUSED)
def test_refusals_say_why(dialect, text, hint):
    with pytest.raises(Unsupported) as info:
        translate_condition(text, dialect)
    assert hint in str(info.value)


def test_value_expressions_are_not_wrapped():
    assert translate_value("applicant.age", "feel") == "feel_get(applicant, 'age')"
    assert translate_value('"gold"', "feel") == "'gold'"
