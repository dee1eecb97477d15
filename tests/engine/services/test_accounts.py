"""Local accounts: logins that do not tell unknown names apart, limits that hold under parallel
guesses, sessions that end (R-8.2, R-8.5)."""
import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from engine.domain.access import Official
from engine.services.accounts import AccountPolicy, AccountService, TokenClaims
from engine.services.errors import InvalidInput, TooManyRequests, Unauthorized

AGENCY = "000.00.12.H15"
PASSWORD = "mật-khẩu-đủ-dài-1"


class CountingHasher(PasswordHasher):
    """Counts password verifications: the work a guess costs, and how many guesses got that far."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024)
        self.verified = 0
        self._lock = threading.Lock()

    def verify(self, hash, password):  # noqa: A002 - argon2's parameter names
        with self._lock:
            self.verified += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher():
    return CountingHasher()


def accounts_with(services, hasher, **policy):
    return AccountService(services.ctx, hasher, AccountPolicy(**policy))


def test_unknown_user_and_wrong_password_get_the_same_answer_and_work(services, hasher):
    accounts = accounts_with(services, hasher)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    answers = []
    for username in ("an", "nobody"):
        before = hasher.verified
        with pytest.raises(Unauthorized) as err:
            accounts.authenticate(username, "a wrong password", "192.0.2.1")
        answers.append((err.value.detail, err.value.extra, hasher.verified - before))
    assert answers[0] == answers[1] == ("wrong username or password", {}, 1)


def test_an_unknown_username_locks_like_an_existing_one(services, hasher, clock):
    accounts = accounts_with(services, hasher, lock_after=3)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    locks = []
    for username in ("an", "nobody"):
        for _ in range(3):
            with pytest.raises(Unauthorized):
                accounts.authenticate(username, "a wrong password", "192.0.2.1")
        before = hasher.verified
        with pytest.raises(Unauthorized) as err:
            accounts.authenticate(username, PASSWORD, "192.0.2.1")
        assert hasher.verified == before  # a locked name is refused before any password check
        locks.append((err.value.extra["reason"], err.value.extra["locked_until"]))
    # both locked for 15 minutes from their 3rd failure (same clock instant here)
    assert locks[0] == locks[1] == ("locked", clock.now() + timedelta(minutes=15))
    clock.advance(timedelta(minutes=15))
    assert accounts.authenticate("an", PASSWORD, "192.0.2.1").official.username == "an"


def test_a_successful_login_ends_the_run_of_failures(services, hasher):
    accounts = accounts_with(services, hasher, lock_after=3)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            accounts.authenticate("an", "a wrong password", "192.0.2.1")
    accounts.authenticate("an", PASSWORD, "192.0.2.1")
    for _ in range(2):  # two more failures do not lock: the count started afresh
        with pytest.raises(Unauthorized) as err:
            accounts.authenticate("an", "a wrong password", "192.0.2.1")
        assert "reason" not in err.value.extra
    accounts.authenticate("an", PASSWORD, "192.0.2.1")


def test_failed_logins_are_limited_per_client_address(services, hasher, clock):
    accounts = accounts_with(services, hasher, address_limit=3, address_window=timedelta(minutes=1))
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    for name in ("u1", "u2", "u3"):  # a different name each time: no name locks
        with pytest.raises(Unauthorized):
            accounts.authenticate(name, "a wrong password", "192.0.2.1")
    before = hasher.verified
    with pytest.raises(TooManyRequests) as err:
        accounts.authenticate("an", PASSWORD, "192.0.2.1")
    assert err.value.retry_after == 60 and hasher.verified == before
    assert accounts.authenticate("an", PASSWORD, "198.51.100.7")  # another address
    clock.advance(timedelta(minutes=1))
    assert accounts.authenticate("an", PASSWORD, "192.0.2.1")


def test_successful_logins_do_not_use_up_the_address_limit(services, hasher):
    accounts = accounts_with(services, hasher, address_limit=2)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    for _ in range(5):  # e.g. a whole office behind one address logging in
        accounts.authenticate("an", PASSWORD, "192.0.2.1")


def _in_parallel(n, fn):
    barrier = threading.Barrier(n)
    outcomes, lock = [], threading.Lock()

    def run():
        barrier.wait()
        try:
            fn()
            outcome = "ok"
        except Exception as err:  # noqa: BLE001 - the outcome is what we assert on
            outcome = type(err).__name__ + ":" + str(err.extra.get("reason", "") if hasattr(err, "extra") else err)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.mark.postgres_only
def test_parallel_guesses_never_exceed_the_username_lock(services, hasher):
    accounts = accounts_with(services, hasher, lock_after=5, address_limit=1000)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    outcomes = _in_parallel(40, lambda: accounts.authenticate("an", "a wrong password", "192.0.2.1"))
    assert hasher.verified == 5  # exactly the 5 allowed guesses were checked, whatever the timing
    assert sorted(set(outcomes)) == ["Unauthorized:", "Unauthorized:locked"]
    assert outcomes.count("Unauthorized:") == 5


@pytest.mark.postgres_only
def test_parallel_guesses_never_exceed_the_address_limit(services, hasher):
    accounts = accounts_with(services, hasher, address_limit=5)
    names = iter(f"user{i}" for i in range(40))
    lock = threading.Lock()

    def guess():
        with lock:
            name = next(names)
        accounts.authenticate(name, "a wrong password", "192.0.2.1")

    outcomes = _in_parallel(40, guess)
    assert hasher.verified == 5
    assert outcomes.count("Unauthorized:") == 5 and len(outcomes) == 40


def test_a_password_change_ends_every_session_and_only_one_change_wins(services, hasher):
    accounts = accounts_with(services, hasher)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    first = accounts.authenticate("an", PASSWORD, "192.0.2.1")
    second = accounts.authenticate("an", PASSWORD, "192.0.2.1")
    changed = accounts.change_password("an", PASSWORD, "một mật khẩu mới 2026", first.token_generation)
    assert changed.token_generation == first.token_generation + 1
    claims = lambda gen: TokenClaims(Official("an", AGENCY), "local", "jti-x", gen)  # noqa: E731
    assert accounts.session(claims(changed.token_generation)).roles == frozenset({"official"})
    with pytest.raises(Unauthorized):
        accounts.session(claims(second.token_generation))
    # the other session, racing with the old password's token, cannot change it again
    with pytest.raises(Unauthorized) as err:
        accounts.change_password("an", "một mật khẩu mới 2026", "mật khẩu khác hẳn 2027", second.token_generation)
    assert err.value.extra["reason"] == "session-ended"


def test_deactivation_ends_every_session_and_reactivation_does_not_revive_them(services, hasher):
    accounts = accounts_with(services, hasher)
    accounts.add("an", AGENCY, ["official"], password=PASSWORD)
    session = TokenClaims(Official("an", AGENCY), "local", "jti-x", 0)
    assert accounts.session(session).username == "an"
    accounts.set_active("an", False)
    with pytest.raises(Unauthorized, match="deactivated"):
        accounts.session(session)
    with pytest.raises(Unauthorized, match="wrong username or password"):
        accounts.authenticate("an", PASSWORD, "192.0.2.1")
    accounts.set_active("an", True)
    with pytest.raises(Unauthorized, match="revoked"):
        accounts.session(session)
    assert accounts.authenticate("an", PASSWORD, "192.0.2.1").token_generation == 2


@pytest.mark.parametrize("name", ["N" * 256, "a\x00b", "tab\there"])
def test_a_display_name_the_directory_cannot_hold_is_refused(services, name):
    """`motcua users add --name` with 300 characters crashed with a DataError on PostgreSQL (the
    column holds 255) and was stored on SQLite; NUL cannot be stored in PostgreSQL text at all."""
    with pytest.raises(InvalidInput) as err:
        services.accounts.add("ten.dai", AGENCY, ["official"], display_name=name, password=PASSWORD)
    assert [f for f, _ in err.value.problems] == ["display_name"]
    assert services.accounts.official("ten.dai") is None
    services.accounts.add("ten.dai", AGENCY, ["official"], display_name="Trần Thị " + "Ngọc " * 40, password=PASSWORD)


@pytest.mark.postgres_only
def test_two_administrators_creating_one_user_name_at_once_get_a_conflict_not_a_500(services, monkeypatch):
    # Both see the name free, both insert: the second used to fail with the database's unique-key
    # error (a 500 through the API); it is a Conflict like any taken name. The barrier makes both
    # pass the "is the name free" check before either inserts (SQLite queues writers, so only
    # PostgreSQL can interleave them).
    from engine.persistence.repositories import AccountRepository
    from engine.services.errors import Conflict

    barrier = threading.Barrier(2, timeout=2)
    real = AccountRepository.exists

    def in_step(self, username):
        taken = real(self, username)
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return taken

    monkeypatch.setattr(AccountRepository, "exists", in_step)
    outcomes = []

    def create():
        try:
            services.accounts.add("binh", AGENCY, ["official"], password=PASSWORD)
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        except Exception as err:
            outcomes.append(repr(err))

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["conflict", "created"], outcomes
