"""Fixtures of the service tests. `rows_match_the_state` is opted into by a module that drives
workflows (`pytestmark = pytest.mark.usefixtures("rows_match_the_state")`), not used everywhere:
tests that break the rows on purpose (test_integrity.py) must not trip it."""
from __future__ import annotations

import pytest


@pytest.fixture
def rows_match_the_state(services):
    """Whatever the test did, the ready-task and timer rows still match the stored states (db check)."""
    yield
    problems: list = []
    assert services.integrity.check(problems.append).ok, problems
