"""Identifiers checked by pattern refuse a trailing newline (found by the breaker of issue 10: a
citizen token whose ID number was "001085012345\\n" was accepted, a 13-character "12-digit" number).

Python's `$` also matches just before a final "\\n", so `re.match(r"^[0-9]{12}$", "…\\n")` succeeds;
the patterns end with `\\Z` instead. One case per pattern that gates what the system stores or echoes.
"""
from __future__ import annotations

from datetime import date

import pytest

from api.audit import _REQUEST_ID
from engine.domain.applicant import Applicant, ApplicantInvalid
from engine.domain.dossier_code import format_dossier_code
from engine.procedures.metadata import validate_metadata
from engine.services.accounts import USERNAME_RE


def test_a_citizen_id_number_with_a_trailing_newline_is_not_12_digits():
    Applicant("001085012345", "Nguyễn Văn An")  # the plain number is fine
    for bad in ("001085012345\n", "00108501234", "0010850123456"):
        with pytest.raises(ApplicantInvalid):
            Applicant(bad, "Nguyễn Văn An")


def test_an_agency_id_with_a_trailing_newline_makes_no_dossier_code():
    assert format_dossier_code("000.00.12.H15", date(2026, 11, 28), 1) == "000.00.12.H15-261128-0001"
    with pytest.raises(ValueError):
        format_dossier_code("000.00.12.H15\n", date(2026, 11, 28), 1)


@pytest.mark.parametrize("pattern, good", [(USERNAME_RE, "an.nguyen@h15"), (_REQUEST_ID, "req-1")])
def test_usernames_and_request_ids_refuse_a_trailing_newline(pattern, good):
    assert pattern.match(good) and not pattern.match(good + "\n")


def test_a_procedure_code_with_a_trailing_newline_is_refused():
    meta = {"code": "ONL", "name": "Thủ tục", "agency_id": "000.00.12.H15", "statutory_days": 5}
    _, ok = validate_metadata(meta)
    assert not any(field == "code" for field, _ in ok), ok
    _, problems = validate_metadata({**meta, "code": "ONL\n"})
    assert any(field == "code" for field, _ in problems), problems
