"""Online payment of a dossier's fee (R-6.2): a pluggable gateway. The payment platform itself is
out of scope; `FakeGateway` stands in for tests and development.

A gateway takes a `PaymentOrder` and either returns a `PaymentReceipt` with the platform's
reference (recorded on the dossier as the `fee_paid` message, method online) or raises
`PaymentDeclined`. A gateway charges an `order_id` at most once: asked again for the same order (a
retry after a time-out, or a second request racing the first) it answers as it did the first time,
as the payment platforms do with the merchant's transaction reference (engine/services/online_payments.py
sends a new order_id only after a decline). MOTCUA_PAYMENT_GATEWAY names one: `fake`, or `package.module:factory` (a callable
returning a gateway); unset, online payment is unavailable (503) and fees are paid at the desk.
"""
from __future__ import annotations

import importlib
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class PaymentOrder:
    dossier_code: str
    amount: int  # VND, whole
    payer_id_number: str
    payer_name: str
    order_id: str  # the merchant's reference of this attempt: charged at most once


@dataclass(frozen=True)
class PaymentReceipt:
    reference: str  # the platform's transaction reference (at most 128 characters are kept)
    amount: int
    paid_at: datetime


class PaymentDeclined(Exception):
    """The platform refused the payment; the message says why (shown to the applicant)."""


class PaymentGateway(Protocol):
    name: str

    def charge(self, order: PaymentOrder, now: datetime) -> PaymentReceipt:
        """Take `order.amount` from the payer, at most once per `order.order_id` (the same order
        again answers as the first time); PaymentDeclined if refused."""


@dataclass
class FakeGateway:
    """Accepts every order (references FAKE-000001, …) except those for the dossier codes in
    `declines`; remembers what it charged, and each order's answer (an order is charged once)."""

    name: str = "fake"
    declines: set[str] = field(default_factory=set)
    charged: list[PaymentOrder] = field(default_factory=list)
    _numbers: itertools.count = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _answers: dict[str, PaymentReceipt | PaymentDeclined] = field(default_factory=dict)

    def charge(self, order: PaymentOrder, now: datetime) -> PaymentReceipt:
        with self._lock:
            answer = self._answers.get(order.order_id)
            if answer is None:
                if order.dossier_code in self.declines:
                    answer = PaymentDeclined("the card was declined (fake gateway)")
                else:
                    answer = PaymentReceipt(f"FAKE-{next(self._numbers):06d}", order.amount, now)
                    self.charged.append(order)
                self._answers[order.order_id] = answer
        if isinstance(answer, PaymentDeclined):
            raise PaymentDeclined(str(answer))
        return answer


def gateway_from_setting(value: str | None) -> PaymentGateway | None:
    """The gateway MOTCUA_PAYMENT_GATEWAY names (module docstring); ValueError for a bad name."""
    if not value:
        return None
    if value == "fake":
        return FakeGateway()
    module, _, attr = value.partition(":")
    if not module or not attr:
        raise ValueError(f"MOTCUA_PAYMENT_GATEWAY must be 'fake' or 'package.module:factory', not {value!r}")
    return getattr(importlib.import_module(module), attr)()
