"""A version's states and their transitions; the announcing decision (issue 12, R-1.2)."""
from datetime import date, datetime, timezone

import pytest

from engine.domain.procedure_version import (
    Action,
    Decision,
    TransitionRefused,
    VersionState,
    advance,
    repeal_applies,
)


def test_the_review_path_and_nothing_else():
    assert advance("draft", Action.SUBMIT) is VersionState.SUBMITTED
    assert advance(VersionState.SUBMITTED, Action.RETURN) is VersionState.DRAFT
    assert advance(VersionState.SUBMITTED, Action.PUBLISH) is VersionState.PUBLISHED
    assert advance(VersionState.PUBLISHED, Action.RETIRE) is VersionState.RETIRED
    with pytest.raises(TransitionRefused, match="a draft version cannot be published .possible: submit."):
        advance(VersionState.DRAFT, Action.PUBLISH)
    with pytest.raises(TransitionRefused, match="a retired version cannot be retired$"):
        advance(VersionState.RETIRED, Action.RETIRE)


def test_a_decision_needs_a_number_and_a_date_not_in_the_future():
    assert Decision("1/QĐ-UBND", date(2026, 11, 30)).problems(date(2026, 11, 30)) == []
    assert [f for f, _ in Decision("", date(2026, 12, 1)).problems(date(2026, 11, 30))] == ["decision_number",
                                                                                          "decision_date"]
    assert Decision("x" * 65, date(2026, 1, 1)).problems(date(2026, 11, 30))[0][1] == "at most 64 characters"


def test_a_repeal_applies_from_its_instant_unless_a_later_version_took_effect():
    t = lambda h: datetime(2026, 11, 30, h, tzinfo=timezone.utc)  # noqa: E731
    assert not repeal_applies(None, t(1), t(5))
    assert not repeal_applies(t(6), t(1), t(5))  # not yet
    assert repeal_applies(t(3), t(1), t(5))
    assert not repeal_applies(t(3), t(4), t(5))  # announced again after the repeal
