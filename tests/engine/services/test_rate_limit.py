"""The shared attempt limiter (logins per address and per username; later public lookups), R-8.2."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.persistence.models import RateCounter
from engine.services.errors import TooManyRequests
from engine.services.rate_limit import RateLimiter, RateRule

MINUTE = timedelta(minutes=1)


@pytest.fixture
def limiter(services):
    return RateLimiter(services.ctx)


def test_a_window_allows_limit_attempts_then_refuses_until_it_ends(limiter, clock):
    rule = RateRule(3, MINUTE)
    assert [limiter.hit("s", "a", rule).allowed for _ in range(4)] == [True, True, True, False]
    clock.advance(timedelta(seconds=20))
    refused = limiter.hit("s", "a", rule)
    # the window started at the first attempt: 60 s - 20 s = 40 s left
    assert not refused.allowed and refused.hits == 5 and refused.retry_after == 40
    assert limiter.hit("s", "b", rule).allowed  # other subjects and scopes count apart
    assert limiter.hit("other", "a", rule).allowed
    clock.advance(timedelta(seconds=40))
    fresh = limiter.hit("s", "a", rule)
    assert fresh.allowed and fresh.hits == 1


def test_a_block_starts_at_the_attempt_that_reaches_the_limit_and_is_not_extended(limiter, clock):
    rule = RateRule(2, timedelta(minutes=15), block=timedelta(minutes=15))
    assert limiter.hit("s", "a", rule).allowed
    clock.advance(timedelta(minutes=10))
    second = limiter.hit("s", "a", rule)  # the 2nd attempt reaches the limit: blocked 15 min from now
    assert second.allowed and second.resets_at == clock.now() + timedelta(minutes=15)
    clock.advance(timedelta(minutes=14))
    refused = limiter.hit("s", "a", rule)  # refused attempts do not push the end further
    assert not refused.allowed and refused.retry_after == 60
    clock.advance(timedelta(minutes=1))
    assert limiter.hit("s", "a", rule).allowed


def test_a_limit_of_one_with_a_block(limiter, clock):
    rule = RateRule(1, MINUTE, block=timedelta(minutes=5))
    first = limiter.hit("s", "a", rule)
    assert first.allowed and first.resets_at == clock.now() + timedelta(minutes=5)
    assert not limiter.hit("s", "a", rule).allowed


def test_refund_and_clear(limiter):
    rule = RateRule(2, MINUTE)
    limiter.hit("s", "a", rule)
    limiter.hit("s", "a", rule)
    limiter.refund("s", "a")  # e.g. that attempt succeeded
    assert limiter.hit("s", "a", rule).allowed
    assert not limiter.hit("s", "a", rule).allowed
    limiter.clear("s", "a")
    assert limiter.hit("s", "a", rule).hits == 1


def test_take_raises_too_many_requests_with_retry_after(limiter):
    rule = RateRule(1, timedelta(seconds=90))
    limiter.take("s", "a", rule, "lookups")
    with pytest.raises(TooManyRequests) as err:
        limiter.take("s", "a", rule, "lookups")
    assert err.value.retry_after == 90 and "at most 1 per 90 s" in err.value.detail


def test_long_subjects_are_stored_as_their_digest(limiter, services):
    rule = RateRule(1, MINUTE)
    long_a, long_b = "x" * 500 + "a", "x" * 500 + "b"
    assert limiter.hit("s", long_a, rule).allowed
    assert not limiter.hit("s", long_a, rule).allowed
    assert limiter.hit("s", long_b, rule).allowed


def test_ended_windows_are_purged(limiter, services, clock):
    rule = RateRule(5, MINUTE)
    for subject in ("a", "b", "c"):
        limiter.hit("s", subject, rule)
    clock.advance(timedelta(minutes=2))
    limiter.hit("s", "d", rule)
    with services.ctx.uow(write=False) as uow:
        assert uow.session.scalars(select(RateCounter.subject)).all() == ["d"]


def test_rules_must_be_positive():
    with pytest.raises(ValueError):
        RateRule(0, MINUTE)
    with pytest.raises(ValueError):
        RateRule(1, timedelta(0))
