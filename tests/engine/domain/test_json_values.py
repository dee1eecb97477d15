"""The pure checker of JSON values entering the engine (issue 7)."""
import enum
import json

from engine.domain.json_values import (MAX_PROBLEMS, NOT_FINITE, OUT_OF_RANGE, encoded_size, parse_int,
                                       value_problems)


class Channel(str, enum.Enum):
    DESK = "desk"


def test_paths_name_each_problem_in_document_order():
    value = {"a": [1, {"b": float("nan")}], "c": 2**63, "d": {"e": "ok"}}
    assert value_problems(value, 32, "data") == [("data.a[1].b", NOT_FINITE), ("data.c", OUT_OF_RANGE)]
    assert value_problems([float("inf")], 32) == [("[0]", NOT_FINITE)]
    assert value_problems(float("nan"), 32) == [("body", NOT_FINITE)]


def test_depth_counts_containers():
    assert value_problems({"a": [{"b": 1}]}, 3) == []
    assert value_problems({"a": [{"b": {}}]}, 3) == [("a[0].b", "nested deeper than 3 levels")]


def test_integer_literals_too_long_to_convert_are_kept_as_text_and_refused():
    value = json.loads('{"n": ' + "9" * 5000 + ', "m": -9223372036854775808}', parse_int=parse_int)
    assert value["m"] == -(2**63)
    assert value_problems(value, 32) == [("n", OUT_OF_RANGE)]


def test_subclasses_are_checked_as_their_base_and_other_objects_refused():
    assert value_problems({"channel": Channel.DESK, "ok": True, "none": None}, 32) == []
    assert value_problems({"s": {1, 2}}, 32) == [("s", "not a JSON value (set)")]


def test_a_body_full_of_problems_gets_a_bounded_answer():
    assert len(value_problems([float("nan")] * 10_000, 32)) == MAX_PROBLEMS


def test_size_is_compact_utf8():
    assert encoded_size({"x": "ệ"}) == 11  # {"x":" is 6 bytes, ệ 3 in UTF-8, "} 2
