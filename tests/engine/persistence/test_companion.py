"""A record offered for the current context rides in the first write transaction only, and is
dropped, never written, when that transaction rolls back (engine/persistence/companion.py)."""
from __future__ import annotations

from engine.persistence import companion as companions
from tests.engine.services.test_audit_chain import audit


class Marker:
    def __init__(self, services, name):
        self.services, self.name = services, name
        self.written = self.done = 0

    def write(self, uow):
        self.written += 1
        uow.audit.add(at=self.services.clock.now(), actor="companion", agency_id=None, action=self.name,
                      target="/", request_id=self.name, outcome=200, detail={})

    def committed(self):
        self.done += 1


def count(services, name):
    with services.ctx.uow(write=False) as uow:
        return len(uow.audit.for_request(name))


def test_the_first_write_transaction_carries_it_once(services):
    marker = Marker(services, "carried")
    token = companions.offer(marker)
    try:
        with services.ctx.uow(write=False) as uow:  # a read takes nothing
            uow.audit.chain_head()
        audit(services, 2)  # two write transactions: the first carries the marker
    finally:
        companions.withdraw(token)
    assert (marker.written, marker.done) == (1, 1)
    assert count(services, "carried") == 1
    assert services.audit.verify().records == 3


def test_a_rolled_back_transaction_drops_it_and_the_next_does_not_take_it(services):
    marker = Marker(services, "dropped")
    token = companions.offer(marker)
    try:
        with services.ctx.uow() as uow:  # left without commit: rolled back
            uow.audit.chain_head()
        audit(services, 1)
    finally:
        companions.withdraw(token)
    assert (marker.written, marker.done) == (0, 0)
    assert count(services, "dropped") == 0
    audit(services, 1)  # after the offer ended, nothing rides along
    assert marker.written == 0
