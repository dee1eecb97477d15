"""Forms refuse fields they do not list unless they say otherwise (issue 7)."""
import json
from pathlib import Path

from engine.services.forms import FormChecker

FORMS = Path(__file__).resolve().parents[3] / "forms"
PLAIN = {"type": "object", "required": ["complete"], "properties": {"complete": {"type": "boolean"}}}


def test_a_form_without_additional_properties_refuses_unknown_fields_naming_them():
    assert FormChecker(PLAIN).problems({"complete": True, "deadline": "x", "now": 1}) == [
        ("deadline", "is not a field of this form"), ("now", "is not a field of this form")]
    assert FormChecker(PLAIN).problems({"complete": True}) == []


def test_a_form_may_allow_extra_fields_explicitly():
    assert FormChecker({**PLAIN, "additionalProperties": True}).problems({"complete": True, "extra": 1}) == []


def test_fields_declared_through_composition_count_as_listed():
    schema = {"type": "object", "allOf": [{"properties": {"a": {"type": "string"}}}],
              "properties": {"b": {"type": "string"}}}
    assert FormChecker(schema).problems({"a": "x", "b": "y"}) == []
    assert FormChecker(schema).problems({"a": "x", "c": "z"}) == [("c", "is not a field of this form")]


def test_the_shipped_reception_form_keeps_its_conditional_field():
    form = FormChecker(json.loads((FORMS / "reception-check.json").read_text(encoding="utf-8")))
    assert form.problems({"complete": False, "guidance": "Bổ sung bản sao giấy tờ"}) == []
    assert form.problems({"complete": True, "deadline": "x"}) == [("deadline", "is not a field of this form")]
