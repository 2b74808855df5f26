"""Withdrawals: step-up, limits, holds, settle or release, and recovery after outages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from local.sandboxes.pelicanpay import PelicanPaySimulator
from tests.unit.payments.conftest import Deliver, cash
from tradewind.ledger import chart
from tradewind.ledger.clock import ManualClock
from tradewind.payments.provider import PaymentKind, PayoutRequest, ProviderError, ProviderPayment
from tradewind.payments.wiring import MoneyServices
from tradewind.payments.withdrawals import (
    StepUpProof,
    WithdrawalError,
    WithdrawalRequest,
    WithdrawalService,
    WithdrawalStatus,
)

Fund = Callable[[str, int], None]


def request(
    clock: ManualClock,
    withdrawal_id: str = "wd-1",
    amount: int = 1_000,
    age: timedelta = timedelta(0),
    user: str = "alice",
) -> WithdrawalRequest:
    proof = StepUpProof(user_id=user, method="totp", verified_at=clock() - age)
    return WithdrawalRequest(
        id=withdrawal_id, user_id="alice", amount=amount, currency="USD", destination="iban-1", step_up=proof
    )


def test_a_withdrawal_holds_then_settles_on_payment(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 3_000)
    simulator.configure(outcome="pending")
    withdrawal = money.withdrawals.request(request(clock))
    assert withdrawal.status is WithdrawalStatus.REQUESTED
    assert money.ledger.balance(cash("alice")).available == 2_000
    assert money.ledger.balance(cash("alice")).posted == 3_000
    simulator.complete(str(withdrawal.provider_payout_id))
    deliver(simulator.take_events() * 2)
    alice = money.ledger.balance(cash("alice"))
    assert (alice.posted, alice.pending_debits) == (2_000, 0)
    assert money.withdrawals.get("wd-1").status is WithdrawalStatus.PAID


def test_a_failed_payout_releases_the_hold_and_the_limit(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 9_000)
    simulator.configure(outcome="fail")
    money.withdrawals.request(request(clock, amount=5_000))
    deliver(simulator.take_events())
    assert money.ledger.balance(cash("alice")).available == 9_000
    assert money.withdrawals.get("wd-1").status is WithdrawalStatus.FAILED
    simulator.configure(outcome="succeed")
    money.withdrawals.request(request(clock, "wd-2", amount=5_000))  # the day's limit was given back


@pytest.mark.parametrize(
    ("age", "user", "message"),
    [
        (timedelta(minutes=6), "alice", "fresh MFA"),
        (timedelta(minutes=-5), "alice", "fresh MFA"),
        (timedelta(0), "mallory", "another user"),
    ],
    ids=["stale", "future", "someone-else"],
)
def test_a_withdrawal_needs_a_fresh_step_up_of_the_same_user(
    money: MoneyServices, funded: Fund, clock: ManualClock, age: timedelta, user: str, message: str
) -> None:
    funded("alice", 3_000)
    with pytest.raises(WithdrawalError, match=message):
        money.withdrawals.request(request(clock, age=age, user=user))
    assert money.ledger.balance(cash("alice")).available == 3_000


def test_limits_per_withdrawal_and_per_day(money: MoneyServices, funded: Fund, clock: ManualClock) -> None:
    funded("alice", 20_000)
    with pytest.raises(WithdrawalError, match="may not exceed"):
        money.withdrawals.request(request(clock, amount=5_001))
    money.withdrawals.request(request(clock, "wd-1", amount=5_000))
    with pytest.raises(WithdrawalError, match="daily withdrawal limit"):
        money.withdrawals.request(request(clock, "wd-2", amount=3_001))
    money.withdrawals.request(request(clock, "wd-3", amount=3_000))
    clock.advance(timedelta(days=1))
    money.withdrawals.request(request(clock, "wd-4", amount=5_000))


def test_insufficient_funds_refuses_and_gives_the_limit_back(
    money: MoneyServices, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 1_000)
    with pytest.raises(WithdrawalError, match="insufficient"):
        money.withdrawals.request(request(clock, amount=4_000))
    funded("alice", 7_000)
    money.withdrawals.request(request(clock, "wd-2", amount=5_000))
    money.withdrawals.request(request(clock, "wd-3", amount=3_000))


class Outage:
    """A provider that is down for payouts: every call fails as a network error would."""

    def __init__(self, provider: PelicanPaySimulator) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> object:
        return getattr(self.provider, name)

    def create_payout(self, request: PayoutRequest) -> ProviderPayment:
        raise ProviderError("connection refused")


def test_an_outage_leaves_the_hold_and_recovery_requests_the_payout_once(
    money: MoneyServices,
    simulator: PelicanPaySimulator,
    deliver: Deliver,
    funded: Fund,
    clock: ManualClock,
    store: object,
) -> None:
    funded("alice", 3_000)
    during_outage = WithdrawalService(money.ledger, Outage(simulator), store, clock)  # type: ignore[arg-type]
    assert during_outage.request(request(clock)).status is WithdrawalStatus.HELD
    assert money.ledger.balance(cash("alice")).available == 2_000
    assert money.withdrawals.recover(clock()) == []  # too recent: it may still be in flight
    clock.advance(timedelta(minutes=10))
    [recovered] = money.withdrawals.recover(clock())
    assert recovered.status is WithdrawalStatus.PAID
    money.withdrawals.recover(clock() + timedelta(minutes=10))
    deliver(simulator.take_events())
    assert [p.reference for p in simulator.payments() if p.kind is PaymentKind.PAYOUT] == ["wd-1"]
    assert money.ledger.balance(cash("alice")).posted == 2_000


def test_a_payout_settling_after_its_hold_lapsed_still_debits_once(
    money: MoneyServices, simulator: PelicanPaySimulator, deliver: Deliver, funded: Fund, clock: ManualClock
) -> None:
    funded("alice", 3_000)
    simulator.configure(outcome="pending")
    money.withdrawals.request(request(clock))
    clock.advance(timedelta(days=31))
    money.ledger.expire_due()
    assert money.ledger.balance(cash("alice")).available == 3_000
    simulator.complete(next(p.id for p in simulator.payments() if p.kind is PaymentKind.PAYOUT))
    deliver(simulator.take_events() * 2)
    assert money.ledger.balance(cash("alice")).posted == 2_000
    assert money.ledger.balance(chart.provider_clearing("USD")).posted == -2_000
