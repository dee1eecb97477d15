"""Paying a fee online never charges twice nor loses a charge (R-6.2; engine/services/online_payments.py).

Found breaking issue 10: two payment requests at once (a double click) were both charged by the
platform and one recorded; a payment racing the applicant's own withdrawal was charged and recorded
nowhere; a payment racing any other change of the dossier (an apology, N-6) was charged and answered
409 as if nothing had happened. The interleavings are made deterministic with a gateway that runs the
other request while its first charge is in flight (the moment between the platform's charge and its
recording); the threaded race runs on PostgreSQL.
"""
from __future__ import annotations

import io
import threading
from datetime import timedelta

import pytest

from engine.persistence.online_payments import CHARGING, DECLINED, RECORDED, UNRECORDED
from engine.services.online_payments import listing
from engine.services.payments import FakeGateway
from tests.api.test_public_lifecycle import AN, PDF, as_, complete, world  # noqa: F401 (fixture)

FEE = 50000


class Interleaved:
    """The fake platform, running `during()` once while its first charge is in flight; `fail` makes
    that first charge take the money and then lose the answer (a time-out)."""

    def __init__(self, during=None, fail: bool = False):
        self.fake, self.during, self.fail, self.calls = FakeGateway(), during, fail, 0

    @property
    def charged(self):
        return self.fake.charged

    def charge(self, order, now):
        self.calls += 1
        self.orders = [*getattr(self, "orders", []), order.order_id]
        if self.calls == 1 and self.during:
            self.during()
        receipt = self.fake.charge(order, now)
        if self.calls == 1 and self.fail:
            raise TimeoutError("the platform did not answer in time")
        return receipt


def fee_waiting(world, app, services) -> str:
    c = world.client
    code = c.post("/api/public/dossiers", json={"procedure_code": "ONL"}, headers=as_(app, services, AN)).json["code"]
    complete(world, "an", code, {"missing": ["Giấy tờ"], "reason": "Thiếu"})
    c.post(f"/api/public/dossiers/{code}/attachments", data={"file": (io.BytesIO(PDF), "giay-to.pdf")},
           headers=as_(app, services, AN))
    assert c.post(f"/api/public/dossiers/{code}/supplement", headers=as_(app, services, AN)).status_code == 200
    complete(world, "an", code, {"amount": FEE})
    return code


def pay(world, app, services, code):
    return world.client.post(f"/api/public/dossiers/{code}/payment", headers=as_(app, services, AN))


def payment_of(services, code):
    with services.ctx.uow(write=False) as uow:
        return uow.online_payments.get(uow.dossiers.load(code=code).id)


def test_a_second_request_while_the_first_is_charging_is_charged_once(world, app, services):
    code = fee_waiting(world, app, services)
    twin = []
    gateway = services.applicants.gateway = Interleaved(lambda: twin.append(pay(world, app, services, code)))
    first = pay(world, app, services, code)
    # Both answer the paid dossier: the twin sent the same order, the platform answered it once.
    assert (first.status_code, twin[0].status_code) == (200, 200), (first.json, twin[0].json)
    assert len(gateway.charged) == 1 and gateway.orders == [f"{code}-1", f"{code}-1"]
    assert first.json["fee"]["reference"] == twin[0].json["fee"]["reference"] == "FAKE-000001"
    assert payment_of(services, code).state == RECORDED
    again = pay(world, app, services, code)
    assert again.status_code == 409 and "no fee is waiting" in again.json["detail"]
    assert len(gateway.charged) == 1


def test_a_payment_racing_the_withdrawal_is_kept_for_refund(world, app, services):
    code = fee_waiting(world, app, services)
    withdrawn = []
    services.applicants.gateway = Interleaved(lambda: withdrawn.append(world.client.post(
        f"/api/public/dossiers/{code}/withdrawal", json={"reason": "Nộp nhầm"}, headers=as_(app, services, AN))))
    answer = pay(world, app, services, code)
    assert withdrawn[0].status_code == 200
    # The money was taken: the applicant is told so, with the platform's reference, and it is kept.
    assert answer.status_code == 409 and "FAKE-000001" in answer.json["detail"] and "refund" in answer.json["detail"]
    kept = payment_of(services, code)
    assert (kept.state, kept.reference, kept.amount) == (UNRECORDED, "FAKE-000001", FEE)
    assert "withdrawn" in kept.detail
    assert [(c, p.reference) for c, p in listing(services.ctx, UNRECORDED)] == [(code, "FAKE-000001")]


def test_a_payment_racing_another_change_of_the_dossier_is_recorded(world, app, services, clock):
    code = fee_waiting(world, app, services)
    head = services.accounts.official("head")
    due = services.dossiers.get(code=code).due_at
    services.applicants.gateway = Interleaved(lambda: services.lifecycle.apologize(
        head, code, due + timedelta(days=3), "Cần thêm thời gian thẩm định"))
    answer = pay(world, app, services, code)
    assert answer.status_code == 200, answer.json
    assert (answer.json["status"], answer.json["fee"]["reference"]) == ("processing", "FAKE-000001")
    assert answer.json["due_at"] != due  # the apology's new appointment stands too
    assert payment_of(services, code).state == RECORDED


def test_a_lost_answer_is_retried_with_the_same_order_and_charged_once(world, app, services):
    code = fee_waiting(world, app, services)
    gateway = services.applicants.gateway = Interleaved(fail=True)
    lost = pay(world, app, services, code)
    assert lost.status_code == 503 and "try again" in lost.json["detail"]
    assert payment_of(services, code).state == CHARGING
    again = pay(world, app, services, code)
    assert again.status_code == 200, again.json
    assert len(gateway.charged) == 1 and gateway.orders == [f"{code}-1", f"{code}-1"]


def test_a_declined_payment_may_be_tried_again_with_a_new_order(world, app, services):
    code = fee_waiting(world, app, services)
    gateway = services.applicants.gateway = Interleaved()
    gateway.fake.declines.add(code)
    assert pay(world, app, services, code).status_code == 422
    assert payment_of(services, code).state == DECLINED
    gateway.fake.declines.clear()
    assert pay(world, app, services, code).status_code == 200
    assert gateway.orders == [f"{code}-1", f"{code}-2"] and payment_of(services, code).attempt == 2


@pytest.mark.postgres_only
@pytest.mark.parametrize("round_", range(3))
def test_payments_racing_in_threads_charge_once(world, app, services, round_):
    code = fee_waiting(world, app, services)
    gateway = services.applicants.gateway = FakeGateway()
    headers = as_(app, services, AN)
    barrier, answers = threading.Barrier(4), []

    def run(action):
        client = app.test_client()
        barrier.wait()
        answers.append((action, action_call(client, action, code, headers).status_code))

    threads = [threading.Thread(target=run, args=(a,)) for a in ("pay", "pay", "pay", "withdraw")]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all(status in (200, 409) for _, status in answers), answers
    kept = payment_of(services, code)
    dossier = services.dossiers.get(code=code)
    assert len(gateway.charged) <= 1
    if gateway.charged:  # charged once: either recorded on the dossier or kept for refund
        assert kept.state in (RECORDED, UNRECORDED)
        assert (dossier.fee or {}).get("reference") == (kept.reference if kept.state == RECORDED else None)


def action_call(client, action, code, headers):
    if action == "pay":
        return client.post(f"/api/public/dossiers/{code}/payment", headers=headers)
    return client.post(f"/api/public/dossiers/{code}/withdrawal", json={}, headers=headers)
