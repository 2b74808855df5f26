from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.ledger.memory import InMemoryLedgerRepository, InMemoryRecordStore
from tradewind.payments.deposits import DepositRequest
from tradewind.payments.events import WebhookOutcome
from tradewind.payments.webhooks import sign
from tradewind.payments.wiring import MoneyServices, assemble
from tradewind.payments.withdrawals import Limit, WithdrawalPolicy

SECRET = "whsec-unit"
Deliver = Callable[[list[dict[str, Any]]], list[WebhookOutcome]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 30, tzinfo=UTC))


@pytest.fixture
def simulator() -> PelicanPaySimulator:
    return PelicanPaySimulator()


@pytest.fixture
def store() -> InMemoryRecordStore:
    return InMemoryRecordStore()


@pytest.fixture
def money(clock: ManualClock, simulator: PelicanPaySimulator, store: InMemoryRecordStore) -> MoneyServices:
    policy = WithdrawalPolicy(limits={"USD": Limit(per_withdrawal=5_000, per_day=8_000)})
    return assemble(InMemoryLedgerRepository(), store, simulator, (SECRET,), clock=clock, policy=policy)


@pytest.fixture
def deliver(money: MoneyServices, clock: ManualClock) -> Deliver:
    """Send events as PelicanPay does: each delivery signed afresh, a second later."""

    def send(events: list[dict[str, Any]]) -> list[WebhookOutcome]:
        outcomes = []
        for event in events:
            body = json.dumps(event).encode()
            signed_at = clock.advance(timedelta(seconds=1))
            outcomes.append(money.webhooks.handle(body, sign(SECRET, body, int(signed_at.timestamp()))))
        return outcomes

    return send


@pytest.fixture
def funded(money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver) -> Callable[[str, int], None]:
    """Credit an investor through a real deposit and its webhook."""

    def fund(user: str, amount: int) -> None:
        simulator.configure(outcome="succeed")
        money.deposits.start(
            DepositRequest(id=f"fund-{user}-{amount}", user_id=user, amount=amount, currency="USD", mode="direct")
        )
        deliver(simulator.take_events())

    return fund


def cash(user: str) -> str:
    return chart.investor_cash(user, "USD")
